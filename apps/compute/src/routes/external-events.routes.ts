import { callerOf } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ComputeContext } from '../context.js';
import { getServer } from '../db/servers.repo.js';
import { atLeast } from '../http/microversion.js';
import { parseBody } from '../http/nova-request.js';

/** The event names each microversion accepts (Nova's list). */
function eventNames(req: FastifyRequest): string[] {
  const names = ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted'];
  if (atLeast(req, '2.51')) names.push('volume-extended');
  if (atLeast(req, '2.76')) names.push('power-update');
  if (atLeast(req, '2.82')) names.push('accelerator-request-bound');
  return names;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * os-server-external-events (admin; what Neutron and Cinder call): each event
 * for a known server that has a host is accepted (200); an unknown server is
 * a 404 and one not yet on a host a 422, per event. The answer is 200 when
 * all were accepted, 207 when some were, 404 when none was.
 */
export function externalEventRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.post('/v2.1/os-server-external-events', async (req, reply) => {
    ctx.policy.authorize('os_compute_api:os-server-external-events:create', callerOf(req));
    const event = z.strictObject({
      name: z.enum(eventNames(req) as [string, ...string[]]),
      server_uuid: z.string().regex(UUID, 'must be a UUID'),
      status: z.enum(['failed', 'completed', 'in-progress']).optional(),
      tag: z.string().max(255).optional(),
    });
    const { events } = parseBody(z.strictObject({ events: z.array(event).min(1) }), req.body);
    let accepted = 0;
    const out = [];
    for (const e of events) {
      const row = await getServer(ctx.db, e.server_uuid.toLowerCase());
      const code = !row ? 404 : !row.host ? 422 : 200;
      if (code === 200) accepted++;
      else req.log.info({ event: e.name, server: e.server_uuid, code }, 'external event not delivered');
      out.push({ ...e, status: code === 200 ? (e.status ?? 'completed') : 'failed', code });
    }
    const status = accepted === events.length ? 200 : accepted > 0 ? 207 : 404;
    return reply.code(status).send({ events: out });
  });
}

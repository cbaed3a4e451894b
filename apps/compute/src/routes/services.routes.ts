import { hostname } from 'node:os';
import { callerOf, invalid, notFound } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ComputeContext } from '../context.js';
import { atLeast } from '../http/microversion.js';
import { parseBody, q } from '../http/nova-request.js';
import { computeServiceEntry, matchesId, type ServiceEntry, serviceView } from '../views/hosts.view.js';
import { novaBool } from './flavors.schemas.js';

const reason = z.string().min(1).max(255);
const update253 = z.object({
  status: z.enum(['enabled', 'disabled']).optional(),
  disabled_reason: reason.optional(),
  forced_down: novaBool.optional(),
});
const legacyBody = z.object({ host: z.string().min(1).max(255), binary: z.string().min(1).max(255) });
const legacyReason = legacyBody.extend({ disabled_reason: reason });

/**
 * os-services (admin): a `nova-compute` row per scheduler host (disable and
 * enable map to the scheduler's host patch) and the control plane's
 * `nova-scheduler` / `nova-conductor` rows.
 */
export function serviceRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const control = (): ServiceEntry[] =>
    ['nova-scheduler', 'nova-conductor'].map((binary) => ({
      key: `svc:control:${binary}`,
      binary,
      host: hostname(),
      zone: 'internal',
      enabled: true,
      up: true,
      disabledReason: null,
      updatedAt: new Date(),
    }));
  const all = async () => [...control(), ...(await ctx.scheduler.listHosts()).map(computeServiceEntry)];
  const auth = (req: FastifyRequest, action: string) =>
    ctx.policy.authorize(`os_compute_api:os-services:${action}`, callerOf(req));

  const setEnabled = async (s: ServiceEntry, enabled: boolean, why?: string): Promise<ServiceEntry> => {
    if (!s.hostId)
      throw invalid(`The ${s.binary} service cannot be disabled: only nova-compute services can.`);
    const h = await ctx.scheduler.updateHost(s.hostId, {
      enabled,
      disabled_reason: enabled ? null : (why ?? null),
    });
    return computeServiceEntry(h);
  };

  app.get('/v2.1/os-services', async (req) => {
    auth(req, 'list');
    const host = q(req, 'host');
    const binary = q(req, 'binary');
    const rows = (await all()).filter(
      (s) => (host === undefined || s.host === host) && (binary === undefined || s.binary === binary),
    );
    return { services: rows.map((s) => serviceView(req, s)) };
  });

  app.put<{ Params: { id: string } }>('/v2.1/os-services/:id', async (req) => {
    auth(req, 'update');
    const id = req.params.id;
    if (!atLeast(req, '2.53')) throw notFound(`Service ${id} could not be found.`);
    const b = parseBody(update253, req.body);
    if (b.status === undefined && b.forced_down === undefined)
      throw invalid("At least one of 'status' or 'forced_down' must be given.");
    if (b.disabled_reason !== undefined && b.status !== 'disabled')
      throw invalid("'disabled_reason' may only be given with status 'disabled'.");
    const s = (await all()).find((x) => matchesId(id, x.key));
    if (!s) throw notFound(`Service ${id} could not be found.`);
    const updated =
      b.status === undefined ? s : await setEnabled(s, b.status === 'enabled', b.disabled_reason);
    return { service: serviceView(req, updated) };
  });

  const legacy = (action: 'enable' | 'disable' | 'disable-log-reason') =>
    app.put(`/v2.1/os-services/${action}`, async (req) => {
      auth(req, 'update');
      if (atLeast(req, '2.53')) throw notFound(`Service ${action} could not be found.`);
      const b = parseBody(action === 'disable-log-reason' ? legacyReason : legacyBody, req.body) as {
        host: string;
        binary: string;
        disabled_reason?: string;
      };
      const s = (await all()).find((x) => x.host === b.host && x.binary === b.binary);
      if (!s) throw notFound(`Service ${b.binary} on host ${b.host} could not be found.`);
      const updated = await setEnabled(s, action === 'enable', b.disabled_reason);
      return {
        service: {
          host: updated.host,
          binary: updated.binary,
          status: updated.enabled ? 'enabled' : 'disabled',
          ...(action === 'disable-log-reason' ? { disabled_reason: updated.disabledReason ?? '' } : {}),
        },
      };
    });
  legacy('enable');
  legacy('disable');
  legacy('disable-log-reason');
}

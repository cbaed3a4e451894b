import type { AggregateView } from '@kumo/scheduler';
import { callerOf, invalid, notFound } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ComputeContext } from '../context.js';
import { parseBody } from '../http/nova-request.js';
import { aggregateView } from '../views/aggregates.view.js';

const trimmed = z
  .string()
  .min(1)
  .max(255)
  .regex(/^\S(.*\S)?$/s, 'must not start or end with whitespace');
const zone = trimmed.regex(/^[^:]*$/, "must not contain ':'");
const createBody = z.strictObject({
  aggregate: z.strictObject({ name: trimmed, availability_zone: zone.nullable().optional() }),
});
const updateBody = z.strictObject({
  aggregate: z
    .strictObject({ name: trimmed.optional(), availability_zone: zone.nullable().optional() })
    .refine((a) => Object.keys(a).length > 0, 'at least one of name, availability_zone is required'),
});
const hostBody = z.strictObject({ host: z.string().min(1).max(255) });
const metadataBody = z.strictObject({
  metadata: z.record(z.string().min(1).max(255), z.string().max(255).nullable()),
});

type IdParams = { Params: { id: string } };

/**
 * os-aggregates (admin): the scheduler owns aggregates (it owns the hosts);
 * this proxies, showing hosts by the name os-services and os-hypervisors use.
 */
export function aggregateRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const s = ctx.scheduler;
  const auth = (req: FastifyRequest, action: string) =>
    ctx.policy.authorize(`os_compute_api:os-aggregates:${action}`, callerOf(req));
  const view = async (req: FastifyRequest, a: AggregateView, created = false) =>
    aggregateView(req, a, await s.listHosts(), { created });
  const ref = (id: string) => {
    if (!/^\d{1,9}$/.test(id) && !/^[0-9a-f-]{36}$/i.test(id))
      throw notFound(`Aggregate ${id} could not be found.`);
    return id;
  };
  /** The scheduler host behind a Nova host name. */
  const hostId = async (name: string) => {
    const h =
      (await s.listHosts()).find((x) => x.hostname === name) ??
      (await s.listHosts()).find((x) => x.id === name);
    if (!h) throw notFound(`Compute host ${name} could not be found.`);
    return h.id;
  };

  app.get('/v2.1/os-aggregates', async (req) => {
    auth(req, 'index');
    const [aggs, hosts] = await Promise.all([s.listAggregates(), s.listHosts()]);
    return { aggregates: aggs.map((a) => aggregateView(req, a, hosts)) };
  });

  app.post('/v2.1/os-aggregates', async (req) => {
    auth(req, 'create');
    const { aggregate: b } = parseBody(createBody, req.body);
    const a = await s.createAggregate({ name: b.name, availability_zone: b.availability_zone ?? null });
    return { aggregate: await view(req, a, true) };
  });

  app.get<IdParams>('/v2.1/os-aggregates/:id', async (req) => {
    auth(req, 'show');
    return { aggregate: await view(req, await s.getAggregate(ref(req.params.id))) };
  });

  app.put<IdParams>('/v2.1/os-aggregates/:id', async (req) => {
    auth(req, 'update');
    const id = ref(req.params.id);
    const { aggregate: b } = parseBody(updateBody, req.body);
    return { aggregate: await view(req, await s.updateAggregate(id, b)) };
  });

  app.delete<IdParams>('/v2.1/os-aggregates/:id', async (req, reply) => {
    auth(req, 'delete');
    await s.deleteAggregate(ref(req.params.id));
    return reply.code(200).send();
  });

  app.post<IdParams>('/v2.1/os-aggregates/:id/action', async (req) => {
    const body = req.body as Record<string, unknown> | undefined;
    const keys = body && typeof body === 'object' ? Object.keys(body) : [];
    const action = keys.length === 1 ? keys[0] : undefined;
    if (action === 'add_host') {
      auth(req, 'add_host');
      const id = ref(req.params.id);
      const { host } = parseBody(hostBody, body?.add_host);
      return { aggregate: await view(req, await s.addAggregateHost(id, await hostId(host))) };
    }
    if (action === 'remove_host') {
      auth(req, 'remove_host');
      const id = ref(req.params.id);
      const { host } = parseBody(hostBody, body?.remove_host);
      return { aggregate: await view(req, await s.removeAggregateHost(id, await hostId(host))) };
    }
    if (action === 'set_metadata') {
      auth(req, 'set_metadata');
      const id = ref(req.params.id);
      const { metadata } = parseBody(metadataBody, body?.set_metadata);
      if (typeof metadata.availability_zone === 'string')
        parseBody(z.object({ availability_zone: zone }), { availability_zone: metadata.availability_zone });
      return { aggregate: await view(req, await s.setAggregateMetadata(id, metadata)) };
    }
    throw invalid(
      'Invalid input for field/attribute action: exactly one of add_host, remove_host, set_metadata is required.',
    );
  });
}

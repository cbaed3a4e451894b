import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type AggregateRow, AZ_KEY } from '../db/aggregates.repo.js';
import { hostParam, parse } from './bodies.js';
import { authorize, type RouteContext } from './context.js';

const name = z.string().min(1).max(255);
const zone = name.nullable();
const createBody = z.strictObject({ name, availability_zone: zone.optional() });
const patchBody = z.strictObject({ name: name.optional(), availability_zone: zone.optional() });
const metadataBody = z.strictObject({
  metadata: z.record(z.string().min(1).max(255), z.string().max(255).nullable()),
});
const aggregateRef = z.string().regex(/^(\d{1,9}|[0-9a-fA-F-]{36})$/, 'must be an aggregate UUID or number');

export const aggregateView = (a: AggregateRow) => ({
  id: a.id,
  seq: a.seq,
  name: a.name,
  availability_zone: a.metadata[AZ_KEY] ?? null,
  metadata: a.metadata,
  hosts: a.hosts,
  created_at: a.createdAt.toISOString(),
  updated_at: a.updatedAt?.toISOString() ?? null,
});
export type AggregateView = ReturnType<typeof aggregateView>;

type Req = { Params: { id: string } };
type HostReq = { Params: { id: string; host: string } };

/**
 * Host aggregates: named sets of hosts with metadata; the metadata key
 * `availability_zone` makes the aggregate its hosts' availability zone.
 * `:id` is the aggregate's UUID or its integer `seq`.
 */
export function aggregatesRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const p = ctx.placement;
  const ref = (id: string) => parse(aggregateRef, id, 'aggregate_id');
  const out = (a: AggregateRow) => ({ aggregate: aggregateView(a) });

  app.get('/kumo/v1/aggregates', async (req) => {
    authorize(ctx, req, 'aggregates:list');
    return { aggregates: (await p.listAggregates()).map(aggregateView) };
  });

  app.post('/kumo/v1/aggregates', async (req, reply) => {
    authorize(ctx, req, 'aggregates:create');
    const b = parse(createBody, req.body);
    return reply.code(201).send(out(await p.createAggregate(b.name, b.availability_zone ?? null)));
  });

  app.get<Req>('/kumo/v1/aggregates/:id', async (req) => {
    authorize(ctx, req, 'aggregates:get');
    return out(await p.getAggregate(ref(req.params.id)));
  });

  app.patch<Req>('/kumo/v1/aggregates/:id', async (req) => {
    authorize(ctx, req, 'aggregates:update');
    const id = ref(req.params.id);
    const b = parse(patchBody, req.body);
    return out(await p.updateAggregate(id, { name: b.name, zone: b.availability_zone }));
  });

  app.delete<Req>('/kumo/v1/aggregates/:id', async (req, reply) => {
    authorize(ctx, req, 'aggregates:delete');
    await p.deleteAggregate(ref(req.params.id));
    return reply.code(204).send();
  });

  app.post<Req>('/kumo/v1/aggregates/:id/metadata', async (req) => {
    authorize(ctx, req, 'aggregates:update');
    const id = ref(req.params.id);
    return out(await p.setAggregateMetadata(id, parse(metadataBody, req.body).metadata));
  });

  app.put<HostReq>('/kumo/v1/aggregates/:id/hosts/:host', async (req) => {
    authorize(ctx, req, 'aggregates:update');
    const id = ref(req.params.id);
    return out(await p.addAggregateHost(id, parse(hostParam, req.params.host, 'host')));
  });

  app.delete<HostReq>('/kumo/v1/aggregates/:id/hosts/:host', async (req) => {
    authorize(ctx, req, 'aggregates:update');
    const id = ref(req.params.id);
    return out(await p.removeAggregateHost(id, parse(hostParam, req.params.host, 'host')));
  });
}

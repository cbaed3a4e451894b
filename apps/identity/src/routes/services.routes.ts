import { callerOf, invalid } from '@kumo/service-kit';
import { and, eq, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { extraOf, storable } from '../db/regions.repo.js';
import { services } from '../db/schema.js';
import { getService, type ServiceRow } from '../db/services.repo.js';
import { newId } from '../domain/ids.js';
import { parseBody } from '../http/body.js';
import { found } from '../http/guards.js';
import { listLinks, q, qBool, selfLink } from '../http/views.js';

const text = (max: number) => z.string().max(max).refine(storable, 'must not contain NUL characters');
const serviceFields = {
  name: text(255).min(1).optional(),
  description: text(65535).nullable().optional(),
  enabled: z.boolean().optional(),
};
const createSchema = z.object({
  service: z.looseObject({ type: text(255).min(1), ...serviceFields }),
});
const updateSchema = z.object({
  service: z
    .looseObject({ type: text(255).min(1).optional(), ...serviceFields })
    .refine((s) => Object.keys(s).length > 0, 'the service must name at least one attribute'),
});

const KNOWN = new Set(['id', 'type', 'name', 'description', 'enabled', 'links']);

export function serviceView(req: FastifyRequest, s: ServiceRow) {
  const v: Record<string, unknown> = {
    ...s.extra,
    id: s.id,
    type: s.type,
    name: s.name ?? '',
    enabled: s.enabled,
    links: selfLink(req, `/v3/services/${s.id}`),
  };
  if (s.description !== null) v.description = s.description;
  return v;
}

export function serviceRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  app.get('/v3/services', async (req) => {
    policy.authorize('identity:list_services', callerOf(req));
    const where: SQL[] = [];
    for (const [param, col] of [
      ['type', services.type],
      ['name', services.name],
    ] as const) {
      const v = q(req, param);
      if (v === undefined) continue;
      if (!storable(v)) return { services: [], links: listLinks(req) };
      where.push(eq(col, v));
    }
    const enabled = qBool(req, 'enabled');
    if (enabled !== undefined) where.push(eq(services.enabled, enabled));
    const rows = await db
      .select()
      .from(services)
      .where(and(...where))
      .orderBy(services.type, services.id);
    return { services: rows.map((s) => serviceView(req, s)), links: listLinks(req) };
  });

  app.get<{ Params: { id: string } }>('/v3/services/:id', async (req) => {
    policy.authorize('identity:get_service', callerOf(req));
    const s = found(await getService(db, req.params.id), 'service', req.params.id);
    return { service: serviceView(req, s) };
  });

  app.post('/v3/services', async (req, reply) => {
    policy.authorize('identity:create_service', callerOf(req));
    const { service: b } = parseBody(createSchema, req.body);
    const [row] = await db
      .insert(services)
      .values({
        id: newId(),
        type: b.type,
        name: b.name ?? '',
        description: b.description ?? null,
        enabled: b.enabled ?? true,
        extra: extraOf(b, KNOWN),
      })
      .returning();
    ctx.catalog.invalidate();
    return reply.code(201).send({ service: serviceView(req, row!) });
  });

  app.patch<{ Params: { id: string } }>('/v3/services/:id', async (req) => {
    policy.authorize('identity:update_service', callerOf(req));
    const { service: b } = parseBody(updateSchema, req.body);
    const cur = found(await getService(db, req.params.id), 'service', req.params.id);
    if (b.id !== undefined && b.id !== cur.id) throw invalid('The service id cannot be changed.');
    const [row] = await db
      .update(services)
      .set({
        type: b.type ?? cur.type,
        name: b.name ?? cur.name,
        description: b.description === undefined ? cur.description : b.description,
        enabled: b.enabled ?? cur.enabled,
        extra: { ...cur.extra, ...extraOf(b, KNOWN) },
      })
      .where(eq(services.id, cur.id))
      .returning();
    ctx.catalog.invalidate();
    return { service: serviceView(req, row!) };
  });

  app.delete<{ Params: { id: string } }>('/v3/services/:id', async (req, reply) => {
    policy.authorize('identity:delete_service', callerOf(req));
    const cur = found(await getService(db, req.params.id), 'service', req.params.id);
    // the service's endpoints go with it (ON DELETE CASCADE), as in Keystone
    await db.delete(services).where(eq(services.id, cur.id));
    ctx.catalog.invalidate();
    return reply.code(204).send();
  });
}

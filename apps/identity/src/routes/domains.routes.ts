import { callerOf } from '@kumo/service-kit';
import { and, eq, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { createDomain, deleteDomain, updateDomain } from '../db/domains.repo.js';
import { getDomain } from '../db/lookups.js';
import { domains } from '../db/schema.js';
import { parseBody } from '../http/body.js';
import { descriptionField, found, nameField, tagField } from '../http/guards.js';
import { listLinks, q, qBool } from '../http/views.js';
import { domainView } from '../views/resources.view.js';

const createSchema = z.object({
  domain: z.looseObject({
    name: nameField(64),
    description: descriptionField.optional(),
    enabled: z.boolean().optional(),
    tags: z.array(tagField).max(80).optional(),
    id: z.string().optional(),
    explicit_domain_id: z.string().optional(),
  }),
});
const updateSchema = z.object({
  domain: z.looseObject({
    name: nameField(64).optional(),
    description: descriptionField.optional(),
    enabled: z.boolean().optional(),
    tags: z.array(tagField).max(80).optional(),
  }),
});

const KNOWN = new Set([
  'id',
  'name',
  'description',
  'enabled',
  'tags',
  'links',
  'options',
  'explicit_domain_id',
]);
const extraOf = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !KNOWN.has(k)));

export function domainRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  app.get('/v3/domains', async (req) => {
    policy.authorize('identity:list_domains', callerOf(req));
    const where: SQL[] = [];
    const name = q(req, 'name');
    if (name !== undefined) where.push(eq(domains.name, name));
    const enabled = qBool(req, 'enabled');
    if (enabled !== undefined) where.push(eq(domains.enabled, enabled));
    const rows = await db
      .select()
      .from(domains)
      .where(and(...where))
      .orderBy(domains.name);
    return { domains: rows.map((d) => domainView(req, d)), links: listLinks(req) };
  });

  app.get<{ Params: { id: string } }>('/v3/domains/:id', async (req) => {
    const d = found(await getDomain(db, req.params.id), 'domain', req.params.id);
    policy.authorize('identity:get_domain', callerOf(req), { domain: { id: d.id } });
    return { domain: domainView(req, d) };
  });

  app.post('/v3/domains', async (req, reply) => {
    policy.authorize('identity:create_domain', callerOf(req));
    const { domain: b } = parseBody(createSchema, req.body);
    const row = await createDomain(ctx, { ...b, id: b.explicit_domain_id, extra: extraOf(b) });
    return reply.code(201).send({ domain: domainView(req, row) });
  });

  app.patch<{ Params: { id: string } }>('/v3/domains/:id', async (req) => {
    policy.authorize('identity:update_domain', callerOf(req));
    const { domain: b } = parseBody(updateSchema, req.body);
    const row = await updateDomain(ctx, req.params.id, { ...b, extra: extraOf(b) });
    return { domain: domainView(req, row) };
  });

  app.delete<{ Params: { id: string } }>('/v3/domains/:id', async (req, reply) => {
    policy.authorize('identity:delete_domain', callerOf(req));
    await deleteDomain(ctx, req.params.id);
    return reply.code(204).send();
  });
}

import { callerOf, forbidden, invalid } from '@kumo/service-kit';
import { and, eq, inArray, or, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { getDomain } from '../db/lookups.js';
import { assignments, domains, groups, projects, roles, users } from '../db/schema.js';
import { newId } from '../domain/ids.js';
import { parseBody } from '../http/body.js';
import { descriptionField, found, nameField, storeOrConflict, tagField } from '../http/guards.js';
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
    const id = b.explicit_domain_id ?? newId();
    const [row] = await storeOrConflict('domain', () =>
      db
        .insert(domains)
        .values({
          id,
          name: b.name,
          description: b.description ?? '',
          enabled: b.enabled ?? true,
          tags: b.tags ?? [],
          extra: extraOf(b),
        })
        .returning(),
    );
    return reply.code(201).send({ domain: domainView(req, row!) });
  });

  app.patch<{ Params: { id: string } }>('/v3/domains/:id', async (req) => {
    policy.authorize('identity:update_domain', callerOf(req));
    const { domain: b } = parseBody(updateSchema, req.body);
    const cur = found(await getDomain(db, req.params.id), 'domain', req.params.id);
    if (b.id !== undefined && b.id !== cur.id) throw invalid('The domain id cannot be changed.');
    const [row] = await storeOrConflict('domain', () =>
      db
        .update(domains)
        .set({
          name: b.name ?? cur.name,
          description: b.description === undefined ? cur.description : (b.description ?? ''),
          enabled: b.enabled ?? cur.enabled,
          tags: b.tags ?? cur.tags,
          extra: { ...cur.extra, ...extraOf(b) },
        })
        .where(eq(domains.id, cur.id))
        .returning(),
    );
    if (cur.enabled && b.enabled === false) await ctx.revoke({ domainId: cur.id });
    return { domain: domainView(req, row!) };
  });

  app.delete<{ Params: { id: string } }>('/v3/domains/:id', async (req, reply) => {
    policy.authorize('identity:delete_domain', callerOf(req));
    const cur = found(await getDomain(db, req.params.id), 'domain', req.params.id);
    if (cur.enabled) throw forbidden('Cannot delete a domain that is enabled, please disable it first.');
    if (cur.id === 'default') throw forbidden('The default domain cannot be deleted.');
    await db.transaction(async (tx) => {
      const projectIds = (
        await tx.select({ id: projects.id }).from(projects).where(eq(projects.domainId, cur.id))
      ).map((r) => r.id);
      const userIds = (await tx.select({ id: users.id }).from(users).where(eq(users.domainId, cur.id))).map(
        (r) => r.id,
      );
      const groupIds = (
        await tx.select({ id: groups.id }).from(groups).where(eq(groups.domainId, cur.id))
      ).map((r) => r.id);
      const targets = [cur.id, ...projectIds];
      const actors = [...userIds, ...groupIds];
      await tx
        .delete(assignments)
        .where(
          or(
            inArray(assignments.targetId, targets),
            actors.length > 0 ? inArray(assignments.actorId, actors) : undefined,
          ),
        );
      await tx.delete(projects).where(eq(projects.domainId, cur.id));
      await tx.delete(users).where(eq(users.domainId, cur.id));
      await tx.delete(groups).where(eq(groups.domainId, cur.id));
      await tx.delete(roles).where(eq(roles.domainId, cur.id));
      await tx.delete(domains).where(eq(domains.id, cur.id));
    });
    await ctx.revoke({ domainId: cur.id });
    return reply.code(204).send();
  });
}

import { callerOf, invalid } from '@kumo/service-kit';
import { and, eq, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { extraOf, storable } from '../db/regions.repo.js';
import { policies } from '../db/schema.js';
import { newId } from '../domain/ids.js';
import { parseBody } from '../http/body.js';
import { found, storeOrConflict } from '../http/guards.js';
import { listLinks, q, selfLink } from '../http/views.js';

type PolicyRow = typeof policies.$inferSelect;

const noNul = (s: string) => !s.includes('\u0000');
const typeField = z.string().max(255).refine(noNul, 'must not contain NUL');
/** Keystone keeps blobs in a TEXT column: 64 KiB. */
const blobField = z.string().max(65535).refine(noNul, 'must not contain NUL');
const createSchema = z.object({ policy: z.looseObject({ type: typeField, blob: blobField }) });
const updateSchema = z.object({
  policy: z
    .looseObject({ type: typeField.optional(), blob: blobField.optional() })
    .refine((p) => Object.keys(p).length > 0, 'must name at least one attribute'),
});

const KNOWN = new Set(['id', 'type', 'blob', 'links']);

function policyView(req: FastifyRequest, p: PolicyRow) {
  return {
    ...p.extra,
    id: p.id,
    type: p.type,
    blob: p.blob,
    links: selfLink(req, `/v3/policies/${p.id}`),
  };
}

/** /v3/policies: opaque policy blobs, stored and served as Keystone does (Kumo enforces its own rules). */
export function policyRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  /** The policy, or Keystone's 404. */
  const getPolicy = async (id: string): Promise<PolicyRow> => {
    const [row] = storable(id) ? await db.select().from(policies).where(eq(policies.id, id)).limit(1) : [];
    return found(row, 'policy', id);
  };

  app.get('/v3/policies', async (req) => {
    policy.authorize('identity:list_policies', callerOf(req));
    const where: SQL[] = [];
    const type = q(req, 'type');
    if (type !== undefined) {
      if (!storable(type)) return { policies: [], links: listLinks(req) };
      where.push(eq(policies.type, type));
    }
    const rows = await db
      .select()
      .from(policies)
      .where(and(...where))
      .orderBy(policies.createdAt, policies.id);
    return { policies: rows.map((p) => policyView(req, p)), links: listLinks(req) };
  });

  app.get<{ Params: { id: string } }>('/v3/policies/:id', async (req) => {
    policy.authorize('identity:get_policy', callerOf(req), { policy: { id: req.params.id } });
    return { policy: policyView(req, await getPolicy(req.params.id)) };
  });

  app.post('/v3/policies', async (req, reply) => {
    policy.authorize('identity:create_policy', callerOf(req));
    const { policy: b } = parseBody(createSchema, req.body);
    // as Keystone, the server names the policy whatever id the body carries
    const [row] = await storeOrConflict('policy', () =>
      db
        .insert(policies)
        .values({ id: newId(), type: b.type, blob: b.blob, extra: extraOf(b, KNOWN) })
        .returning(),
    );
    return reply.code(201).send({ policy: policyView(req, row!) });
  });

  app.patch<{ Params: { id: string } }>('/v3/policies/:id', async (req) => {
    policy.authorize('identity:update_policy', callerOf(req), { policy: { id: req.params.id } });
    const { policy: b } = parseBody(updateSchema, req.body);
    const cur = await getPolicy(req.params.id);
    if (b.id !== undefined && b.id !== cur.id) throw invalid('Cannot change policy ID.', 'ValidationError');
    const [row] = await db
      .update(policies)
      .set({
        type: b.type ?? cur.type,
        blob: b.blob ?? cur.blob,
        extra: { ...cur.extra, ...extraOf(b, KNOWN) },
      })
      .where(eq(policies.id, cur.id))
      .returning();
    return { policy: policyView(req, found(row, 'policy', cur.id)) };
  });

  app.delete<{ Params: { id: string } }>('/v3/policies/:id', async (req, reply) => {
    policy.authorize('identity:delete_policy', callerOf(req), { policy: { id: req.params.id } });
    const cur = await getPolicy(req.params.id);
    await db.delete(policies).where(eq(policies.id, cur.id));
    return reply.code(204).send();
  });
}

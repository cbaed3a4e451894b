import { randomBytes } from 'node:crypto';
import { callerOf, invalid } from '@kumo/service-kit';
import { eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { extraOf, storable } from '../db/regions.repo.js';
import { oauthConsumers } from '../db/schema.js';
import { newId } from '../domain/ids.js';
import { hashPassword } from '../domain/passwords.js';
import { parseBody } from '../http/body.js';
import { descriptionField, found, storeOrConflict } from '../http/guards.js';
import { listLinks, selfLink } from '../http/views.js';

type ConsumerRow = typeof oauthConsumers.$inferSelect;

const description = descriptionField.refine(
  (s) => s === null || !s.includes('\u0000'),
  'must not contain NUL',
);
const createSchema = z.object({
  consumer: z.looseObject({ description: description.optional() }).optional(),
});
const updateSchema = z.object({
  consumer: z
    .looseObject({ description: description.optional() })
    .refine((c) => Object.keys(c).length > 0, 'must name at least one attribute')
    .refine((c) => !('secret' in c), 'the secret cannot be changed'),
});

const KNOWN = new Set(['id', 'description', 'secret', 'links']);

function consumerView(req: FastifyRequest, c: ConsumerRow) {
  return {
    ...c.extra,
    id: c.id,
    description: c.description,
    links: selfLink(req, `/v3/OS-OAUTH1/consumers/${c.id}`),
  };
}

/**
 * OAuth 1.0a consumers (/v3/OS-OAUTH1/consumers). The secret is shown once, on creation, and kept
 * only as a scrypt hash. Request and access tokens (the rest of OS-OAUTH1) are not served yet.
 */
export function oauthConsumerRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;
  const base = '/v3/OS-OAUTH1/consumers';

  /** The consumer, or Keystone's 404. */
  const getConsumer = async (id: string): Promise<ConsumerRow> => {
    const [row] = storable(id)
      ? await db.select().from(oauthConsumers).where(eq(oauthConsumers.id, id)).limit(1)
      : [];
    return found(row, 'consumer', id);
  };

  app.get(base, async (req) => {
    policy.authorize('identity:list_consumers', callerOf(req));
    const rows = await db.select().from(oauthConsumers).orderBy(oauthConsumers.createdAt, oauthConsumers.id);
    return { consumers: rows.map((c) => consumerView(req, c)), links: listLinks(req) };
  });

  app.get<{ Params: { id: string } }>(`${base}/:id`, async (req) => {
    policy.authorize('identity:get_consumer', callerOf(req), { consumer: { id: req.params.id } });
    return { consumer: consumerView(req, await getConsumer(req.params.id)) };
  });

  app.post(base, async (req, reply) => {
    policy.authorize('identity:create_consumer', callerOf(req));
    const b = parseBody(createSchema, req.body).consumer ?? {};
    // as Keystone: the server picks the id and the secret, whatever the body says
    const secret = randomBytes(16).toString('hex');
    const secretHash = await hashPassword(secret, ctx.settings.scrypt);
    const [row] = await storeOrConflict('consumer', () =>
      db
        .insert(oauthConsumers)
        .values({ id: newId(), description: b.description ?? null, secretHash, extra: extraOf(b, KNOWN) })
        .returning(),
    );
    return reply.code(201).send({ consumer: { ...consumerView(req, row!), secret } });
  });

  app.patch<{ Params: { id: string } }>(`${base}/:id`, async (req) => {
    policy.authorize('identity:update_consumer', callerOf(req), { consumer: { id: req.params.id } });
    const { consumer: b } = parseBody(updateSchema, req.body);
    const cur = await getConsumer(req.params.id);
    if (b.id !== undefined && b.id !== cur.id)
      throw invalid("The consumer's id cannot be changed.", 'ValidationError');
    const [row] = await db
      .update(oauthConsumers)
      .set({
        description: b.description === undefined ? cur.description : b.description,
        extra: { ...cur.extra, ...extraOf(b, KNOWN) },
      })
      .where(eq(oauthConsumers.id, cur.id))
      .returning();
    return { consumer: consumerView(req, found(row, 'consumer', cur.id)) };
  });

  app.delete<{ Params: { id: string } }>(`${base}/:id`, async (req, reply) => {
    policy.authorize('identity:delete_consumer', callerOf(req), { consumer: { id: req.params.id } });
    const cur = await getConsumer(req.params.id);
    await db.delete(oauthConsumers).where(eq(oauthConsumers.id, cur.id));
    return reply.code(204).send();
  });
}

import { callerOf, invalid, notFound } from '@kumo/service-kit';
import { and, eq, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { getProject, getUser } from '../db/lookups.js';
import { credentials } from '../db/schema.js';
import { ec2Id, scopedBlob } from '../domain/ec2-credentials.js';
import { newId } from '../domain/ids.js';
import { parseBody } from '../http/body.js';
import { found, idField, storeOrConflict } from '../http/guards.js';
import { listLinks, q, selfLink } from '../http/views.js';

type CredentialRow = typeof credentials.$inferSelect;

const typeField = z.string().min(1).max(255);
const blobField = z.string().max(65535);
const createSchema = z.object({
  credential: z.looseObject({
    user_id: idField,
    type: typeField,
    blob: blobField,
    project_id: idField.nullable().optional(),
  }),
});
const updateSchema = z.object({
  credential: z.looseObject({
    user_id: idField.optional(),
    type: typeField.optional(),
    blob: blobField.optional(),
    project_id: idField.nullable().optional(),
  }),
});

const KNOWN = new Set(['id', 'user_id', 'project_id', 'type', 'blob', 'links']);
const extraOf = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !KNOWN.has(k)));

/** Blob keys that scope an EC2 credential; once set they cannot change (as Keystone). */
const SCOPE_KEYS = ['trust_id', 'app_cred_id', 'access_token_id', 'access_id'];

function credentialView(req: FastifyRequest, c: CredentialRow) {
  return {
    ...c.extra,
    id: c.id,
    user_id: c.userId,
    project_id: c.projectId,
    type: c.type,
    blob: c.blob,
    links: selfLink(req, `/v3/credentials/${c.id}`),
  };
}

/** An EC2 blob: a JSON object with an `access` key. */
function ec2Blob(blob: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob);
  } catch {
    throw invalid('Invalid blob in credential: not JSON.', 'ValidationError');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw invalid("Invalid input for field 'blob': expected a JSON object.", 'ValidationError');
  const access = (parsed as Record<string, unknown>).access;
  if (typeof access !== 'string' || access.length === 0)
    throw invalid(
      "Invalid input for field 'blob': an ec2 credential needs an 'access' key.",
      'ValidationError',
    );
  return parsed as Record<string, unknown>;
}

/** The raw body's credential.user_id, for a policy check before validation. */
function bodyUserId(body: unknown): string | undefined {
  const c = (body as { credential?: { user_id?: unknown } } | null | undefined)?.credential;
  return typeof c?.user_id === 'string' ? c.user_id : undefined;
}

export function credentialRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  const getCredential = async (id: string) => {
    const [row] = await db.select().from(credentials).where(eq(credentials.id, id)).limit(1);
    return row;
  };

  /** Authorize against the credential's owner (the caller's own when it does not exist), then 404. */
  const load = async (
    req: FastifyRequest<{ Params: { id: string } }>,
    action: string,
  ): Promise<CredentialRow> => {
    const caller = callerOf(req);
    const c = await getCredential(req.params.id);
    policy.authorize(action, caller, {
      credential: { id: req.params.id, user_id: c?.userId ?? caller.user.id },
    });
    return found(c, 'credential', req.params.id);
  };

  const checkRefs = async (userId: string, projectId: string | null | undefined) => {
    if (!(await getUser(db, userId))) throw notFound('user', userId);
    if (projectId && !(await getProject(db, projectId))) throw notFound('project', projectId);
  };

  app.get('/v3/credentials', async (req) => {
    const caller = callerOf(req);
    const userId = q(req, 'user_id');
    policy.authorize('identity:list_credentials', caller, { user: { id: userId ?? caller.user.id } });
    const where: SQL[] = [];
    if (userId !== undefined) where.push(eq(credentials.userId, userId));
    const type = q(req, 'type');
    if (type !== undefined) where.push(eq(credentials.type, type));
    const rows = await db
      .select()
      .from(credentials)
      .where(and(...where))
      .orderBy(credentials.createdAt, credentials.id);
    // as Keystone: a caller sees only the credentials it may get
    const visible = rows.filter((c) =>
      policy.enforce('identity:get_credential', caller, { credential: { id: c.id, user_id: c.userId } }),
    );
    return { credentials: visible.map((c) => credentialView(req, c)), links: listLinks(req) };
  });

  app.get<{ Params: { id: string } }>('/v3/credentials/:id', async (req) => {
    const c = await load(req, 'identity:get_credential');
    return { credential: credentialView(req, c) };
  });

  app.post('/v3/credentials', async (req, reply) => {
    const caller = callerOf(req);
    policy.authorize('identity:create_credential', caller, { credential: { user_id: bodyUserId(req.body) } });
    const { credential: b } = parseBody(createSchema, req.body);
    let id = newId();
    let blob = b.blob;
    if (b.type === 'ec2') {
      if (!b.project_id)
        throw invalid(
          "Invalid input for field 'project_id': an ec2 credential needs a project.",
          'ValidationError',
        );
      const parsed = ec2Blob(b.blob);
      id = ec2Id(parsed.access as string);
      blob = scopedBlob(caller, parsed) ?? blob;
    }
    await checkRefs(b.user_id, b.project_id);
    const [row] = await storeOrConflict('credential', () =>
      db
        .insert(credentials)
        .values({
          id,
          userId: b.user_id,
          projectId: b.project_id ?? null,
          type: b.type,
          blob,
          extra: extraOf(b),
        })
        .returning(),
    );
    return reply.code(201).send({ credential: credentialView(req, row!) });
  });

  app.patch<{ Params: { id: string } }>('/v3/credentials/:id', async (req) => {
    const caller = callerOf(req);
    const cur = await load(req, 'identity:update_credential');
    const { credential: b } = parseBody(updateSchema, req.body);
    if (b.id !== undefined && b.id !== cur.id)
      throw invalid("The credential's id cannot be changed.", 'ValidationError');
    const next = {
      userId: b.user_id ?? cur.userId,
      projectId: b.project_id === undefined ? cur.projectId : b.project_id,
      type: b.type ?? cur.type,
      blob: b.blob ?? cur.blob,
    };
    // handing a credential to another user needs the right to manage that user's credentials
    if (next.userId !== cur.userId)
      policy.authorize('identity:update_credential', caller, { credential: { user_id: next.userId } });
    if (next.type === 'ec2') {
      if (!next.projectId)
        throw invalid(
          "Invalid input for field 'project_id': an ec2 credential needs a project.",
          'ValidationError',
        );
      const nextBlob = ec2Blob(next.blob);
      if (cur.type === 'ec2' && b.blob !== undefined) {
        const old = ec2Blob(cur.blob);
        for (const k of SCOPE_KEYS)
          if (old[k] !== nextBlob[k])
            throw invalid(`${k} can not be updated for credential.`, 'ValidationError');
      }
    }
    await checkRefs(next.userId, next.projectId);
    const [row] = await storeOrConflict('credential', () =>
      db
        .update(credentials)
        .set({ ...next, extra: { ...cur.extra, ...extraOf(b) } })
        .where(eq(credentials.id, cur.id))
        .returning(),
    );
    return { credential: credentialView(req, found(row, 'credential', cur.id)) };
  });

  app.delete<{ Params: { id: string } }>('/v3/credentials/:id', async (req, reply) => {
    const cur = await load(req, 'identity:delete_credential');
    await db.delete(credentials).where(eq(credentials.id, cur.id));
    return reply.code(204).send();
  });
}

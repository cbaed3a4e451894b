import { callerOf, invalid, KumoError, notFound, type TokenData } from '@kumo/service-kit';
import { eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { groupsOfUser } from '../db/groups.repo.js';
import { getDomain, getUser, type UserRow } from '../db/lookups.js';
import { users } from '../db/schema.js';
import { userProjects } from '../db/user-projects.js';
import {
  deleteUser,
  listUsers,
  mergeUserOptions,
  passwordColumns,
  recentPasswordHashes,
  recordPassword,
  recordPasswordFailure,
  userFilterSql,
  userFiltersOf,
} from '../db/users.repo.js';
import { newId } from '../domain/ids.js';
import {
  checkMinimumAge,
  checkPasswordHistory,
  checkPasswordPattern,
  checkSelfServiceAllowed,
  mustChangeOnFirstUse,
} from '../domain/password-rules.js';
import { burnPasswordCheck, verifyPassword } from '../domain/passwords.js';
import { parseBody } from '../http/body.js';
import { descriptionField, found, idField, nameField, storeOrConflict } from '../http/guards.js';
import { listLinks, q, qBool } from '../http/views.js';
import { projectView, userView } from '../views/resources.view.js';
import { groupView } from './groups.routes.js';

/** Keystone hashes at most 4096 characters of a password. */
export const passwordField = z.string().min(1).max(4096);
const optionsField = z.record(z.string(), z.unknown());

const createSchema = z.object({
  user: z.looseObject({
    name: nameField(255),
    domain_id: idField.optional(),
    enabled: z.boolean().optional(),
    default_project_id: idField.nullable().optional(),
    description: descriptionField.optional(),
    password: passwordField.nullable().optional(),
    options: optionsField.optional(),
  }),
});
const updateSchema = z.object({
  user: z.looseObject({
    name: nameField(255).optional(),
    domain_id: idField.optional(),
    enabled: z.boolean().optional(),
    default_project_id: idField.nullable().optional(),
    description: descriptionField.optional(),
    password: passwordField.nullable().optional(),
    options: optionsField.optional(),
  }),
});

const KNOWN = new Set([
  'id',
  'name',
  'domain_id',
  'enabled',
  'default_project_id',
  'description',
  'password',
  'options',
  'links',
  'password_expires_at',
]);
const extraOf = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !KNOWN.has(k)));

type UserReq = FastifyRequest<{ Params: { id: string } }>;

export function userRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;
  const rules = ctx.settings.passwordPolicy;

  /** Authorize against the user (its domain when it exists), then 404 if it does not. */
  const load = async (req: UserReq, action: string): Promise<UserRow> => {
    const u = await getUser(db, req.params.id);
    policy.authorize(action, callerOf(req), { user: { id: req.params.id, domain_id: u?.domainId } });
    return found(u, 'user', req.params.id);
  };

  /** A default project may not be a domain (Kumo keeps domains apart: only reject domain ids). */
  const checkDefaultProject = async (id: string | null | undefined) => {
    if (id && (await getDomain(db, id)))
      throw invalid('The default project of a user cannot be a domain.', 'ValidationError');
  };

  app.get('/v3/users', async (req) => {
    policy.authorize('identity:list_users', callerOf(req));
    const rows = await listUsers(db, userFilterSql(userFiltersOf(req)));
    return { users: rows.map((u) => userView(req, u)), links: listLinks(req) };
  });

  app.get<{ Params: { id: string } }>('/v3/users/:id', async (req) => {
    const u = await load(req, 'identity:get_user');
    return { user: userView(req, u) };
  });

  app.post('/v3/users', async (req, reply) => {
    const caller = callerOf(req);
    policy.authorize('identity:create_user', caller);
    const { user: b } = parseBody(createSchema, req.body);
    const domainId = b.domain_id ?? caller.project?.domain.id ?? caller.domain?.id ?? 'default';
    if (!(await getDomain(db, domainId))) throw notFound('domain', domainId);
    await checkDefaultProject(b.default_project_id);
    const options = mergeUserOptions({}, b.options);
    if (b.password) checkPasswordPattern(rules, b.password);
    const pw = b.password
      ? await passwordColumns(ctx, b.password, options, mustChangeOnFirstUse(rules, options))
      : undefined;
    const row = await storeOrConflict('user', () =>
      db.transaction(async (tx) => {
        const [created] = await tx
          .insert(users)
          .values({
            id: newId(),
            name: b.name,
            domainId,
            enabled: b.enabled ?? true,
            defaultProjectId: b.default_project_id ?? null,
            description: b.description ?? null,
            options,
            extra: extraOf(b),
            ...pw,
          })
          .returning();
        if (pw) await recordPassword(ctx, tx, created!.id, pw);
        return created!;
      }),
    );
    return reply.code(201).send({ user: userView(req, row) });
  });

  app.patch<{ Params: { id: string } }>('/v3/users/:id', async (req) => {
    const cur = await load(req, 'identity:update_user');
    const { user: b } = parseBody(updateSchema, req.body);
    if (b.domain_id !== undefined && b.domain_id !== cur.domainId)
      throw invalid("The user's domain_id cannot be changed.", 'ValidationError');
    if (b.id !== undefined && b.id !== cur.id)
      throw invalid("The user's id cannot be changed.", 'ValidationError');
    await checkDefaultProject(b.default_project_id);
    const options = mergeUserOptions(cur.options, b.options);
    // an admin reset follows the pattern, not the history nor the minimum age (as in Keystone)
    if (b.password) checkPasswordPattern(rules, b.password);
    const pw =
      b.password !== undefined
        ? await passwordColumns(ctx, b.password, options, mustChangeOnFirstUse(rules, options))
        : undefined;
    // a user newly exempt from expiry has a password that no longer expires
    const exempted =
      cur.options.ignore_password_expiry !== true && options.ignore_password_expiry === true
        ? { passwordExpiresAt: null }
        : {};
    const row = await storeOrConflict('user', () =>
      db.transaction(async (tx) => {
        const [updated] = await tx
          .update(users)
          .set({
            name: b.name ?? cur.name,
            enabled: b.enabled ?? cur.enabled,
            defaultProjectId:
              b.default_project_id === undefined ? cur.defaultProjectId : b.default_project_id,
            description: b.description === undefined ? cur.description : b.description,
            options,
            extra: { ...cur.extra, ...extraOf(b) },
            // enabling a user also lifts a lockout, as in Keystone
            ...(b.enabled === true ? { failedAuthCount: 0, lockedUntil: null } : {}),
            ...exempted,
            ...pw,
          })
          .where(eq(users.id, cur.id))
          .returning();
        if (updated && pw) await recordPassword(ctx, tx, cur.id, pw);
        return updated;
      }),
    );
    found(row, 'user', cur.id);
    // a disabled user, or one whose password an admin reset, keeps no live token
    if ((cur.enabled && b.enabled === false) || b.password !== undefined)
      await ctx.revoke({ userId: cur.id });
    return { user: userView(req, row!) };
  });

  app.delete<{ Params: { id: string } }>('/v3/users/:id', async (req, reply) => {
    const cur = await load(req, 'identity:delete_user');
    await deleteUser(db, cur.id);
    await ctx.revoke({ userId: cur.id });
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>('/v3/users/:id/projects', async (req) => {
    const u = await load(req, 'identity:list_user_projects');
    const name = q(req, 'name');
    const domainId = q(req, 'domain_id');
    const enabled = qBool(req, 'enabled');
    const rows = (await userProjects(db, u.id)).filter(
      (p) =>
        (name === undefined || p.name === name) &&
        (domainId === undefined || p.domainId === domainId) &&
        (enabled === undefined || p.enabled === enabled),
    );
    return { projects: rows.map((p) => projectView(req, p)), links: listLinks(req) };
  });

  app.get<{ Params: { id: string } }>('/v3/users/:id/groups', async (req) => {
    const u = await load(req, 'identity:list_groups_for_user');
    const name = q(req, 'name');
    const rows = (await groupsOfUser(db, u.id)).filter((g) => name === undefined || g.name === name);
    return {
      groups: rows.map((g) => ({ ...groupView(req, g), membership_expires_at: null })),
      links: listLinks(req),
    };
  });

  // Self-service password change. As in Keystone it needs no token (a user whose password
  // expired must be able to change it): the original password authenticates the call. A token,
  // when given, must be valid and pass identity:change_password.
  app.post<{ Params: { id: string } }>(
    '/v3/users/:id/password',
    { config: { auth: false } },
    async (req, reply) => {
      const caller = optionalCaller(ctx, req);
      if (caller) policy.authorize('identity:change_password', caller, { user: { id: req.params.id } });
      const { user: b } = parseBody(passwordChangeSchema, req.body);
      const u = await getUser(db, req.params.id);
      const usable = u?.passwordHash && !(u.lockedUntil && u.lockedUntil.getTime() > Date.now());
      if (!u || !usable) {
        await burnPasswordCheck(b.original_password, ctx.settings.scrypt);
        throw wrongPassword();
      }
      if (!(await verifyPassword(b.original_password, u.passwordHash!))) {
        await recordPasswordFailure(ctx, u);
        throw wrongPassword();
      }
      if (!u.enabled) throw wrongPassword();
      // Keystone's order: the pattern, then self-service, minimum age and history rules
      checkPasswordPattern(rules, b.password);
      checkSelfServiceAllowed(u.options);
      checkMinimumAge(rules, u);
      await checkPasswordHistory(rules, b.password, await recentPasswordHashes(db, u, rules.uniqueLastCount));
      // a password its owner chose needs no change upon first use
      const pw = await passwordColumns(ctx, b.password, u.options);
      await db.transaction(async (tx) => {
        await tx.update(users).set(pw).where(eq(users.id, u.id));
        await recordPassword(ctx, tx, u.id, pw);
      });
      await ctx.revoke({ userId: u.id });
      return reply.code(204).send();
    },
  );
}

const passwordChangeSchema = z.object({
  user: z.object({ password: passwordField, original_password: z.string().max(4096) }),
});

/** Wrong, unknown or locked: all alike, so the answer tells nothing about the account. */
const wrongPassword = () =>
  new KumoError('unauthenticated', 'Error when changing user password: invalid user or password.');

/** The caller of a route that does not require a token, when one is given. */
function optionalCaller(ctx: IdentityContext, req: FastifyRequest): TokenData | undefined {
  const header = req.headers['x-auth-token'];
  const token = Array.isArray(header) ? header[0] : header;
  if (!token) return undefined;
  const res = ctx.validator.validate(token);
  if (!res.ok) throw new KumoError('unauthenticated', 'The request you have made requires authentication.');
  return res.token;
}

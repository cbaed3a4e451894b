import { randomBytes } from 'node:crypto';
import {
  encodeToken,
  invalid,
  KumoError,
  type NamedRef,
  type RoleRef,
  type TokenData,
} from '@kumo/service-kit';
import { eq, sql } from 'drizzle-orm';
import type { IdentityContext } from '../context.js';
import { effectiveRoles, projectAncestors, type RoleTarget } from '../db/effective-roles.js';
import {
  findDomain,
  findProject,
  findUser,
  getDomain,
  getProject,
  getUser,
  type UserRow,
} from '../db/lookups.js';
import { applicationCredentials, users } from '../db/schema.js';
import { textArray } from '../db/sql-helpers.js';
import type { AuthRequest, UserRef } from './auth-request.js';
import { burnPasswordCheck, verifyPassword } from './passwords.js';

/** Every authentication failure looks the same: no user enumeration. */
const denied = (message = 'The request you have made requires authentication.') =>
  new KumoError('unauthenticated', message);

const newAuditId = () => randomBytes(16).toString('base64url').slice(0, 22);

interface Authenticated {
  user: UserRow;
  methods: string[];
  parent?: TokenData;
  appCred?: typeof applicationCredentials.$inferSelect;
}

async function checkUserUsable(ctx: IdentityContext, user: UserRow): Promise<void> {
  if (!user.enabled) throw denied();
  const domain = await getDomain(ctx.db, user.domainId);
  if (!domain?.enabled) throw denied();
}

async function recordFailure(ctx: IdentityContext, user: UserRow): Promise<void> {
  const { failures, seconds } = ctx.settings.lockout;
  if (failures <= 0) return;
  await ctx.db
    .update(users)
    .set({
      failedAuthCount: sql`${users.failedAuthCount} + 1`,
      lockedUntil: sql`CASE WHEN ${users.failedAuthCount} + 1 >= ${failures} THEN now() + make_interval(secs => ${seconds}) ELSE ${users.lockedUntil} END`,
    })
    .where(eq(users.id, user.id));
}

async function authenticatePassword(ctx: IdentityContext, ref: UserRef | undefined): Promise<UserRow> {
  if (!ref || (!ref.id && !ref.name))
    throw invalid("Invalid input for field 'identity.password.user': a user id or name is required.");
  if (ref.name && !ref.id && !ref.domain?.id && !ref.domain?.name)
    throw invalid(
      "Invalid input for field 'identity.password.user.domain': a user name needs a domain id or name.",
    );
  const password = ref.password ?? '';
  const user = await findUser(ctx.db, ref);
  if (!user?.passwordHash) {
    await burnPasswordCheck(password, ctx.settings.scrypt);
    throw denied();
  }
  if (user.lockedUntil && user.lockedUntil.getTime() > Date.now()) {
    await burnPasswordCheck(password, ctx.settings.scrypt);
    throw denied();
  }
  if (!(await verifyPassword(password, user.passwordHash))) {
    await recordFailure(ctx, user);
    throw denied();
  }
  if (user.passwordExpiresAt && user.passwordExpiresAt.getTime() <= Date.now())
    throw denied('The password is expired and needs to be changed.');
  if (user.failedAuthCount > 0 || user.lockedUntil)
    await ctx.db.update(users).set({ failedAuthCount: 0, lockedUntil: null }).where(eq(users.id, user.id));
  await checkUserUsable(ctx, user);
  return user;
}

async function authenticateAppCred(
  ctx: IdentityContext,
  body: NonNullable<AuthRequest['auth']['identity']['application_credential']>,
): Promise<Authenticated> {
  let row: typeof applicationCredentials.$inferSelect | undefined;
  if (body.id) {
    [row] = await ctx.db
      .select()
      .from(applicationCredentials)
      .where(eq(applicationCredentials.id, body.id))
      .limit(1);
  } else if (body.name && body.user) {
    const owner = await findUser(ctx.db, body.user);
    if (owner)
      [row] = await ctx.db
        .select()
        .from(applicationCredentials)
        .where(
          sql`${applicationCredentials.userId} = ${owner.id} AND ${applicationCredentials.name} = ${body.name}`,
        )
        .limit(1);
  } else {
    throw invalid(
      "Invalid input for field 'identity.application_credential': an id, or a name and a user, is required.",
    );
  }
  if (!row) {
    await burnPasswordCheck(body.secret, ctx.settings.scrypt);
    throw denied();
  }
  if (!(await verifyPassword(body.secret, row.secretHash))) throw denied();
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now())
    throw denied('The application credential has expired.');
  const user = await getUser(ctx.db, row.userId);
  if (!user) throw denied();
  await checkUserUsable(ctx, user);
  return { user, methods: ['application_credential'], appCred: row };
}

async function authenticate(ctx: IdentityContext, req: AuthRequest): Promise<Authenticated> {
  const ident = req.auth.identity;
  const methods = [...new Set(ident.methods)];
  if (methods.length !== 1) {
    throw denied('Kumo supports one authentication method per request.');
  }
  const method = methods[0]!;
  if (method === 'password') {
    if (!ident.password)
      throw invalid("Invalid input for field 'identity.password': required by method password.");
    return { user: await authenticatePassword(ctx, ident.password.user), methods: ['password'] };
  }
  if (method === 'token') {
    if (!ident.token) throw invalid("Invalid input for field 'identity.token': required by method token.");
    const res = ctx.validator.validate(ident.token.id);
    if (!res.ok) throw denied();
    if (res.token.applicationCredential)
      throw new KumoError('forbidden', 'A token made from an application credential cannot be rescoped.');
    const user = await getUser(ctx.db, res.token.user.id);
    if (!user) throw denied();
    await checkUserUsable(ctx, user);
    return { user, methods: [...new Set([...res.token.methods, 'token'])], parent: res.token };
  }
  if (method === 'application_credential') {
    if (!ident.application_credential)
      throw invalid(
        "Invalid input for field 'identity.application_credential': required by method application_credential.",
      );
    return authenticateAppCred(ctx, ident.application_credential);
  }
  throw denied(`Authentication method '${method}' is not supported.`);
}

type ScopeResolution =
  | { kind: 'unscoped' }
  | { kind: 'project'; project: NamedRef & { domain: NamedRef }; target: RoleTarget }
  | { kind: 'domain'; domain: NamedRef; target: RoleTarget }
  | { kind: 'system'; target: RoleTarget };

async function projectScope(
  ctx: IdentityContext,
  projectId: string | undefined,
  ref?: Parameters<typeof findProject>[1],
) {
  const project = projectId
    ? await getProject(ctx.db, projectId)
    : ref
      ? await findProject(ctx.db, ref)
      : undefined;
  if (!project) throw denied('Could not find the requested project, or you have no access to it.');
  const domain = await getDomain(ctx.db, project.domainId);
  if (!project.enabled || !domain?.enabled) throw denied('The requested project is disabled.');
  const ancestors = await projectAncestors(ctx.db, project.id);
  return {
    kind: 'project' as const,
    project: { id: project.id, name: project.name, domain: { id: domain.id, name: domain.name } },
    target: { type: 'project' as const, id: project.id, domainId: domain.id, ancestors },
  };
}

async function resolveScope(
  ctx: IdentityContext,
  req: AuthRequest,
  a: Authenticated,
): Promise<ScopeResolution> {
  const scope = req.auth.scope;
  if (a.appCred) {
    if (scope && scope !== 'unscoped' && (scope.domain || scope.system))
      throw denied('An application credential is scoped to its project.');
    if (scope && scope !== 'unscoped' && scope.project?.id && scope.project.id !== a.appCred.projectId)
      throw denied('An application credential is scoped to its project.');
    return projectScope(ctx, a.appCred.projectId);
  }
  if (scope === 'unscoped') return { kind: 'unscoped' };
  if (!scope) {
    // Keystone scopes to the user's default project when it can, else unscoped.
    if (a.parent) return { kind: 'unscoped' };
    if (a.user.defaultProjectId) {
      try {
        const s = await projectScope(ctx, a.user.defaultProjectId);
        const roles = await effectiveRoles(ctx.db, a.user.id, s.target);
        if (roles.length > 0) return s;
      } catch {
        /* a default project that is gone or disabled gives an unscoped token */
      }
    }
    return { kind: 'unscoped' };
  }
  const given = [scope.project, scope.domain, scope.system].filter(Boolean).length;
  if (given > 1) throw invalid('Specify only one of project, domain or system scope.');
  if (scope.project) {
    if (!scope.project.id && !scope.project.name)
      throw invalid("Invalid input for field 'scope.project': id or name is required.");
    if (!scope.project.id && !scope.project.domain?.id && !scope.project.domain?.name)
      throw invalid("Invalid input for field 'scope.project.domain': a project name needs a domain.");
    return projectScope(ctx, undefined, scope.project);
  }
  if (scope.domain) {
    if (!scope.domain.id && !scope.domain.name)
      throw invalid("Invalid input for field 'scope.domain': id or name is required.");
    const domain = await findDomain(ctx.db, scope.domain);
    if (!domain?.enabled) throw denied('Could not find the requested domain, or you have no access to it.');
    return {
      kind: 'domain',
      domain: { id: domain.id, name: domain.name },
      target: { type: 'domain', id: domain.id },
    };
  }
  if (scope.system) {
    if (!scope.system.all) throw invalid("Invalid input for field 'scope.system.all': must be true.");
    return { kind: 'system', target: { type: 'system' } };
  }
  return { kind: 'unscoped' };
}

/** Authenticate a POST /v3/auth/tokens body and make the token. */
export async function issueToken(
  ctx: IdentityContext,
  req: AuthRequest,
): Promise<{ token: string; data: TokenData }> {
  const a = await authenticate(ctx, req);
  const scope = await resolveScope(ctx, req, a);
  let roles: RoleRef[] = [];
  if (scope.kind !== 'unscoped') {
    roles = await effectiveRoles(ctx.db, a.user.id, scope.target);
    if (a.appCred) {
      const have = new Set(roles.map((r) => r.id));
      if (!a.appCred.roles.every((r) => have.has(r.id)))
        throw denied('The application credential holds a role its user no longer has.');
      roles = await effectiveImplied(ctx, a.appCred.roles);
    }
    if (roles.length === 0) throw denied('The user has no role on the requested scope.');
  }
  const domain = await getDomain(ctx.db, a.user.domainId);
  const now = Date.now();
  let expiresAt = a.parent ? a.parent.expiresAt : now + ctx.settings.tokenTtlSeconds * 1000;
  if (a.appCred?.expiresAt) expiresAt = Math.min(expiresAt, a.appCred.expiresAt.getTime());
  const auditId = newAuditId();
  const data: TokenData = {
    methods: a.methods,
    user: {
      id: a.user.id,
      name: a.user.name,
      domain: { id: a.user.domainId, name: domain?.name ?? a.user.domainId },
      passwordExpiresAt: a.user.passwordExpiresAt?.toISOString() ?? null,
    },
    roles,
    auditIds: a.parent ? [auditId, a.parent.auditIds[a.parent.auditIds.length - 1]!] : [auditId],
    issuedAt: now,
    expiresAt,
  };
  if (scope.kind === 'project') data.project = scope.project;
  if (scope.kind === 'domain') data.domain = scope.domain;
  if (scope.kind === 'system') data.system = true;
  if (a.appCred)
    data.applicationCredential = {
      id: a.appCred.id,
      name: a.appCred.name,
      restricted: !a.appCred.unrestricted,
    };
  return { token: encodeToken(ctx.keys(), data), data };
}

async function effectiveImplied(ctx: IdentityContext, granted: RoleRef[]): Promise<RoleRef[]> {
  if (granted.length === 0) return [];
  const res = await ctx.db.execute<{ id: string; name: string }>(sql`
    WITH RECURSIVE all_roles(role_id) AS (
      SELECT unnest(${textArray(granted.map((r) => r.id))})
      UNION
      SELECT ir.implied_role_id FROM identity.implied_roles ir JOIN all_roles ar ON ir.prior_role_id = ar.role_id
    )
    SELECT r.id, r.name FROM identity.roles r JOIN all_roles ar ON r.id = ar.role_id`);
  return res.rows;
}

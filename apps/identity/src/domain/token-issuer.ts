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
import { type AuthUser, findAuthUser } from '../db/auth-user.repo.js';
import { effectiveRoles } from '../db/effective-roles.js';
import { findDomain } from '../db/lookups.js';
import { projectScope } from '../db/project-scope.js';
import { applicationCredentials, users } from '../db/schema.js';
import { textArray } from '../db/sql-helpers.js';
import { recordPasswordFailure } from '../db/users.repo.js';
import type { AuthRequest, UserRef } from './auth-request.js';
import { burnPasswordCheck, verifyPassword } from './passwords.js';
import { scopeToTrust, type TrustScope, takeTrustUse } from './trust-token.js';

/** Every authentication failure looks the same: no user enumeration. */
const denied = (message = 'The request you have made requires authentication.') =>
  new KumoError('unauthenticated', message);

const newAuditId = () => randomBytes(16).toString('base64url').slice(0, 22);

type AppCredRow = typeof applicationCredentials.$inferSelect;

interface Authenticated {
  user: {
    id: string;
    name: string;
    domain: NamedRef;
    passwordExpiresAt: string | null;
    defaultProjectId: string | null;
  };
  methods: string[];
  parent?: TokenData;
  appCred?: AppCredRow;
}

const principal = (u: AuthUser): Authenticated['user'] => ({
  id: u.id,
  name: u.name,
  domain: { id: u.domainId, name: u.domainName },
  passwordExpiresAt: u.passwordExpiresAt?.toISOString() ?? null,
  defaultProjectId: u.defaultProjectId,
});

async function authenticatePassword(ctx: IdentityContext, ref: UserRef | undefined): Promise<AuthUser> {
  if (!ref || (!ref.id && !ref.name))
    throw invalid("Invalid input for field 'identity.password.user': a user id or name is required.");
  if (ref.name && !ref.id && !ref.domain?.id && !ref.domain?.name)
    throw invalid(
      "Invalid input for field 'identity.password.user.domain': a user name needs a domain id or name.",
    );
  const password = ref.password ?? '';
  const user = await findAuthUser(ctx.db, ref);
  const locked = user?.lockedUntil && user.lockedUntil.getTime() > Date.now();
  if (!user?.passwordHash || locked) {
    await burnPasswordCheck(password, ctx.settings.scrypt);
    throw denied();
  }
  if (!(await verifyPassword(password, user.passwordHash))) {
    await recordPasswordFailure(ctx, user);
    throw denied();
  }
  if (!user.enabled || !user.domainEnabled) throw denied();
  const expired = user.passwordExpiresAt && user.passwordExpiresAt.getTime() <= Date.now();
  if (expired && user.options.ignore_password_expiry !== true)
    throw denied('The password is expired and needs to be changed.');
  if (user.failedAuthCount > 0 || user.lockedUntil)
    await ctx.db.update(users).set({ failedAuthCount: 0, lockedUntil: null }).where(eq(users.id, user.id));
  return user;
}

async function authenticateAppCred(
  ctx: IdentityContext,
  body: NonNullable<AuthRequest['auth']['identity']['application_credential']>,
): Promise<Authenticated> {
  let row: AppCredRow | undefined;
  if (body.id) {
    [row] = await ctx.db
      .select()
      .from(applicationCredentials)
      .where(eq(applicationCredentials.id, body.id))
      .limit(1);
  } else if (body.name && body.user) {
    const owner = await findAuthUser(ctx.db, body.user);
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
  const user = await findAuthUser(ctx.db, { id: row.userId });
  if (!user?.enabled || !user.domainEnabled) throw denied();
  return { user: principal(user), methods: ['application_credential'], appCred: row };
}

async function authenticate(ctx: IdentityContext, req: AuthRequest): Promise<Authenticated> {
  const ident = req.auth.identity;
  const methods = [...new Set(ident.methods)];
  if (methods.length !== 1) throw denied('Kumo supports one authentication method per request.');
  const method = methods[0]!;
  if (method === 'password') {
    if (!ident.password)
      throw invalid("Invalid input for field 'identity.password': required by method password.");
    return { user: principal(await authenticatePassword(ctx, ident.password.user)), methods: ['password'] };
  }
  if (method === 'token') {
    if (!ident.token) throw invalid("Invalid input for field 'identity.token': required by method token.");
    const res = ctx.validator.validate(ident.token.id);
    // as Keystone: an expired or revoked token is TokenNotFound (404), not a failed authentication
    if (!res.ok && res.reason !== 'malformed')
      throw new KumoError('not_found', 'Could not find token.', { type: 'TokenNotFound' });
    if (!res.ok) throw denied();
    const t = res.token;
    if (t.applicationCredential)
      throw new KumoError('forbidden', 'A token made from an application credential cannot be rescoped.');
    if (t.trust)
      throw new KumoError(
        'forbidden',
        'Using trust-scoped token to create another token. Create a new trust-scoped token instead.',
      );
    // A valid, unrevoked token proves the user is still enabled: disabling or
    // deleting a user (or its domain) records a revocation event.
    return {
      user: { ...t.user, passwordExpiresAt: t.user.passwordExpiresAt ?? null, defaultProjectId: null },
      methods: [...new Set([...t.methods, 'token'])],
      parent: t,
    };
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

interface Scoped {
  project?: TokenData['project'];
  domain?: NamedRef;
  system?: true;
  roles: RoleRef[];
  trust?: TrustScope;
}

type ProjectRef = { id?: string; name?: string; domain?: { id?: string; name?: string } };

async function scopeToProject(ctx: IdentityContext, userId: string, ref: ProjectRef): Promise<Scoped> {
  const p = await projectScope(ctx.pool, userId, ref);
  if (!p) throw denied('Could not find the requested project, or you have no access to it.');
  if (!p.enabled || !p.domainEnabled) throw denied('The requested project is disabled.');
  return {
    project: { id: p.id, name: p.name, domain: { id: p.domainId, name: p.domainName } },
    roles: p.roles,
  };
}

async function resolveScope(
  ctx: IdentityContext,
  req: AuthRequest,
  a: Authenticated,
): Promise<Scoped | undefined> {
  const scope = req.auth.scope;
  const userId = a.user.id;
  if (a.appCred) {
    const other =
      scope &&
      scope !== 'unscoped' &&
      (scope.domain ||
        scope.system ||
        scope['OS-TRUST:trust'] ||
        (scope.project?.id && scope.project.id !== a.appCred.projectId));
    if (other) throw denied('An application credential is scoped to its project.');
    return scopeToProject(ctx, userId, { id: a.appCred.projectId });
  }
  if (scope === 'unscoped') return undefined;
  if (!scope) {
    // Keystone scopes to the user's default project when it can, else unscoped.
    if (!a.user.defaultProjectId) return undefined;
    const p = await projectScope(ctx.pool, userId, { id: a.user.defaultProjectId });
    if (!p?.enabled || !p.domainEnabled || p.roles.length === 0) return undefined;
    return scopeToProject(ctx, userId, { id: p.id });
  }
  const trust = scope['OS-TRUST:trust'];
  const given = [scope.project, scope.domain, scope.system, trust].filter(Boolean).length;
  if (given > 1) throw invalid('Specify only one of project, domain, system or OS-TRUST:trust scope.');
  if (trust) {
    const t = await scopeToTrust(ctx, userId, trust.id);
    return { project: t.project, roles: t.roles, trust: t };
  }
  if (scope.project) {
    if (!scope.project.id && !scope.project.name)
      throw invalid("Invalid input for field 'scope.project': id or name is required.");
    if (!scope.project.id && !scope.project.domain?.id && !scope.project.domain?.name)
      throw invalid("Invalid input for field 'scope.project.domain': a project name needs a domain.");
    return scopeToProject(ctx, userId, scope.project);
  }
  if (scope.domain) {
    if (!scope.domain.id && !scope.domain.name)
      throw invalid("Invalid input for field 'scope.domain': id or name is required.");
    const domain = await findDomain(ctx.db, scope.domain);
    if (!domain?.enabled) throw denied('Could not find the requested domain, or you have no access to it.');
    const roles = await effectiveRoles(ctx.db, userId, { type: 'domain', id: domain.id });
    return { domain: { id: domain.id, name: domain.name }, roles };
  }
  if (scope.system) {
    if (!scope.system.all) throw invalid("Invalid input for field 'scope.system.all': must be true.");
    return { system: true, roles: await effectiveRoles(ctx.db, userId, { type: 'system' }) };
  }
  return undefined;
}

/** The delegated roles of an application credential, with what they imply. */
async function delegatedRoles(
  ctx: IdentityContext,
  appCred: AppCredRow,
  current: RoleRef[],
): Promise<RoleRef[]> {
  const have = new Set(current.map((r) => r.id));
  if (!appCred.roles.every((r) => have.has(r.id)))
    throw denied('The application credential holds a role its user no longer has.');
  if (appCred.roles.length === 0) return [];
  const res = await ctx.db.execute<{ id: string; name: string }>(sql`
    WITH RECURSIVE all_roles(role_id) AS (
      SELECT unnest(${textArray(appCred.roles.map((r) => r.id))})
      UNION
      SELECT ir.implied_role_id FROM identity.implied_roles ir JOIN all_roles ar ON ir.prior_role_id = ar.role_id
    )
    SELECT r.id, r.name FROM identity.roles r JOIN all_roles ar ON r.id = ar.role_id
    WHERE r.domain_id IS NULL ORDER BY r.name`);
  return res.rows;
}

/** Authenticate a POST /v3/auth/tokens body and make the token. */
export async function issueToken(
  ctx: IdentityContext,
  req: AuthRequest,
): Promise<{ token: string; data: TokenData }> {
  const a = await authenticate(ctx, req);
  const scoped = await resolveScope(ctx, req, a);
  let roles: RoleRef[] = [];
  if (scoped) {
    roles = a.appCred ? await delegatedRoles(ctx, a.appCred, scoped.roles) : scoped.roles;
    // a trust without a project gives a token with no project and no role (Keystone)
    if (roles.length === 0 && !scoped.trust) throw denied('The user has no role on the requested scope.');
  }
  const now = Date.now();
  let expiresAt = a.parent ? a.parent.expiresAt : now + ctx.settings.tokenTtlSeconds * 1000;
  if (a.appCred?.expiresAt) expiresAt = Math.min(expiresAt, a.appCred.expiresAt.getTime());
  // a trust token cannot outlive its trust (Keystone finds the trust gone when validating)
  const trust = scoped?.trust;
  if (trust?.expiresAt) expiresAt = Math.min(expiresAt, trust.expiresAt);
  const auditId = newAuditId();
  const data: TokenData = {
    methods: a.methods,
    user: trust?.impersonated ?? {
      id: a.user.id,
      name: a.user.name,
      domain: a.user.domain,
      passwordExpiresAt: a.user.passwordExpiresAt,
    },
    roles,
    auditIds: a.parent ? [auditId, a.parent.auditIds[a.parent.auditIds.length - 1]!] : [auditId],
    issuedAt: now,
    expiresAt,
  };
  if (scoped?.project) data.project = scoped.project;
  if (scoped?.domain) data.domain = scoped.domain;
  if (scoped?.system) data.system = true;
  if (a.appCred)
    data.applicationCredential = {
      id: a.appCred.id,
      name: a.appCred.name,
      restricted: !a.appCred.unrestricted,
    };
  if (trust) {
    data.trust = trust.trust;
    await takeTrustUse(ctx, trust);
  }
  return { token: encodeToken(ctx.keys(), data), data };
}

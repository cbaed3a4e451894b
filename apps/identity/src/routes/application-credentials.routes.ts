import { randomBytes } from 'node:crypto';
import { callerOf, forbidden, invalid, notFound, type RoleRef, type TokenData } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import {
  type AccessRule,
  type AppCredRow,
  deleteAccessRule,
  deleteAppCred,
  getAccessRule,
  getAppCred,
  insertAppCred,
  listAccessRules,
  listAppCreds,
  roleByName,
  roleDomains,
  withImpliedRoles,
} from '../db/application-credentials.repo.js';
import { effectiveRoles, projectAncestors } from '../db/effective-roles.js';
import { storable } from '../db/regions.repo.js';
import { hashPassword } from '../domain/passwords.js';
import { parseBody } from '../http/body.js';
import { nameField, storeOrConflict } from '../http/guards.js';
import { baseUrl, listLinks, q } from '../http/views.js';

const METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'] as const;
const safe = (s: z.ZodString) => s.refine(storable, 'must not contain NUL characters');
/** Keystone's id_string: what role and access rule ids look like. */
const idString = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-zA-Z0-9-]+$/, 'must be letters, digits and dashes');
const roleRef = z
  .strictObject({ id: idString.optional(), name: safe(nameField(255)).optional() })
  .refine((r) => r.id !== undefined || r.name !== undefined, 'a role needs an id or a name');
/** A rule of the user by id, or by service, path and method (Keystone makes it when the user has none). */
const accessRuleIn = z
  .looseObject({
    id: idString.optional(),
    service: idString.optional(),
    path: safe(z.string().max(225).regex(/^\//, 'must start with /')).optional(),
    method: z.enum(METHODS).optional(),
  })
  .refine(
    (r) => r.id !== undefined || (r.service !== undefined && r.path !== undefined && r.method !== undefined),
    'an access rule needs an id, or a service, a path and a method',
  );
const createSchema = z.object({
  application_credential: z.strictObject({
    id: z.string().optional(),
    name: safe(nameField(255)),
    description: safe(z.string().max(65535)).nullable().optional(),
    secret: z.string().max(4096).nullable().optional(),
    expires_at: z.string().max(64).nullable().optional(),
    unrestricted: z.boolean().nullable().optional(),
    roles: z.array(roleRef).max(100).optional(),
    access_rules: z.array(accessRuleIn).max(100).optional(),
    project_id: z.string().optional(),
    system: z.string().nullable().optional(),
  }),
});
type Body = z.infer<typeof createSchema>['application_credential'];

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** An ISO 8601 time (UTC when it names no offset, as Keystone) → explicit-offset text and epoch ms. */
export function parseExpiry(s: string): { iso: string; ms: number } | undefined {
  const m = ISO_TIME.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec = '00', frac = '', tz = 'Z'] = m;
  const n = [y, mo, d, h, mi, sec].map(Number) as [number, number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(n[0], n[1] - 1, n[2]);
  if (date.getUTCMonth() !== n[1] - 1 || date.getUTCDate() !== n[2] || n[3] > 23 || n[4] > 59 || n[5] > 59)
    return undefined;
  let offsetMin = 0;
  if (tz.toUpperCase() !== 'Z') {
    const digits = tz.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 15 || om > 59) return undefined;
    offsetMin = (tz[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  date.setUTCHours(n[3], n[4], n[5], frac ? Math.floor(Number(`0${frac}`) * 1000) : 0);
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${sec}${frac}${tz.toUpperCase() === 'Z' ? '+00:00' : tz}`;
  return { iso, ms: date.getTime() - offsetMin * 60_000 };
}

function appCredView(req: FastifyRequest, a: AppCredRow, domains: Map<string, string | null>) {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    project_id: a.projectId,
    expires_at: a.expiresText,
    unrestricted: a.unrestricted,
    roles: a.roles.map((r) => ({ id: r.id, name: r.name, domain_id: domains.get(r.id) ?? null })),
    access_rules: a.accessRules.map(ruleFields),
    links: { self: `${baseUrl(req)}/v3/users/${a.userId}/application_credentials/${a.id}` },
  };
}

const ruleFields = (r: AccessRule): AccessRule => ({
  id: r.id,
  service: r.service,
  path: r.path,
  method: r.method,
});
const ruleView = (req: FastifyRequest, userId: string, r: AccessRule) => ({
  ...ruleFields(r),
  links: { self: `${baseUrl(req)}/v3/users/${userId}/access_rules/${r.id}` },
});

/** Keystone: a restricted application credential's token may not manage application credentials. */
function refuseRestricted(caller: TokenData): void {
  if (caller.applicationCredential?.restricted)
    throw forbidden(
      "Using method 'application_credential' is not allowed for managing additional application credentials.",
    );
}

const appCredInvalid = (detail: string) =>
  invalid(`Invalid application credential: ${detail}`, 'ApplicationCredentialValidationError');

export function applicationCredentialRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  /**
   * The roles the caller may delegate. Keystone recomputes a token's roles when
   * it validates it, so a role granted after the token was issued counts: use
   * the user's current roles on the project. A token made from an application
   * credential holds that credential's roles only.
   */
  const callerRoles = async (caller: TokenData, project: NonNullable<TokenData['project']>) => {
    if (caller.applicationCredential) return caller.roles;
    const ancestors = await projectAncestors(db, project.id);
    return effectiveRoles(db, caller.user.id, {
      type: 'project',
      id: project.id,
      domainId: project.domain.id,
      ancestors,
    });
  };

  /** The requested roles (by id or name) plus the roles they imply; the caller must hold each one. */
  const delegatedRoles = async (held: RoleRef[], requested: Body['roles']): Promise<RoleRef[]> => {
    if (!requested || requested.length === 0) return held;
    const ids: string[] = [];
    for (const r of requested) {
      if (r.id !== undefined) ids.push(r.id);
      else {
        const role = await roleByName(db, r.name!);
        if (!role) throw notFound('role', r.name);
        ids.push(role.id);
      }
    }
    const have = new Map(held.map((r) => [r.id, r]));
    const out: RoleRef[] = [];
    for (const id of await withImpliedRoles(db, [...new Set(ids)])) {
      const role = have.get(id);
      if (!role) throw appCredInvalid('Cannot create an application credential with unassigned role');
      out.push({ id: role.id, name: role.name });
    }
    return out;
  };

  const viewOf = async (req: FastifyRequest, rows: AppCredRow[]) => {
    const domains = await roleDomains(
      db,
      rows.flatMap((r) => r.roles.map((x) => x.id)),
    );
    return rows.map((r) => appCredView(req, r, domains));
  };

  /** The credential named by the path, authorized against its real owner (not the path's user). */
  const load = async (
    req: FastifyRequest<{ Params: { user_id: string; id: string } }>,
    action: string,
  ): Promise<AppCredRow> => {
    const row = await getAppCred(db, req.params.id);
    policy.authorize(action, callerOf(req), { user: { id: row?.userId ?? req.params.user_id } });
    if (!row || row.userId !== req.params.user_id)
      throw notFound('Application Credential', req.params.id, 'ApplicationCredentialNotFound');
    return row;
  };

  app.post<{ Params: { user_id: string } }>(
    '/v3/users/:user_id/application_credentials',
    async (req, reply) => {
      const caller = callerOf(req);
      const userId = req.params.user_id;
      policy.authorize('identity:create_application_credential', caller, { user: { id: userId } });
      refuseRestricted(caller);
      if (caller.user.id !== userId)
        throw forbidden('Cannot create an application credential for another user.');
      // as Keystone: delegated authority (a trust) cannot be turned into a standing credential
      if (caller.trust) throw forbidden('Cannot create an application credential with a trust-scoped token.');
      const { application_credential: b } = parseBody(createSchema, req.body);
      if (!caller.project)
        throw appCredInvalid(
          'an application credential is made with a project-scoped token, for that project',
        );
      let expiresAt: string | null = null;
      if (b.expires_at) {
        const exp = parseExpiry(b.expires_at);
        if (!exp)
          throw invalid(`Invalid input for field 'expires_at': not an ISO 8601 time: ${b.expires_at}`);
        if (exp.ms <= Date.now()) throw invalid("The 'expires_at' must not be before now.");
        expiresAt = exp.iso;
      }
      const held = await callerRoles(caller, caller.project);
      if (held.length === 0) throw forbidden('The caller holds no role on its project any more.');
      const roles = await delegatedRoles(held, b.roles);
      const secret = b.secret || randomBytes(64).toString('base64url');
      const row = await storeOrConflict('application_credential', async () =>
        insertAppCred(db, {
          name: b.name,
          userId,
          projectId: caller.project!.id,
          secretHash: await hashPassword(secret, ctx.settings.scrypt),
          description: b.description ?? null,
          expiresAt,
          unrestricted: b.unrestricted ?? false,
          roles,
          accessRules: b.access_rules ?? [],
        }),
      );
      const [view] = await viewOf(req, [row]);
      return reply.code(201).send({ application_credential: { ...view, secret } });
    },
  );

  app.get<{ Params: { user_id: string } }>('/v3/users/:user_id/application_credentials', async (req) => {
    policy.authorize('identity:list_application_credentials', callerOf(req), {
      user: { id: req.params.user_id },
    });
    const rows = await listAppCreds(db, req.params.user_id, q(req, 'name'));
    return { application_credentials: await viewOf(req, rows), links: listLinks(req) };
  });

  app.get<{ Params: { user_id: string; id: string } }>(
    '/v3/users/:user_id/application_credentials/:id',
    async (req) => {
      const row = await load(req, 'identity:get_application_credential');
      const [view] = await viewOf(req, [row]);
      return { application_credential: view };
    },
  );

  app.delete<{ Params: { user_id: string; id: string } }>(
    '/v3/users/:user_id/application_credentials/:id',
    async (req, reply) => {
      const row = await load(req, 'identity:delete_application_credential');
      refuseRestricted(callerOf(req));
      await deleteAppCred(db, row.id);
      await ctx.revoke({ applicationCredentialId: row.id });
      return reply.code(204).send();
    },
  );

  // --- access rules (GET list, GET one, DELETE one)
  const userTarget = (req: FastifyRequest<{ Params: { user_id: string } }>) => ({
    user: { id: req.params.user_id },
  });

  app.get<{ Params: { user_id: string } }>('/v3/users/:user_id/access_rules', async (req) => {
    policy.authorize('identity:list_access_rules', callerOf(req), userTarget(req));
    const shown = await listAccessRules(db, req.params.user_id, {
      service: q(req, 'service'),
      path: q(req, 'path'),
      method: q(req, 'method'),
    });
    return { access_rules: shown.map((r) => ruleView(req, req.params.user_id, r)), links: listLinks(req) };
  });

  app.get<{ Params: { user_id: string; id: string } }>('/v3/users/:user_id/access_rules/:id', async (req) => {
    policy.authorize('identity:get_access_rule', callerOf(req), userTarget(req));
    const rule = await getAccessRule(db, req.params.user_id, req.params.id);
    if (!rule) throw notFound('Access Rule', req.params.id, 'AccessRuleNotFound');
    return { access_rule: ruleView(req, req.params.user_id, rule) };
  });

  app.delete<{ Params: { user_id: string; id: string } }>(
    '/v3/users/:user_id/access_rules/:id',
    async (req, reply) => {
      policy.authorize('identity:delete_access_rule', callerOf(req), userTarget(req));
      const outcome = await deleteAccessRule(db, req.params.user_id, req.params.id);
      if (outcome === 'missing') throw notFound('Access Rule', req.params.id, 'AccessRuleNotFound');
      if (outcome === 'in_use') throw forbidden('May not delete access rule in use');
      return reply.code(204).send();
    },
  );
}

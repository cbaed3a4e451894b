import { callerOf, forbidden, invalid, notFound, type TokenData } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { effectiveRoles, projectAncestors } from '../db/effective-roles.js';
import { getProject, getUser } from '../db/lookups.js';
import { extraOf, storable } from '../db/regions.repo.js';
import { listRoles, type RoleRow } from '../db/roles.repo.js';
import {
  deleteTrustTree,
  getLiveTrust,
  insertTrust,
  listTrusts,
  rolesOfTrust,
  type TrustRow,
  type TrustWithRoles,
  trustPedigree,
} from '../db/trusts.repo.js';
import { parseBody } from '../http/body.js';
import { nameField } from '../http/guards.js';
import { baseUrl, listLinks, q, selfLink } from '../http/views.js';
import { roleView } from '../views/roles.view.js';
import { parseExpiry } from './application-credentials.routes.js';

/** Keystone's [trust] max_redelegation_count. */
export const MAX_REDELEGATION_COUNT = 3;
const INT4_MAX = 2_147_483_647;

const userId = z.string().min(1).max(64).refine(storable, 'must not contain NUL characters');
/** Keystone's id_string. */
const roleId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-zA-Z0-9-]+$/, 'must be letters, digits and dashes');
const roleRef = z
  .strictObject({ id: roleId.optional(), name: nameField(255).refine(storable).optional() })
  .refine(
    (r) => (r.id === undefined) !== (r.name === undefined),
    'a role is named by exactly one of id, name',
  );
const createSchema = z.strictObject({
  trust: z.looseObject({
    trustor_user_id: userId,
    trustee_user_id: userId,
    impersonation: z.boolean(),
    project_id: userId.nullable().optional(),
    roles: z.array(roleRef).max(100).optional(),
    expires_at: z.string().max(64).nullable().optional(),
    remaining_uses: z.number().int().min(1).max(INT4_MAX).nullable().optional(),
    allow_redelegation: z.boolean().nullable().optional(),
    redelegation_count: z.number().int().min(0).max(INT4_MAX).nullable().optional(),
  }),
});
type Body = z.infer<typeof createSchema>['trust'];

const KNOWN = new Set([
  'id',
  'trustor_user_id',
  'trustee_user_id',
  'impersonation',
  'project_id',
  'roles',
  'roles_links',
  'expires_at',
  'remaining_uses',
  'allow_redelegation',
  'redelegation_count',
  'redelegated_trust_id',
  'deleted_at',
  'links',
]);

const trustPath = (id: string) => `/v3/OS-TRUST/trusts/${id}`;

function trustView(req: FastifyRequest, t: TrustRow, roles?: RoleRow[]) {
  const view: Record<string, unknown> = {
    ...t.extra,
    id: t.id,
    trustor_user_id: t.trustorUserId,
    trustee_user_id: t.trusteeUserId,
    project_id: t.projectId,
    impersonation: t.impersonation,
    expires_at: t.expiresText,
    remaining_uses: t.remainingUses,
    redelegated_trust_id: t.redelegatedTrustId,
    redelegation_count: t.redelegationCount,
    deleted_at: null,
    links: selfLink(req, trustPath(t.id)),
  };
  if (roles) {
    view.roles = roles.map((r) => roleView(req, r));
    view.roles_links = { self: `${baseUrl(req)}${trustPath(t.id)}/roles`, previous: null, next: null };
  }
  return view;
}

/** Keystone blocks application credential tokens from every trust operation. */
function refuseAppCred(caller: TokenData): void {
  if (caller.applicationCredential)
    throw forbidden("Using method 'application_credential' is not allowed for managing trusts.");
}

const trustTarget = (t: TrustRow) => ({
  trust: { trustor_user_id: t.trustorUserId, trustee_user_id: t.trusteeUserId },
});

/**
 * Keystone's create_trust rules for redelegation: a redelegatable trust has a
 * depth (redelegation_count) and no use limit; a trust made with a
 * trust-scoped token continues that trust's chain, never widening it.
 */
function redelegation(
  b: Body,
  roleIds: string[],
  expiry: { iso: string; ms: number } | null,
  chain: TrustWithRoles[],
): { count: number; expiry: { iso: string; ms: number } | null } {
  const requested = b.redelegation_count ?? undefined;
  const redelegatable = b.allow_redelegation === true && requested !== 0;
  let count: number | undefined;
  if (!redelegatable) count = 0;
  else {
    if (requested !== undefined && requested > MAX_REDELEGATION_COUNT)
      throw forbidden(
        `Requested redelegation depth of ${requested} is greater than allowed ${MAX_REDELEGATION_COUNT}.`,
      );
    if (b.remaining_uses != null)
      throw invalid('remaining_uses must not be set if redelegation is allowed', 'ValidationError');
  }
  const parent = chain[0];
  if (!parent) return { count: count ?? requested ?? MAX_REDELEGATION_COUNT, expiry };
  const remaining = (parent.redelegationCount ?? 0) - 1;
  if (redelegatable && requested && requested !== remaining)
    throw forbidden(
      'Modifying "redelegation_count" upon redelegation is forbidden. Omitting this parameter is advised.',
    );
  count ??= remaining;
  let exp = expiry;
  for (const t of chain) {
    const depth = t.redelegationCount ?? 0;
    if (!(depth > 0 && depth <= MAX_REDELEGATION_COUNT))
      throw forbidden(
        `Remaining redelegation depth of ${depth} out of allowed range of [0..${MAX_REDELEGATION_COUNT}].`,
      );
    if (b.remaining_uses != null)
      throw forbidden('Field "remaining_uses" must not be set in order to redelegate a trust.');
    if (t.expiresAt) {
      if (exp && t.expiresAt.getTime() < exp.ms)
        throw forbidden('Requested expiration time is more than redelegated trust can provide.');
      exp ??= { iso: t.expiresText!, ms: t.expiresAt.getTime() };
    }
    const parentRoles = new Set(t.roleIds);
    if (!roleIds.every((id) => parentRoles.has(id)))
      throw forbidden('Some of requested roles are not in redelegated trust.');
    if (!t.impersonation && b.impersonation)
      throw forbidden(
        `Impersonation is not allowed because redelegated trust does not specify impersonation. Redelegated trust id: ${t.id}`,
      );
  }
  return { count, expiry: exp };
}

export function trustRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  /** The trust of the path: a deleted, expired or used-up one is a 404 (Keystone), then the policy. */
  const load = async (req: FastifyRequest<{ Params: { id: string } }>, action: string) => {
    const t = await getLiveTrust(db, req.params.id);
    if (!t) throw notFound('trust', req.params.id, 'TrustNotFound');
    const caller = callerOf(req);
    policy.authorize(action, caller, trustTarget(t));
    refuseAppCred(caller);
    return t;
  };

  /** Role ids from ids or names (a name must name a global role). */
  const roleIdsOf = async (refs: NonNullable<Body['roles']>): Promise<string[]> => {
    const ids: string[] = [];
    for (const r of refs) {
      if (r.id !== undefined) ids.push(r.id);
      else {
        const [role] = await listRoles(db, { name: r.name! });
        if (!role) throw notFound('role', r.name, 'RoleNotFound');
        ids.push(role.id);
      }
    }
    return [...new Set(ids)];
  };

  app.post('/v3/OS-TRUST/trusts', async (req, reply) => {
    const caller = callerOf(req);
    const { trust: b } = parseBody(createSchema, req.body);
    policy.authorize('identity:create_trust', caller, { trust: { trustor_user_id: b.trustor_user_id } });
    refuseAppCred(caller);
    const projectId = b.project_id ?? null;
    if (projectId && (b.roles ?? []).length === 0) throw forbidden('At least one role should be specified.');
    if (caller.user.id !== b.trustor_user_id)
      throw forbidden('The authenticated user should match the trustor.');
    if (!(await getUser(db, b.trustee_user_id))) throw notFound('user', b.trustee_user_id, 'UserNotFound');
    const roleIds = await roleIdsOf(b.roles ?? []);

    // the trustor must hold every role (directly, by group, inherited or implied) on the project
    let held = new Set<string>();
    if (projectId) {
      const project = await getProject(db, projectId);
      if (!project) throw notFound('project', projectId, 'ProjectNotFound');
      const roles = await effectiveRoles(db, b.trustor_user_id, {
        type: 'project',
        id: project.id,
        domainId: project.domainId,
        ancestors: await projectAncestors(db, project.id),
      });
      held = new Set(roles.map((r) => r.id));
    }
    const missing = roleIds.find((id) => !held.has(id));
    if (missing !== undefined) throw notFound('role', missing, 'RoleNotFound');

    let expiry: { iso: string; ms: number } | null = null;
    if (b.expires_at != null) {
      expiry = parseExpiry(b.expires_at) ?? null;
      if (!expiry)
        throw invalid(
          `Invalid input for field 'expires_at': not an ISO 8601 time: ${b.expires_at}`,
          'ValidationTimeStampError',
        );
      if (expiry.ms <= Date.now())
        throw invalid("The 'expires_at' must not be before now.", 'ValidationExpirationError');
    }

    // a trust-scoped token may only continue its own trust's chain
    let chain: TrustWithRoles[] = [];
    if (caller.trust) {
      const parent = await getLiveTrust(db, caller.trust.id);
      if (!parent) throw notFound('trust', caller.trust.id, 'TrustNotFound');
      chain = await trustPedigree(db, parent.id);
    }
    const r = redelegation(b, roleIds, expiry, chain);
    const row = await insertTrust(db, {
      trustorUserId: b.trustor_user_id,
      trusteeUserId: b.trustee_user_id,
      projectId,
      impersonation: b.impersonation,
      expiresAt: r.expiry?.iso ?? null,
      remainingUses: b.remaining_uses ?? null,
      redelegationCount: r.count,
      redelegatedTrustId: chain[0]?.id ?? null,
      extra: extraOf(b, KNOWN),
      roleIds,
    });
    return reply.code(201).send({ trust: trustView(req, row, await rolesOfTrust(db, row.id)) });
  });

  app.get('/v3/OS-TRUST/trusts', async (req) => {
    const caller = callerOf(req);
    const trustorUserId = q(req, 'trustor_user_id');
    const trusteeUserId = q(req, 'trustee_user_id');
    if (trustorUserId !== undefined)
      policy.authorize('identity:list_trusts_for_trustor', caller, {
        trust: { trustor_user_id: trustorUserId },
      });
    else if (trusteeUserId !== undefined)
      policy.authorize('identity:list_trusts_for_trustee', caller, {
        trust: { trustee_user_id: trusteeUserId },
      });
    else policy.authorize('identity:list_trusts', caller);
    refuseAppCred(caller);
    const rows = await listTrusts(db, { trustorUserId, trusteeUserId });
    return { trusts: rows.map((t) => trustView(req, t)), links: listLinks(req) };
  });

  app.get<{ Params: { id: string } }>('/v3/OS-TRUST/trusts/:id', async (req) => {
    const t = await load(req, 'identity:get_trust');
    return { trust: trustView(req, t, await rolesOfTrust(db, t.id)) };
  });

  app.delete<{ Params: { id: string } }>('/v3/OS-TRUST/trusts/:id', async (req, reply) => {
    const t = await load(req, 'identity:delete_trust');
    // the trusts redelegated from it go too; tokens issued from any of them stop working
    for (const id of await deleteTrustTree(db, t.id)) await ctx.revoke({ trustId: id });
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>('/v3/OS-TRUST/trusts/:id/roles', async (req) => {
    const t = await load(req, 'identity:list_roles_for_trust');
    const roles = await rolesOfTrust(db, t.id);
    return {
      roles: roles.map((r) => roleView(req, r)),
      links: { self: `${baseUrl(req)}${trustPath(t.id)}/roles`, previous: null, next: null },
    };
  });

  // HEAD is Fastify's automatic HEAD of this GET (same checks, no body).
  app.get<{ Params: { id: string; role_id: string } }>(
    '/v3/OS-TRUST/trusts/:id/roles/:role_id',
    async (req) => {
      const t = await load(req, 'identity:get_role_for_trust');
      const role = (await rolesOfTrust(db, t.id)).find((r) => r.id === req.params.role_id);
      if (!role) throw notFound('role', req.params.role_id, 'RoleNotFound');
      return { role: roleView(req, role) };
    },
  );
}

import { callerOf, forbidden, invalid, notFound } from '@kumo/service-kit';
import { and, eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { getDomain } from '../db/lookups.js';
import {
  getInference,
  getRole,
  inferenceMap,
  listRoles,
  type RoleRow,
  rolesByIds,
  wouldCycle,
} from '../db/roles.repo.js';
import { impliedRoles, roles } from '../db/schema.js';
import { newId } from '../domain/ids.js';
import { parseBody } from '../http/body.js';
import { descriptionField, found, idField, nameField, storeOrConflict } from '../http/guards.js';
import { baseUrl, listLinks, q, selfLink } from '../http/views.js';
import { inferenceRoleView, roleView } from '../views/roles.view.js';

/** Keystone's [assignment] prohibited_implied_role default. */
const PROHIBITED_IMPLIED = new Set(['admin']);

const options = z.strictObject({ immutable: z.boolean().nullable().optional() });
const roleFields = {
  domain_id: idField.nullable().optional(),
  description: descriptionField.optional(),
  options: options.optional(),
};
const createSchema = z.object({ role: z.looseObject({ name: nameField(255), ...roleFields }) });
const updateSchema = z.object({
  role: z
    .looseObject({ name: nameField(255).optional(), ...roleFields })
    .refine((r) => Object.keys(r).length > 0, 'the role must name at least one attribute'),
});

const KNOWN = new Set(['id', 'name', 'domain_id', 'description', 'options', 'links']);
const extraOf = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !KNOWN.has(k)));

/** Options merge as in Keystone: null removes an option. */
function mergeOptions(
  cur: Record<string, unknown>,
  next: Record<string, boolean | null | undefined> | undefined,
): Record<string, unknown> {
  const out = { ...cur };
  for (const [k, v] of Object.entries(next ?? {})) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = v;
  }
  return out;
}

const isImmutable = (r: RoleRow) => r.options.immutable === true;

type RoleParams = { Params: { id: string } };
type InferenceParams = { Params: { id: string; implied: string } };

export function roleRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  const inferenceBody = (req: FastifyRequest, prior: RoleRow, implied: RoleRow) => ({
    role_inference: { prior_role: inferenceRoleView(req, prior), implies: inferenceRoleView(req, implied) },
    links: selfLink(req, `/v3/roles/${prior.id}/implies/${implied.id}`),
  });

  app.get('/v3/roles', async (req) => {
    policy.authorize('identity:list_roles', callerOf(req));
    const rows = await listRoles(db, { name: q(req, 'name'), domainId: q(req, 'domain_id') });
    return { roles: rows.map((r) => roleView(req, r)), links: listLinks(req) };
  });

  app.post('/v3/roles', async (req, reply) => {
    policy.authorize('identity:create_role', callerOf(req));
    const { role: b } = parseBody(createSchema, req.body);
    if (b.domain_id) found(await getDomain(db, b.domain_id), 'domain', b.domain_id);
    const [row] = await storeOrConflict('role', () =>
      db
        .insert(roles)
        .values({
          id: newId(),
          name: b.name,
          domainId: b.domain_id ?? null,
          description: b.description ?? null,
          options: mergeOptions({}, b.options),
          extra: extraOf(b),
        })
        .returning(),
    );
    return reply.code(201).send({ role: roleView(req, row!) });
  });

  app.get<RoleParams>('/v3/roles/:id', async (req) => {
    policy.authorize('identity:get_role', callerOf(req));
    const r = found(await getRole(db, req.params.id), 'role', req.params.id);
    return { role: roleView(req, r) };
  });

  app.patch<RoleParams>('/v3/roles/:id', async (req) => {
    policy.authorize('identity:update_role', callerOf(req));
    const { role: b } = parseBody(updateSchema, req.body);
    const cur = found(await getRole(db, req.params.id), 'role', req.params.id);
    if (b.id !== undefined && b.id !== cur.id) throw invalid('The role id cannot be changed.');
    if (b.domain_id !== undefined && b.domain_id !== cur.domainId)
      throw invalid('Update of `domain_id` is not allowed.');
    if (isImmutable(cur)) {
      const onlyUnlocks =
        Object.keys(b).every((k) => k === 'options' || k === 'id') &&
        b.options !== undefined &&
        b.options.immutable !== true;
      if (!onlyUnlocks) throw forbidden(`Unable to update immutable role ${cur.id}.`);
    }
    const [row] = await storeOrConflict('role', () =>
      db
        .update(roles)
        .set({
          name: b.name ?? cur.name,
          description: b.description === undefined ? cur.description : b.description,
          options: mergeOptions(cur.options, b.options),
          extra: { ...cur.extra, ...extraOf(b) },
        })
        .where(eq(roles.id, cur.id))
        .returning(),
    );
    return { role: roleView(req, row!) };
  });

  app.delete<RoleParams>('/v3/roles/:id', async (req, reply) => {
    policy.authorize('identity:delete_role', callerOf(req));
    const cur = found(await getRole(db, req.params.id), 'role', req.params.id);
    if (isImmutable(cur)) throw forbidden(`Unable to delete immutable role ${cur.id}.`);
    // assignments and inference rules go with the role (ON DELETE CASCADE)
    await db.delete(roles).where(eq(roles.id, cur.id));
    await ctx.revoke({ roleId: cur.id });
    return reply.code(204).send();
  });

  // --- implied roles (role inference rules)
  app.get<RoleParams>('/v3/roles/:id/implies', async (req) => {
    policy.authorize('identity:list_implied_roles', callerOf(req));
    const prior = found(await getRole(db, req.params.id), 'role', req.params.id);
    const implied = await rolesByIds(db, (await inferenceMap(db)).get(prior.id) ?? []);
    return {
      role_inference: {
        prior_role: inferenceRoleView(req, prior),
        implies: implied.map((r) => inferenceRoleView(req, r)),
      },
      links: selfLink(req, `/v3/roles/${prior.id}/implies`),
    };
  });

  // GET answers HEAD too (Fastify adds it); Keystone's check answers 204
  app.get<InferenceParams>('/v3/roles/:id/implies/:implied', async (req, reply) => {
    policy.authorize('identity:list_implied_roles', callerOf(req));
    const prior = found(await getRole(db, req.params.id), 'role', req.params.id);
    const implied = found(await getRole(db, req.params.implied), 'role', req.params.implied);
    if (!(await getInference(db, prior.id, implied.id)))
      throw notFound(`Could not find implied role: ${prior.id} implies ${implied.id}.`);
    if (req.method === 'HEAD') return reply.code(204).send();
    return inferenceBody(req, prior, implied);
  });

  app.put<InferenceParams>('/v3/roles/:id/implies/:implied', async (req, reply) => {
    policy.authorize('identity:implied_roles', callerOf(req));
    const prior = found(await getRole(db, req.params.id), 'role', req.params.id);
    const implied = found(await getRole(db, req.params.implied), 'role', req.params.implied);
    if (PROHIBITED_IMPLIED.has(implied.name)) throw forbidden(`${implied.id} cannot be an implied roles.`);
    if (prior.domainId === null && implied.domainId !== null)
      throw forbidden('Global role cannot imply a domain-specific role');
    if (await wouldCycle(db, prior.id, implied.id))
      throw invalid(`Role ${prior.id} implying ${implied.id} would create a cycle of implied roles.`);
    await storeOrConflict('implied_role', () =>
      db.insert(impliedRoles).values({ priorRoleId: prior.id, impliedRoleId: implied.id }),
    );
    return reply.code(201).send(inferenceBody(req, prior, implied));
  });

  app.delete<InferenceParams>('/v3/roles/:id/implies/:implied', async (req, reply) => {
    policy.authorize('identity:implied_roles', callerOf(req));
    const prior = found(await getRole(db, req.params.id), 'role', req.params.id);
    const implied = found(await getRole(db, req.params.implied), 'role', req.params.implied);
    const gone = await db
      .delete(impliedRoles)
      .where(and(eq(impliedRoles.priorRoleId, prior.id), eq(impliedRoles.impliedRoleId, implied.id)))
      .returning();
    if (gone.length === 0) {
      throw notFound(`Could not find implied role: ${prior.id} implies ${implied.id}.`);
    }
    // tokens carrying the prior role were given the implied one too
    await ctx.revoke({ roleId: prior.id });
    return reply.code(204).send();
  });

  app.get('/v3/role_inferences', async (req) => {
    policy.authorize('identity:list_implied_roles', callerOf(req));
    const rules = await inferenceMap(db);
    const ids = new Set<string>();
    for (const [prior, implied] of rules) {
      ids.add(prior);
      for (const i of implied) ids.add(i);
    }
    const byId = new Map((await rolesByIds(db, [...ids])).map((r) => [r.id, r]));
    const role_inferences = [...rules].flatMap(([priorId, impliedIds]) => {
      const prior = byId.get(priorId);
      if (!prior) return [];
      return [
        {
          prior_role: inferenceRoleView(req, prior),
          implies: impliedIds.flatMap((i) => {
            const r = byId.get(i);
            return r ? [inferenceRoleView(req, r)] : [];
          }),
        },
      ];
    });
    return {
      role_inferences,
      links: { self: `${baseUrl(req)}/v3/role_inferences`, previous: null, next: null },
    };
  });
}

import { callerOf, conflict, invalid, notFound } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ComputeContext } from '../context.js';
import { addFlavorAccess, flavorAccess, getFlavor, removeFlavorAccess } from '../db/flavors.repo.js';
import { parseBody } from '../http/nova-request.js';
import { accessActionSchema } from './flavors.schemas.js';

type IdParams = { Params: { id: string } };

/** `os-flavor-access`: which projects may use a private flavor (admin). */
export function flavorAccessRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const { db, policy } = ctx;
  const accessList = async (flavorId: string) => ({
    flavor_access: (await flavorAccess(db, flavorId)).map((p) => ({ flavor_id: flavorId, tenant_id: p })),
  });

  app.get<IdParams>('/v2.1/flavors/:id/os-flavor-access', async (req) => {
    policy.authorize('os_compute_api:os-flavor-access', callerOf(req));
    const f = await getFlavor(db, req.params.id);
    if (f.isPublic) throw notFound('Access list not available for public flavors.');
    return accessList(f.id);
  });

  app.post<IdParams>('/v2.1/flavors/:id/action', async (req) => {
    const t = callerOf(req);
    const body = req.body as Record<string, unknown> | undefined;
    if (
      !body ||
      typeof body !== 'object' ||
      (!('addTenantAccess' in body) && !('removeTenantAccess' in body))
    )
      throw invalid('Unknown flavor action: expected addTenantAccess or removeTenantAccess.');
    const action = parseBody(accessActionSchema, body);
    if ('addTenantAccess' in action) {
      policy.authorize('os_compute_api:os-flavor-access:add_tenant_access', t);
      const tenant = action.addTenantAccess.tenant;
      const f = await getFlavor(db, req.params.id);
      if (f.isPublic) throw conflict('Can not add access to a public flavor.');
      if (!(await addFlavorAccess(db, f.id, tenant)))
        throw conflict(`Flavor access already exists for flavor ${f.id} and project ${tenant} combination.`);
      return accessList(f.id);
    }
    policy.authorize('os_compute_api:os-flavor-access:remove_tenant_access', t);
    const tenant = action.removeTenantAccess.tenant;
    const f = await getFlavor(db, req.params.id);
    if (!(await removeFlavorAccess(db, f.id, tenant)))
      throw notFound(`Flavor access not found for ${f.id} / ${tenant} combination.`);
    return accessList(f.id);
  });
}

import { callerOf, invalid, notFound } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { deleteExtraSpec, extraSpecsOf, getFlavor, setExtraSpecs } from '../db/flavors.repo.js';
import { validateExtraSpec } from '../domain/flavor-extra-specs.js';
import { atLeast } from '../http/microversion.js';
import { parseBody } from '../http/nova-request.js';
import { isAdmin } from './flavors.routes.js';
import { extraSpecsSchema, oneExtraSpecSchema } from './flavors.schemas.js';

type IdParams = { Params: { id: string } };
type KeyParams = { Params: { id: string; key: string } };

/** `os-extra_specs`: readable by whoever sees the flavor, written by admins. */
export function flavorExtraSpecRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const { db, policy } = ctx;
  const visible = async (req: FastifyRequest, id: string) => {
    const t = callerOf(req);
    return getFlavor(db, id, isAdmin(ctx, t) ? undefined : (t.project?.id ?? ''));
  };
  const specsOf = async (id: string) => (await extraSpecsOf(db, [id])).get(id) ?? {};
  const noKey = (id: string, key: string) => notFound(`Flavor ${id} has no extra specs with key ${key}.`);

  app.get<IdParams>('/v2.1/flavors/:id/os-extra_specs', async (req) => {
    policy.authorize('os_compute_api:os-flavor-extra-specs:index', callerOf(req));
    const f = await visible(req, req.params.id);
    return { extra_specs: await specsOf(f.id) };
  });

  app.post<IdParams>('/v2.1/flavors/:id/os-extra_specs', async (req) => {
    policy.authorize('os_compute_api:os-flavor-extra-specs:create', callerOf(req));
    const { extra_specs } = parseBody(extraSpecsSchema, req.body);
    if (atLeast(req, '2.86')) for (const [k, v] of Object.entries(extra_specs)) validateExtraSpec(k, v);
    await getFlavor(db, req.params.id);
    await setExtraSpecs(db, req.params.id, extra_specs);
    return { extra_specs };
  });

  app.get<KeyParams>('/v2.1/flavors/:id/os-extra_specs/:key', async (req) => {
    policy.authorize('os_compute_api:os-flavor-extra-specs:show', callerOf(req));
    const f = await visible(req, req.params.id);
    const specs = await specsOf(f.id);
    if (!Object.hasOwn(specs, req.params.key)) throw noKey(f.id, req.params.key);
    return { [req.params.key]: specs[req.params.key] };
  });

  app.put<KeyParams>('/v2.1/flavors/:id/os-extra_specs/:key', async (req) => {
    policy.authorize('os_compute_api:os-flavor-extra-specs:update', callerOf(req));
    const body = parseBody(oneExtraSpecSchema, req.body);
    const [key, value] = Object.entries(body)[0]!;
    if (key !== req.params.key) throw invalid('Request body and URI mismatch');
    if (atLeast(req, '2.86')) validateExtraSpec(key, value);
    await getFlavor(db, req.params.id);
    await setExtraSpecs(db, req.params.id, { [key]: value });
    return { [key]: value };
  });

  app.delete<KeyParams>('/v2.1/flavors/:id/os-extra_specs/:key', async (req, reply) => {
    policy.authorize('os_compute_api:os-flavor-extra-specs:delete', callerOf(req));
    const f = await getFlavor(db, req.params.id);
    if (!(await deleteExtraSpec(db, f.id, req.params.key))) throw noKey(f.id, req.params.key);
    return reply.code(200).send();
  });
}

import { randomUUID } from 'node:crypto';
import { callerOf, invalid, KumoError, type TokenData } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import {
  createFlavor,
  deleteFlavor,
  extraSpecsOf,
  FLAVOR_SORT_KEYS,
  type FlavorSortKey,
  getFlavor,
  listFlavors,
  updateFlavorDescription,
} from '../db/flavors.repo.js';
import { atLeast } from '../http/microversion.js';
import { nextLinks, paging, parseBody, q } from '../http/nova-request.js';
import { flavorDetail, flavorSummary } from '../views/flavors.view.js';
import { createFlavorSchema, updateFlavorSchema } from './flavors.schemas.js';

type IdParams = { Params: { id: string } };

export const isAdmin = (ctx: ComputeContext, t: TokenData) => ctx.policy.enforce('admin_api', t);

/** `is_public` for an admin: absent → public (+ own project's), `none` → all, else a strict boolean. */
function parseIsPublic(v: string | undefined): boolean | null {
  if (v === undefined) return true;
  const s = v.trim().toLowerCase();
  if (s === 'none') return null;
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(s)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(s)) return false;
  throw invalid(`Invalid is_public filter [${v}]`);
}

function intFilter(req: FastifyRequest, name: string): number | undefined {
  const v = q(req, name);
  if (v === undefined) return undefined;
  if (!/^\s*-?\d{1,10}\s*$/.test(v)) throw invalid(`Invalid ${name} filter [${v}]`);
  return Number(v);
}

/** Flavors: list/detail/show for everyone (private ones only where shared), manage for admins. */
export function flavorRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const { db, policy } = ctx;

  /** The caller's project when it may only see public and shared flavors; undefined for admins. */
  const scopeOf = (req: FastifyRequest) => {
    const t = callerOf(req);
    return isAdmin(ctx, t) ? undefined : (t.project?.id ?? '');
  };

  const list = async (req: FastifyRequest, detail: boolean) => {
    const t = callerOf(req);
    const admin = isAdmin(ctx, t);
    const sortKey = q(req, 'sort_key') ?? 'flavorid';
    if (!FLAVOR_SORT_KEYS.includes(sortKey as FlavorSortKey))
      throw invalid(`Invalid sort_key '${sortKey}': one of ${FLAVOR_SORT_KEYS.join(', ')}.`);
    const sortDir = (q(req, 'sort_dir') ?? 'asc').toLowerCase();
    if (sortDir !== 'asc' && sortDir !== 'desc') throw invalid(`Invalid sort_dir '${sortDir}': asc or desc.`);
    const { limit, marker } = paging(req);
    const rows = await listFlavors(db, {
      isPublic: admin ? parseIsPublic(q(req, 'is_public')) : true,
      projectId: t.project?.id,
      minRam: intFilter(req, 'minRam'),
      minDisk: intFilter(req, 'minDisk'),
      sortKey: sortKey as FlavorSortKey,
      sortDir,
      limit,
      marker,
    });
    const specs =
      detail && atLeast(req, '2.61')
        ? await extraSpecsOf(
            db,
            rows.map((r) => r.id),
          )
        : undefined;
    const links = nextLinks(req, rows.length, limit, rows.at(-1)?.id);
    return {
      flavors: rows.map((r) => (detail ? flavorDetail(req, r, specs?.get(r.id)) : flavorSummary(req, r))),
      ...(links ? { flavors_links: links } : {}),
    };
  };

  const withSpecs = async (req: FastifyRequest, id: string) => {
    const row = await getFlavor(db, id, scopeOf(req));
    const specs = atLeast(req, '2.61') ? (await extraSpecsOf(db, [id])).get(id) : undefined;
    return { flavor: flavorDetail(req, row, specs) };
  };

  app.get('/v2.1/flavors', async (req) => list(req, false));
  app.get('/v2.1/flavors/detail', async (req) => list(req, true));
  app.get<IdParams>('/v2.1/flavors/:id', async (req) => withSpecs(req, req.params.id));

  app.post('/v2.1/flavors', async (req) => {
    policy.authorize('os_compute_api:os-flavor-manage:create', callerOf(req));
    const { flavor: b } = parseBody(createFlavorSchema(atLeast(req, '2.55')), req.body);
    const id = b.id === undefined || b.id === null || b.id === 'auto' ? randomUUID() : b.id;
    const row = await createFlavor(db, {
      id,
      name: b.name,
      vcpus: b.vcpus,
      ramMb: b.ram,
      diskGb: b.disk,
      ephemeralGb: b['OS-FLV-EXT-DATA:ephemeral'] ?? 0,
      swapMb: b.swap ?? 0,
      rxtxFactor: b.rxtx_factor ?? 1,
      isPublic: b['os-flavor-access:is_public'] ?? true,
      description: (b as { description?: string | null }).description ?? null,
    });
    return { flavor: flavorDetail(req, row, {}) };
  });

  app.put<IdParams>('/v2.1/flavors/:id', async (req) => {
    if (!atLeast(req, '2.55'))
      throw new KumoError('not_found', 'Updating a flavor needs microversion 2.55 or later.');
    policy.authorize('os_compute_api:os-flavor-manage:update', callerOf(req));
    const { flavor: b } = parseBody(updateFlavorSchema, req.body);
    await updateFlavorDescription(db, req.params.id, b.description);
    return withSpecs(req, req.params.id);
  });

  app.delete<IdParams>('/v2.1/flavors/:id', async (req, reply) => {
    policy.authorize('os_compute_api:os-flavor-manage:delete', callerOf(req));
    await deleteFlavor(db, req.params.id);
    return reply.code(202).send();
  });
}

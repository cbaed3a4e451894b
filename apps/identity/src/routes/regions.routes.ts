import { callerOf, conflict, forbidden, invalid, notFound } from '@kumo/service-kit';
import { and, eq, inArray, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import {
  extraOf,
  getRegion,
  type RegionRow,
  regionSubtree,
  regionWouldCycle,
  storable,
} from '../db/regions.repo.js';
import { endpoints, regions } from '../db/schema.js';
import { newId } from '../domain/ids.js';
import { parseBody } from '../http/body.js';
import { found, storeOrConflict } from '../http/guards.js';
import { listLinks, q, selfLink } from '../http/views.js';

const text = (max: number) => z.string().max(max).refine(storable, 'must not contain NUL characters');
// Keystone's region id: any string up to 255 characters; an empty id on create means "generate one".
const regionFields = {
  description: text(255).nullable().optional(),
  parent_region_id: text(255).min(1).nullable().optional(),
};
const createSchema = z.object({
  region: z.looseObject({ id: text(255).nullable().optional(), ...regionFields }),
});
const updateSchema = z.object({
  region: z
    .looseObject({ id: text(255).nullable().optional(), ...regionFields })
    .refine((r) => Object.keys(r).length > 0, 'the region must name at least one attribute'),
});
type RegionBody = z.infer<typeof createSchema>['region'];

const KNOWN = new Set(['id', 'description', 'parent_region_id', 'links']);

export function regionView(req: FastifyRequest, r: RegionRow) {
  return {
    ...r.extra,
    id: r.id,
    description: r.description,
    parent_region_id: r.parentRegionId,
    links: selfLink(req, `/v3/regions/${encodeURIComponent(r.id)}`),
  };
}

export function regionRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  const create = async (id: string, b: RegionBody): Promise<RegionRow> => {
    if (await getRegion(db, id))
      throw conflict(`Conflict occurred attempting to store region - Duplicate ID, ${id}.`);
    const parent = b.parent_region_id ?? null;
    if (parent !== null && !(await getRegion(db, parent))) throw notFound('region', parent);
    const [row] = await storeOrConflict('region', () =>
      db
        .insert(regions)
        .values({ id, description: b.description ?? '', parentRegionId: parent, extra: extraOf(b, KNOWN) })
        .returning(),
    );
    ctx.catalog.invalidate();
    return row!;
  };

  app.get('/v3/regions', async (req) => {
    policy.authorize('identity:list_regions', callerOf(req));
    const where: SQL[] = [];
    const parent = q(req, 'parent_region_id');
    if (parent !== undefined) {
      if (!storable(parent)) return { regions: [], links: listLinks(req) };
      where.push(eq(regions.parentRegionId, parent));
    }
    const rows = await db
      .select()
      .from(regions)
      .where(and(...where))
      .orderBy(regions.id);
    return { regions: rows.map((r) => regionView(req, r)), links: listLinks(req) };
  });

  app.get<{ Params: { id: string } }>('/v3/regions/:id', async (req) => {
    policy.authorize('identity:get_region', callerOf(req));
    const r = found(await getRegion(db, req.params.id), 'region', req.params.id);
    return { region: regionView(req, r) };
  });

  app.post('/v3/regions', async (req, reply) => {
    policy.authorize('identity:create_region', callerOf(req));
    const { region: b } = parseBody(createSchema, req.body);
    const row = await create(b.id || newId(), b);
    return reply.code(201).send({ region: regionView(req, row) });
  });

  app.put<{ Params: { id: string } }>('/v3/regions/:id', async (req, reply) => {
    policy.authorize('identity:create_region', callerOf(req));
    const { region: b } = parseBody(createSchema, req.body);
    const id = req.params.id;
    if (id.length > 255 || !storable(id)) throw invalid('A region id is at most 255 characters long.');
    if (b.id !== undefined && b.id !== null && b.id !== id)
      throw invalid(`Conflicting region IDs specified: "${id}" != "${b.id}"`);
    const row = await create(id, b);
    return reply.code(201).send({ region: regionView(req, row) });
  });

  app.patch<{ Params: { id: string } }>('/v3/regions/:id', async (req) => {
    policy.authorize('identity:update_region', callerOf(req));
    const { region: b } = parseBody(updateSchema, req.body);
    const cur = found(await getRegion(db, req.params.id), 'region', req.params.id);
    if (b.id !== undefined && b.id !== cur.id) throw invalid('The region id cannot be changed.');
    let parent = cur.parentRegionId;
    if (b.parent_region_id !== undefined) {
      parent = b.parent_region_id;
      if (parent !== null) {
        if (!(await getRegion(db, parent))) throw notFound('region', parent);
        if (await regionWouldCycle(db, cur.id, parent))
          throw invalid(`The specified parent region ${parent} would create a circular region hierarchy.`);
      }
    }
    const [row] = await db
      .update(regions)
      .set({
        description: b.description === undefined ? cur.description : (b.description ?? ''),
        parentRegionId: parent,
        extra: { ...cur.extra, ...extraOf(b, KNOWN) },
      })
      .where(eq(regions.id, cur.id))
      .returning();
    ctx.catalog.invalidate();
    return { region: regionView(req, row!) };
  });

  app.delete<{ Params: { id: string } }>('/v3/regions/:id', async (req, reply) => {
    policy.authorize('identity:delete_region', callerOf(req));
    const cur = found(await getRegion(db, req.params.id), 'region', req.params.id);
    // As Keystone: child regions go with their parent, unless an endpoint still lives in one of them.
    const subtree = await regionSubtree(db, cur.id);
    await db.transaction(async (tx) => {
      const [used] = await tx
        .select({ id: endpoints.id })
        .from(endpoints)
        .where(inArray(endpoints.regionId, subtree))
        .limit(1);
      if (used)
        throw forbidden(
          `Unable to delete region ${cur.id} because it or its child regions have associated endpoints.`,
        );
      await tx.delete(regions).where(inArray(regions.id, subtree));
    });
    ctx.catalog.invalidate();
    return reply.code(204).send();
  });
}

import { invalid } from '@kumo/service-kit';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import { regions } from './schema.js';

export type RegionRow = typeof regions.$inferSelect;

/** Postgres text cannot hold NUL: such an id names nothing (and must not reach the database). */
export const storable = (s: string): boolean => !s.includes('\u0000');

/** The attributes Keystone keeps in `extra`: every one it does not know. Postgres jsonb cannot hold NUL either. */
export function extraOf(o: Record<string, unknown>, known: Set<string>): Record<string, unknown> {
  const extra = Object.fromEntries(Object.entries(o).filter(([k]) => !known.has(k)));
  if (JSON.stringify(extra).includes('\\u0000'))
    throw invalid('Attribute values must not contain NUL characters.');
  return extra;
}

export async function getRegion(db: Db, id: string): Promise<RegionRow | undefined> {
  if (!storable(id)) return undefined;
  const [row] = await db.select().from(regions).where(eq(regions.id, id)).limit(1);
  return row;
}

/** True when making `parentId` the parent of `regionId` would close a loop. */
export async function regionWouldCycle(db: Db, regionId: string, parentId: string): Promise<boolean> {
  if (regionId === parentId) return true;
  const res = await db.execute<{ id: string }>(sql`
    WITH RECURSIVE up(id, parent_region_id, depth) AS (
      SELECT id, parent_region_id, 0 FROM identity.regions WHERE id = ${parentId}
      UNION ALL
      SELECT r.id, r.parent_region_id, up.depth + 1
      FROM identity.regions r JOIN up ON r.id = up.parent_region_id
      WHERE up.depth < 256
    )
    SELECT id FROM up WHERE id = ${regionId} LIMIT 1`);
  return res.rows.length > 0;
}

/** A region and all its descendants (children, grandchildren, ...). */
export async function regionSubtree(db: Db, id: string): Promise<string[]> {
  const res = await db.execute<{ id: string }>(sql`
    WITH RECURSIVE down(id) AS (
      SELECT id FROM identity.regions WHERE id = ${id}
      UNION
      SELECT r.id FROM identity.regions r JOIN down ON r.parent_region_id = down.id
    )
    SELECT id FROM down`);
  return res.rows.map((r) => r.id);
}

/** Keystone's legacy `region` on an endpoint: the region is created when missing. */
export async function ensureRegion(db: Db, id: string): Promise<void> {
  await db.insert(regions).values({ id, description: '' }).onConflictDoNothing();
}

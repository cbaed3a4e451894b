import { isUniqueViolation, pgConstraint } from '@kumo/db';
import { conflict, invalid, notFound } from '@kumo/service-kit';
import { and, asc, desc, eq, exists, gte, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import { flavorExtraSpecs, flavorProjects, flavors } from './schema.js';

export type FlavorRow = typeof flavors.$inferSelect;
export type NewFlavor = typeof flavors.$inferInsert;

/** Nova's flavor sort keys → columns (`flavorid` is Nova's external id; its internal `id` sorts by creation). */
const SORT_COLUMNS = {
  flavorid: flavors.id,
  id: flavors.createdAt,
  name: flavors.name,
  memory_mb: flavors.ramMb,
  root_gb: flavors.diskGb,
  ephemeral_gb: flavors.ephemeralGb,
  swap: flavors.swapMb,
  vcpus: flavors.vcpus,
  rxtx_factor: flavors.rxtxFactor,
  is_public: flavors.isPublic,
  created_at: flavors.createdAt,
  updated_at: flavors.createdAt,
  description: sql<string>`coalesce(${flavors.description}, '')`,
  disabled: flavors.id,
  vcpu_weight: flavors.id,
} as const;
export type FlavorSortKey = keyof typeof SORT_COLUMNS;
export const FLAVOR_SORT_KEYS = Object.keys(SORT_COLUMNS) as FlavorSortKey[];

export interface FlavorQuery {
  /** true: public + those shared with `projectId`; false: private only; null: all. */
  isPublic: boolean | null;
  projectId?: string;
  minRam?: number;
  minDisk?: number;
  sortKey: FlavorSortKey;
  sortDir: 'asc' | 'desc';
  limit: number;
  marker?: string;
}

const sharedWith = (db: Db, projectId: string) =>
  exists(
    db
      .select({ one: sql`1` })
      .from(flavorProjects)
      .where(and(eq(flavorProjects.flavorId, flavors.id), eq(flavorProjects.projectId, projectId))),
  );

/** The flavors a caller may see: a non-admin sees public ones and those shared with its project. */
function visibility(db: Db, isPublic: boolean | null, projectId: string | undefined): SQL | undefined {
  if (isPublic === null) return undefined;
  if (!isPublic) return eq(flavors.isPublic, false);
  return projectId ? or(eq(flavors.isPublic, true), sharedWith(db, projectId)) : eq(flavors.isPublic, true);
}

export async function listFlavors(db: Db, fq: FlavorQuery): Promise<FlavorRow[]> {
  const where: (SQL | undefined)[] = [visibility(db, fq.isPublic, fq.projectId)];
  if (fq.minRam !== undefined) where.push(gte(flavors.ramMb, fq.minRam));
  if (fq.minDisk !== undefined) where.push(gte(flavors.diskGb, fq.minDisk));
  const col = SORT_COLUMNS[fq.sortKey];
  if (fq.marker !== undefined) {
    const [m] = await db
      .select({ v: col, id: flavors.id })
      .from(flavors)
      .where(and(eq(flavors.id, fq.marker), visibility(db, fq.isPublic, fq.projectId)));
    if (!m) throw invalid(`marker [${fq.marker}] not found`);
    const op = fq.sortDir === 'asc' ? sql`>` : sql`<`;
    where.push(sql`(${col}, ${flavors.id}) ${op} (${m.v}, ${m.id})`);
  }
  const dir = fq.sortDir === 'asc' ? asc : desc;
  return db
    .select()
    .from(flavors)
    .where(and(...where))
    .orderBy(dir(col), dir(flavors.id))
    .limit(fq.limit);
}

/** A flavor by id; with `projectId`, only when public or shared with that project (else not found). */
export async function getFlavor(db: Db, id: string, projectId?: string | null): Promise<FlavorRow> {
  const [row] = await db
    .select()
    .from(flavors)
    .where(and(eq(flavors.id, id), projectId ? visibility(db, true, projectId) : undefined));
  if (!row) throw notFound(`Flavor ${id} could not be found.`);
  return row;
}

export async function createFlavor(db: Db, row: NewFlavor): Promise<FlavorRow> {
  try {
    const [created] = await db.insert(flavors).values(row).returning();
    return created!;
  } catch (err) {
    if (isUniqueViolation(err)) {
      if (pgConstraint(err) === 'flavors_name_key')
        throw conflict(`Flavor with name ${row.name} already exists.`);
      throw conflict(`Flavor with ID ${row.id} already exists.`);
    }
    throw err;
  }
}

export async function updateFlavorDescription(
  db: Db,
  id: string,
  description: string | null,
): Promise<FlavorRow> {
  const [row] = await db.update(flavors).set({ description }).where(eq(flavors.id, id)).returning();
  if (!row) throw notFound(`Flavor ${id} could not be found.`);
  return row;
}

export async function deleteFlavor(db: Db, id: string): Promise<void> {
  const gone = await db.delete(flavors).where(eq(flavors.id, id)).returning({ id: flavors.id });
  if (gone.length === 0) throw notFound(`Flavor ${id} could not be found.`);
}

export async function extraSpecsOf(db: Db, ids: string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>(ids.map((id) => [id, {}]));
  if (ids.length === 0) return out;
  const rows = await db.select().from(flavorExtraSpecs).where(inArray(flavorExtraSpecs.flavorId, ids));
  for (const r of rows) out.get(r.flavorId)![r.key] = r.value;
  return out;
}

/** Upsert extra specs; the flavor must exist (a concurrent delete is a 404, not an FK 500). */
export async function setExtraSpecs(db: Db, flavorId: string, specs: Record<string, string>): Promise<void> {
  const values = Object.entries(specs).map(([key, value]) => ({ flavorId, key, value }));
  if (values.length === 0) return;
  await db.transaction(async (tx) => {
    const [f] = await tx
      .select({ id: flavors.id })
      .from(flavors)
      .where(eq(flavors.id, flavorId))
      .for('share');
    if (!f) throw notFound(`Flavor ${flavorId} could not be found.`);
    await tx
      .insert(flavorExtraSpecs)
      .values(values)
      .onConflictDoUpdate({
        target: [flavorExtraSpecs.flavorId, flavorExtraSpecs.key],
        set: { value: sql`excluded.value` },
      });
  });
}

export async function deleteExtraSpec(db: Db, flavorId: string, key: string): Promise<boolean> {
  const gone = await db
    .delete(flavorExtraSpecs)
    .where(and(eq(flavorExtraSpecs.flavorId, flavorId), eq(flavorExtraSpecs.key, key)))
    .returning({ key: flavorExtraSpecs.key });
  return gone.length > 0;
}

export async function flavorAccess(db: Db, flavorId: string): Promise<string[]> {
  const rows = await db
    .select({ p: flavorProjects.projectId })
    .from(flavorProjects)
    .where(eq(flavorProjects.flavorId, flavorId))
    .orderBy(flavorProjects.projectId);
  return rows.map((r) => r.p);
}

/** false when the project already had access. */
export async function addFlavorAccess(db: Db, flavorId: string, projectId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [f] = await tx
      .select({ id: flavors.id })
      .from(flavors)
      .where(eq(flavors.id, flavorId))
      .for('share');
    if (!f) throw notFound(`Flavor ${flavorId} could not be found.`);
    const added = await tx
      .insert(flavorProjects)
      .values({ flavorId, projectId })
      .onConflictDoNothing()
      .returning({ p: flavorProjects.projectId });
    return added.length > 0;
  });
}

export async function removeFlavorAccess(db: Db, flavorId: string, projectId: string): Promise<boolean> {
  const gone = await db
    .delete(flavorProjects)
    .where(and(eq(flavorProjects.flavorId, flavorId), eq(flavorProjects.projectId, projectId)))
    .returning({ p: flavorProjects.projectId });
  return gone.length > 0;
}

import { and, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import { groups, impliedRoles, roles } from './schema.js';

export type RoleRow = typeof roles.$inferSelect;
export type GroupRow = typeof groups.$inferSelect;

/** Postgres rejects NUL in text; such an id can name nothing. */
export const usableId = (id: string | undefined): id is string =>
  id !== undefined && id.length > 0 && !id.includes('\u0000');

export async function getRole(db: Db, id: string): Promise<RoleRow | undefined> {
  if (!usableId(id)) return undefined;
  const [row] = await db.select().from(roles).where(eq(roles.id, id)).limit(1);
  return row;
}

export async function getGroup(db: Db, id: string): Promise<GroupRow | undefined> {
  if (!usableId(id)) return undefined;
  const [row] = await db.select().from(groups).where(eq(groups.id, id)).limit(1);
  return row;
}

/** Roles filtered as Keystone: no domain_id filter means global roles only. */
export async function listRoles(db: Db, filter: { name?: string; domainId?: string }): Promise<RoleRow[]> {
  const where: SQL[] = [];
  if (filter.name !== undefined) where.push(eq(roles.name, filter.name));
  where.push(filter.domainId === undefined ? isNull(roles.domainId) : eq(roles.domainId, filter.domainId));
  return db
    .select()
    .from(roles)
    .where(and(...where))
    .orderBy(roles.name);
}

export async function rolesByIds(db: Db, ids: string[]): Promise<RoleRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(roles).where(inArray(roles.id, ids)).orderBy(roles.name);
}

export async function getInference(db: Db, priorId: string, impliedId: string): Promise<boolean> {
  const [row] = await db
    .select({ p: impliedRoles.priorRoleId })
    .from(impliedRoles)
    .where(and(eq(impliedRoles.priorRoleId, priorId), eq(impliedRoles.impliedRoleId, impliedId)))
    .limit(1);
  return row !== undefined;
}

/** Every inference rule, prior → implied ids (the table is small). */
export async function inferenceMap(db: Db): Promise<Map<string, string[]>> {
  const rows = await db.select().from(impliedRoles);
  const map = new Map<string, string[]>();
  for (const r of rows) {
    const list = map.get(r.priorRoleId) ?? [];
    list.push(r.impliedRoleId);
    map.set(r.priorRoleId, list);
  }
  return map;
}

/** Would `prior` → `implied` close a cycle (does `implied` already reach `prior`)? */
export async function wouldCycle(db: Db, priorId: string, impliedId: string): Promise<boolean> {
  if (priorId === impliedId) return true;
  const res = await db.execute<{ id: string }>(sql`
    WITH RECURSIVE reach(id) AS (
      SELECT implied_role_id FROM identity.implied_roles WHERE prior_role_id = ${impliedId}
      UNION
      SELECT ir.implied_role_id FROM identity.implied_roles ir JOIN reach r ON ir.prior_role_id = r.id
    )
    SELECT id FROM reach WHERE id = ${priorId} LIMIT 1`);
  return res.rows.length > 0;
}

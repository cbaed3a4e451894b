import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import { assignments, projects, userGroups } from './schema.js';
import { textArray } from './sql-helpers.js';

export type AssignmentRow = typeof assignments.$inferSelect;
export type ActorType = AssignmentRow['actorType'];
export type TargetType = AssignmentRow['targetType'];

/** One grant: (actor) has (role) on (target), maybe inherited to the projects below. */
export interface Grant {
  actorType: ActorType;
  actorId: string;
  targetType: TargetType;
  targetId: string;
  roleId: string;
  inherited: boolean;
}

const matchGrant = (g: Grant): SQL =>
  and(
    eq(assignments.actorType, g.actorType),
    eq(assignments.actorId, g.actorId),
    eq(assignments.targetType, g.targetType),
    eq(assignments.targetId, g.targetId),
    eq(assignments.roleId, g.roleId),
    eq(assignments.inherited, g.inherited),
  )!;

/** Granting twice is fine: the second time changes nothing. */
export async function createGrant(db: Db, g: Grant): Promise<void> {
  await db.insert(assignments).values(g).onConflictDoNothing();
}

export async function grantExists(db: Db, g: Grant): Promise<boolean> {
  const [row] = await db.select({ r: assignments.roleId }).from(assignments).where(matchGrant(g)).limit(1);
  return row !== undefined;
}

/** Deletes the grant; false when there was none. */
export async function deleteGrant(db: Db, g: Grant): Promise<boolean> {
  const rows = await db.delete(assignments).where(matchGrant(g)).returning({ r: assignments.roleId });
  return rows.length > 0;
}

/** Role ids granted directly to an actor on a target. */
export async function grantedRoleIds(db: Db, g: Omit<Grant, 'roleId'>): Promise<string[]> {
  const rows = await db
    .select({ roleId: assignments.roleId })
    .from(assignments)
    .where(
      and(
        eq(assignments.actorType, g.actorType),
        eq(assignments.actorId, g.actorId),
        eq(assignments.targetType, g.targetType),
        eq(assignments.targetId, g.targetId),
        eq(assignments.inherited, g.inherited),
      ),
    );
  return rows.map((r) => r.roleId);
}

export async function groupMemberIds(db: Db, groupId: string): Promise<string[]> {
  const rows = await db
    .select({ userId: userGroups.userId })
    .from(userGroups)
    .where(eq(userGroups.groupId, groupId));
  return rows.map((r) => r.userId);
}

/** Filters for a raw listing of assignment rows; an absent filter matches everything. */
export interface RowFilter {
  roleId?: string;
  actorType?: ActorType;
  actorIds?: string[];
  targetType?: TargetType;
  targetIds?: string[];
  inherited?: boolean;
}

export async function listAssignmentRows(db: Db, f: RowFilter): Promise<AssignmentRow[]> {
  const where: (SQL | undefined)[] = [];
  if (f.roleId !== undefined) where.push(eq(assignments.roleId, f.roleId));
  if (f.actorType !== undefined) where.push(eq(assignments.actorType, f.actorType));
  if (f.actorIds !== undefined) where.push(inArray(assignments.actorId, f.actorIds));
  if (f.targetType !== undefined) where.push(eq(assignments.targetType, f.targetType));
  if (f.targetIds !== undefined) where.push(inArray(assignments.targetId, f.targetIds));
  if (f.inherited !== undefined) where.push(eq(assignments.inherited, f.inherited));
  return db
    .select()
    .from(assignments)
    .where(and(...where))
    .orderBy(
      assignments.actorType,
      assignments.actorId,
      assignments.targetType,
      assignments.targetId,
      assignments.roleId,
    );
}

export async function groupIdsOfUser(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .select({ groupId: userGroups.groupId })
    .from(userGroups)
    .where(eq(userGroups.userId, userId));
  return rows.map((r) => r.groupId);
}

export async function membersOfGroups(db: Db, groupIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (groupIds.length === 0) return map;
  const rows = await db
    .select()
    .from(userGroups)
    .where(inArray(userGroups.groupId, groupIds))
    .orderBy(userGroups.userId);
  for (const r of rows) map.set(r.groupId, [...(map.get(r.groupId) ?? []), r.userId]);
  return map;
}

export async function projectsInDomains(db: Db, domainIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (domainIds.length === 0) return map;
  const rows = await db
    .select({ id: projects.id, domainId: projects.domainId })
    .from(projects)
    .where(inArray(projects.domainId, domainIds))
    .orderBy(projects.id);
  for (const r of rows) map.set(r.domainId, [...(map.get(r.domainId) ?? []), r.id]);
  return map;
}

/** Every project below each root (the root itself excluded). */
export async function projectSubtrees(db: Db, rootIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>(rootIds.map((r) => [r, []]));
  if (rootIds.length === 0) return map;
  const res = await db.execute<{ root: string; id: string }>(sql`
    WITH RECURSIVE below(root, id, depth) AS (
      SELECT p.parent_id, p.id, 1 FROM identity.projects p WHERE p.parent_id = ANY(${textArray(rootIds)})
      UNION ALL
      SELECT b.root, p.id, b.depth + 1 FROM identity.projects p JOIN below b ON p.parent_id = b.id
      WHERE b.depth < 64
    )
    SELECT root, id FROM below ORDER BY root, depth, id`);
  for (const r of res.rows) map.get(r.root)?.push(r.id);
  return map;
}

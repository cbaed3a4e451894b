import { notFound } from '@kumo/service-kit';
import { and, asc, count, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../context.js';
import { enforceLimit, lockQuotaScope } from './quotas.repo.js';
import { serverGroups, servers } from './schema.js';

export type ServerGroupRow = typeof serverGroups.$inferSelect;
export type NewServerGroup = typeof serverGroups.$inferInsert;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const missing = (id: string) => notFound(`Instance group ${id} could not be found.`);

/** Insert a group within the project's server_groups quota (count + insert under a per-project lock). */
export async function createServerGroup(db: Db, row: NewServerGroup, limit: number): Promise<ServerGroupRow> {
  return db.transaction(async (tx) => {
    await lockQuotaScope(tx, `server_groups:${row.projectId}`);
    const [used] = await tx
      .select({ n: count() })
      .from(serverGroups)
      .where(eq(serverGroups.projectId, row.projectId));
    enforceLimit(limit, used?.n ?? 0, 1, 'Quota exceeded, too many server groups.');
    const [created] = await tx.insert(serverGroups).values(row).returning();
    return created!;
  });
}

export async function listServerGroups(
  db: Db,
  scope: { projectId?: string },
  page: { limit: number; offset: number },
): Promise<ServerGroupRow[]> {
  return db
    .select()
    .from(serverGroups)
    .where(scope.projectId ? eq(serverGroups.projectId, scope.projectId) : undefined)
    .orderBy(asc(serverGroups.createdAt), asc(serverGroups.id))
    .limit(page.limit)
    .offset(page.offset);
}

/** A group by id; with `projectId` set, another project's group is not found. */
export async function getServerGroup(db: Db, id: string, projectId?: string): Promise<ServerGroupRow> {
  if (!UUID_RE.test(id)) throw missing(id);
  const [row] = await db
    .select()
    .from(serverGroups)
    .where(and(eq(serverGroups.id, id), projectId ? eq(serverGroups.projectId, projectId) : undefined));
  if (!row) throw missing(id);
  return row;
}

export async function deleteServerGroup(db: Db, id: string): Promise<void> {
  const gone = await db
    .delete(serverGroups)
    .where(eq(serverGroups.id, id))
    .returning({ id: serverGroups.id });
  if (gone.length === 0) throw missing(id);
}

export async function countServerGroups(db: Db, projectId: string): Promise<number> {
  const [r] = await db.select({ n: count() }).from(serverGroups).where(eq(serverGroups.projectId, projectId));
  return r?.n ?? 0;
}

/** The non-deleted servers of each group, oldest first. */
export async function groupMembers(db: Db, groupIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return out;
  const rows = await db
    .select({ id: servers.id, groupId: servers.serverGroupId })
    .from(servers)
    .where(and(inArray(servers.serverGroupId, groupIds), isNull(servers.deletedAt)))
    .orderBy(asc(servers.createdAt));
  for (const r of rows) if (r.groupId) out.get(r.groupId)?.push(r.id);
  return out;
}

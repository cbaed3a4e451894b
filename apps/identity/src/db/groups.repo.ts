import { and, eq } from 'drizzle-orm';
import type { Db } from '../context.js';
import { assignments, groups, userGroups } from './schema.js';

export type GroupRow = typeof groups.$inferSelect;

export async function getGroup(db: Db, id: string): Promise<GroupRow | undefined> {
  const [row] = await db.select().from(groups).where(eq(groups.id, id)).limit(1);
  return row;
}

/** The groups a user belongs to, by name. */
export async function groupsOfUser(db: Db, userId: string): Promise<GroupRow[]> {
  const rows = await db
    .select({ group: groups })
    .from(groups)
    .innerJoin(userGroups, eq(userGroups.groupId, groups.id))
    .where(eq(userGroups.userId, userId))
    .orderBy(groups.name, groups.id);
  return rows.map((r) => r.group);
}

export async function memberIds(db: Db, groupId: string): Promise<string[]> {
  const rows = await db
    .select({ id: userGroups.userId })
    .from(userGroups)
    .where(eq(userGroups.groupId, groupId));
  return rows.map((r) => r.id);
}

export async function isMember(db: Db, groupId: string, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: userGroups.userId })
    .from(userGroups)
    .where(and(eq(userGroups.groupId, groupId), eq(userGroups.userId, userId)))
    .limit(1);
  return row !== undefined;
}

/** Add a user to a group; adding an existing member is a no-op. */
export async function addMember(db: Db, groupId: string, userId: string): Promise<void> {
  await db.insert(userGroups).values({ groupId, userId }).onConflictDoNothing();
}

/** Remove a member; false when the user was not a member. */
export async function removeMember(db: Db, groupId: string, userId: string): Promise<boolean> {
  const rows = await db
    .delete(userGroups)
    .where(and(eq(userGroups.groupId, groupId), eq(userGroups.userId, userId)))
    .returning({ id: userGroups.userId });
  return rows.length > 0;
}

/** Delete a group with its role assignments; returns the ids of its former members. */
export async function deleteGroup(db: Db, id: string): Promise<string[]> {
  return db.transaction(async (tx) => {
    const members = await tx
      .select({ id: userGroups.userId })
      .from(userGroups)
      .where(eq(userGroups.groupId, id));
    await tx.delete(assignments).where(and(eq(assignments.actorType, 'group'), eq(assignments.actorId, id)));
    await tx.delete(groups).where(eq(groups.id, id));
    return members.map((m) => m.id);
  });
}

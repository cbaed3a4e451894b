import { and, asc, eq, sql } from 'drizzle-orm';
import type { MemberRecord, MemberStatus } from '../domain/image-view.js';
import type { ImageDb } from './images.repo.js';
import { imageMembers, type MemberRow } from './schema.js';

const toRecord = (r: MemberRow): MemberRecord => ({ ...r, status: r.status as MemberStatus });

export async function listMembers(db: ImageDb, imageId: string): Promise<MemberRecord[]> {
  const rows = await db
    .select()
    .from(imageMembers)
    .where(eq(imageMembers.imageId, imageId))
    .orderBy(asc(imageMembers.createdAt), asc(imageMembers.memberId));
  return rows.map(toRecord);
}

export async function getMember(
  db: ImageDb,
  imageId: string,
  memberId: string,
): Promise<MemberRecord | undefined> {
  const [row] = await db
    .select()
    .from(imageMembers)
    .where(and(eq(imageMembers.imageId, imageId), eq(imageMembers.memberId, memberId)));
  return row ? toRecord(row) : undefined;
}

/**
 * Add a pending member. 'exists' when already a member, 'quota' when the image has `max`
 * members. The image row is locked so concurrent adds cannot pass the quota together.
 */
export async function addMember(
  db: ImageDb,
  imageId: string,
  memberId: string,
  max: number,
): Promise<MemberRecord | 'exists' | 'quota'> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select 1 from image.images where id = ${imageId} for update`);
    const [{ n } = { n: 0 }] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(imageMembers)
      .where(eq(imageMembers.imageId, imageId));
    if (n >= max) return 'quota';
    const now = new Date();
    const rows = await tx
      .insert(imageMembers)
      .values({ imageId, memberId, status: 'pending', createdAt: now, updatedAt: now })
      .onConflictDoNothing()
      .returning();
    return rows[0] ? toRecord(rows[0]) : 'exists';
  });
}

export async function updateMemberStatus(
  db: ImageDb,
  imageId: string,
  memberId: string,
  status: MemberStatus,
): Promise<MemberRecord | undefined> {
  const [row] = await db
    .update(imageMembers)
    .set({ status, updatedAt: new Date() })
    .where(and(eq(imageMembers.imageId, imageId), eq(imageMembers.memberId, memberId)))
    .returning();
  return row ? toRecord(row) : undefined;
}

export async function deleteMember(db: ImageDb, imageId: string, memberId: string): Promise<boolean> {
  const rows = await db
    .delete(imageMembers)
    .where(and(eq(imageMembers.imageId, imageId), eq(imageMembers.memberId, memberId)))
    .returning({ m: imageMembers.memberId });
  return rows.length > 0;
}

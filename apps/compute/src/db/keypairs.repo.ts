import { isUniqueViolation } from '@kumo/db';
import { conflict, invalid, notFound } from '@kumo/service-kit';
import { and, asc, count, eq, gt } from 'drizzle-orm';
import type { Db } from '../context.js';
import { enforceLimit, lockQuotaScope } from './quotas.repo.js';
import { keypairs } from './schema.js';

export type KeypairRow = typeof keypairs.$inferSelect;
export type NewKeypair = typeof keypairs.$inferInsert;

const missing = (name: string, userId: string) => notFound(`Keypair ${name} not found for user ${userId}`);

export async function listKeypairs(
  db: Db,
  userId: string,
  page: { limit: number; marker?: string },
): Promise<KeypairRow[]> {
  const where = [eq(keypairs.userId, userId)];
  if (page.marker !== undefined) {
    const [m] = await db
      .select({ name: keypairs.name })
      .from(keypairs)
      .where(and(eq(keypairs.userId, userId), eq(keypairs.name, page.marker)));
    if (!m) throw invalid(`marker [${page.marker}] not found`);
    where.push(gt(keypairs.name, page.marker));
  }
  return db
    .select()
    .from(keypairs)
    .where(and(...where))
    .orderBy(asc(keypairs.name))
    .limit(page.limit);
}

export async function getKeypair(db: Db, userId: string, name: string): Promise<KeypairRow> {
  const [row] = await db
    .select()
    .from(keypairs)
    .where(and(eq(keypairs.userId, userId), eq(keypairs.name, name)));
  if (!row) throw missing(name, userId);
  return row;
}

export async function countKeypairs(db: Db, userId: string): Promise<number> {
  const [r] = await db.select({ n: count() }).from(keypairs).where(eq(keypairs.userId, userId));
  return r?.n ?? 0;
}

/**
 * Insert a keypair within the user's key_pairs quota: counting and inserting
 * under a per-user advisory lock, so parallel creates never overshoot.
 */
export async function createKeypair(db: Db, row: NewKeypair, limit: number): Promise<KeypairRow> {
  try {
    return await db.transaction(async (tx) => {
      await lockQuotaScope(tx, `keypairs:${row.userId}`);
      const [used] = await tx.select({ n: count() }).from(keypairs).where(eq(keypairs.userId, row.userId));
      const [dup] = await tx
        .select({ name: keypairs.name })
        .from(keypairs)
        .where(and(eq(keypairs.userId, row.userId), eq(keypairs.name, row.name)));
      if (dup) throw conflict(`Key pair '${row.name}' already exists.`);
      enforceLimit(limit, used?.n ?? 0, 1, 'Quota exceeded, too many key pairs.');
      const [created] = await tx.insert(keypairs).values(row).returning();
      return created!;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`Key pair '${row.name}' already exists.`);
    throw err;
  }
}

export async function deleteKeypair(db: Db, userId: string, name: string): Promise<void> {
  const gone = await db
    .delete(keypairs)
    .where(and(eq(keypairs.userId, userId), eq(keypairs.name, name)))
    .returning({ name: keypairs.name });
  if (gone.length === 0) throw missing(name, userId);
}

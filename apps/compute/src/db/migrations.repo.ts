import { randomUUID } from 'node:crypto';
import { and, desc, eq, gte, inArray, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import { migrations } from './schema.js';

export type MigrationRow = typeof migrations.$inferSelect;

export interface NewMigration {
  taskId: string;
  serverId: string;
  projectId: string;
  userId: string;
  migrationType: 'resize' | 'migration';
  sourceCompute: string | null;
  destCompute: string | null;
  oldFlavorId: string | null;
  newFlavorId: string | null;
}

/** The migration a task does, status `migrating`; a retried task keeps its one row. */
export async function recordMigration(db: Db, m: NewMigration): Promise<void> {
  await db
    .insert(migrations)
    .values({ ...m, uuid: randomUUID(), status: 'migrating' })
    .onConflictDoNothing({ target: migrations.taskId });
}

export async function setMigrationStatus(db: Db, taskId: string, status: string): Promise<void> {
  await db.update(migrations).set({ status, updatedAt: new Date() }).where(eq(migrations.taskId, taskId));
}

/** Confirm/revert: the server's `finished` migrations become `to`. */
export async function closeMigrations(db: Db, serverId: string, to: 'confirmed' | 'reverted'): Promise<void> {
  await db
    .update(migrations)
    .set({ status: to, updatedAt: new Date() })
    .where(and(eq(migrations.serverId, serverId), eq(migrations.status, 'finished')));
}

export interface MigrationFilter {
  hostIds?: string[];
  status?: string;
  serverId?: string;
  migrationType?: string;
  changesSince?: Date;
  changesBefore?: Date;
  userId?: string;
  projectId?: string;
}

/** Newest first (created_at, then id), as Nova. */
export async function listMigrations(db: Db, f: MigrationFilter): Promise<MigrationRow[]> {
  const where: SQL[] = [];
  if (f.hostIds)
    where.push(
      or(inArray(migrations.sourceCompute, f.hostIds), inArray(migrations.destCompute, f.hostIds)) as SQL,
    );
  if (f.status !== undefined) where.push(eq(migrations.status, f.status));
  if (f.serverId !== undefined) where.push(eq(migrations.serverId, f.serverId));
  if (f.migrationType !== undefined) where.push(eq(migrations.migrationType, f.migrationType));
  const changed = sql`coalesce(${migrations.updatedAt}, ${migrations.createdAt})`;
  if (f.changesSince) where.push(gte(changed, f.changesSince));
  if (f.changesBefore) where.push(lte(changed, f.changesBefore));
  if (f.userId !== undefined) where.push(eq(migrations.userId, f.userId));
  if (f.projectId !== undefined) where.push(eq(migrations.projectId, f.projectId));
  return db
    .select()
    .from(migrations)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(migrations.createdAt), desc(migrations.id));
}

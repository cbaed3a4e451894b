import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../context.js';
import { credentials } from './schema.js';

export type CredentialRow = typeof credentials.$inferSelect;

export async function getCredential(db: Db, id: string): Promise<CredentialRow | undefined> {
  const [row] = await db.select().from(credentials).where(eq(credentials.id, id)).limit(1);
  return row;
}

export function listEc2Credentials(db: Db, userId: string): Promise<CredentialRow[]> {
  return db
    .select()
    .from(credentials)
    .where(and(eq(credentials.userId, userId), eq(credentials.type, 'ec2')))
    .orderBy(asc(credentials.createdAt), asc(credentials.id));
}

export async function insertEc2Credential(
  db: Db,
  c: { id: string; userId: string; projectId: string; blob: string },
): Promise<CredentialRow> {
  const [row] = await db
    .insert(credentials)
    .values({ ...c, type: 'ec2' })
    .returning();
  return row!;
}

export async function deleteCredential(db: Db, id: string): Promise<void> {
  await db.delete(credentials).where(eq(credentials.id, id));
}

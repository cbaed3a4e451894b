import { eq } from 'drizzle-orm';
import type { Db } from '../context.js';
import { storable } from './regions.repo.js';
import { services } from './schema.js';

export type ServiceRow = typeof services.$inferSelect;

export async function getService(db: Db, id: string): Promise<ServiceRow | undefined> {
  if (!storable(id)) return undefined;
  const [row] = await db.select().from(services).where(eq(services.id, id)).limit(1);
  return row;
}

import { eq } from 'drizzle-orm';
import type { Db } from '../context.js';
import { storable } from './regions.repo.js';
import { endpoints } from './schema.js';

export type EndpointRow = typeof endpoints.$inferSelect;

export async function getEndpoint(db: Db, id: string): Promise<EndpointRow | undefined> {
  if (!storable(id)) return undefined;
  const [row] = await db.select().from(endpoints).where(eq(endpoints.id, id)).limit(1);
  return row;
}

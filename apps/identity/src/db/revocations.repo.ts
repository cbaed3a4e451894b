import type { RevocationEvent } from '@kumo/service-kit';
import { gte } from 'drizzle-orm';
import type { Db } from '../context.js';
import { revocationEvents } from './schema.js';

export async function recordRevocationEvent(db: Db, e: RevocationEvent): Promise<void> {
  await db.insert(revocationEvents).values({ event: { ...e }, issuedBefore: new Date(e.issuedBefore) });
}

export async function loadRevocationEvents(db: Db, since: number): Promise<RevocationEvent[]> {
  const rows = await db
    .select()
    .from(revocationEvents)
    .where(gte(revocationEvents.issuedBefore, new Date(since)));
  return rows.map((r) => r.event as unknown as RevocationEvent);
}

import { and, asc, eq, max, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import type { Queryable } from './quota-usage.repo.js';
import { serverInterfaces, servers } from './schema.js';

export type InterfaceRow = typeof serverInterfaces.$inferSelect;
export type InterfaceInsert = typeof serverInterfaces.$inferInsert;

/** A server's interfaces in guest order. */
export async function interfacesOf(db: Queryable, serverId: string): Promise<InterfaceRow[]> {
  return db
    .select()
    .from(serverInterfaces)
    .where(eq(serverInterfaces.serverId, serverId))
    .orderBy(asc(serverInterfaces.position), asc(serverInterfaces.createdAt));
}

/** Record an interface (idempotent: a re-run of the step keeps the first row). */
export async function addInterface(db: Queryable, row: InterfaceInsert): Promise<void> {
  await db.insert(serverInterfaces).values(row).onConflictDoNothing();
}

/** The next free position (attached interfaces go after the boot-time ones). */
export async function nextPosition(db: Queryable, serverId: string): Promise<number> {
  const [r] = await db
    .select({ n: max(serverInterfaces.position) })
    .from(serverInterfaces)
    .where(eq(serverInterfaces.serverId, serverId));
  return r?.n == null ? 0 : r.n + 1;
}

export async function removeInterface(db: Queryable, serverId: string, portId: string): Promise<void> {
  await db
    .delete(serverInterfaces)
    .where(and(eq(serverInterfaces.serverId, serverId), eq(serverInterfaces.portId, portId)));
}

/** The port was deleted or unbound in the network service; the row stays until the host's VIF is gone. */
export async function markPortReleased(db: Queryable, serverId: string, portId: string): Promise<void> {
  await db
    .update(serverInterfaces)
    .set({ portReleased: true })
    .where(and(eq(serverInterfaces.serverId, serverId), eq(serverInterfaces.portId, portId)));
}

/** Cache Nova's `addresses` of a server (read by every server view; no network call per list). */
export async function saveAddresses(
  db: Db,
  serverId: string,
  addresses: Record<string, unknown[]>,
): Promise<void> {
  await db
    .update(servers)
    .set({ addresses })
    .where(
      and(
        eq(servers.id, serverId),
        sql`${servers.addresses} IS DISTINCT FROM ${JSON.stringify(addresses)}::jsonb`,
      ),
    );
}

/** Nova's `security_groups` of a server (the names its ports get). */
export async function saveSecurityGroups(
  db: Db,
  serverId: string,
  groups: { name: string }[],
): Promise<void> {
  await db
    .update(servers)
    .set({ securityGroups: groups, updatedAt: new Date() })
    .where(eq(servers.id, serverId));
}

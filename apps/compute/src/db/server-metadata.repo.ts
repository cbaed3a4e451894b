import { and, asc, eq, inArray, isNull, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import { checkMetadataQuota } from '../domain/server-quota.js';
import { MAX_TAGS } from '../domain/server-validation.js';
import type { Queryable, Tx } from './quota-usage.repo.js';
import { serverMetadata, servers, serverTags } from './schema.js';

/** Metadata of many servers at once (list views). */
export async function metadataOf(db: Queryable, ids: string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>(ids.map((id) => [id, {}]));
  if (!ids.length) return out;
  const rows = await db.select().from(serverMetadata).where(inArray(serverMetadata.serverId, ids));
  for (const r of rows) out.get(r.serverId)![r.key] = r.value;
  return out;
}

/** Tags of many servers at once, sorted. */
export async function tagsOf(db: Queryable, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (!ids.length) return out;
  const rows = await db
    .select()
    .from(serverTags)
    .where(inArray(serverTags.serverId, ids))
    .orderBy(asc(serverTags.tag));
  for (const r of rows) out.get(r.serverId)!.push(r.tag);
  return out;
}

/** Locks a live server row for a metadata/tag change; false when it is gone. */
async function lockServer(tx: Tx, serverId: string): Promise<boolean> {
  const [row] = await tx
    .update(servers)
    .set({ updatedAt: new Date() })
    .where(and(eq(servers.id, serverId), isNull(servers.deletedAt)))
    .returning({ id: servers.id });
  return !!row;
}

/**
 * Sets metadata items (replace: the given items become the whole set) under
 * the server's row lock, enforcing the per-server metadata_items quota.
 * Returns the resulting metadata, or undefined when the server is gone.
 */
export async function writeMetadata(
  db: Db,
  serverId: string,
  items: Record<string, string>,
  opts: { replace: boolean; limit: number },
): Promise<Record<string, string> | undefined> {
  return db.transaction(async (tx) => {
    if (!(await lockServer(tx, serverId))) return undefined;
    const keys = Object.keys(items);
    if (opts.replace)
      await tx
        .delete(serverMetadata)
        .where(
          keys.length
            ? and(eq(serverMetadata.serverId, serverId), notInArray(serverMetadata.key, keys))
            : eq(serverMetadata.serverId, serverId),
        );
    if (keys.length)
      await tx
        .insert(serverMetadata)
        .values(keys.map((key) => ({ serverId, key, value: items[key]! })))
        .onConflictDoUpdate({
          target: [serverMetadata.serverId, serverMetadata.key],
          set: { value: sql`excluded.value` },
        });
    const all = (await metadataOf(tx, [serverId])).get(serverId)!;
    checkMetadataQuota(Object.keys(all).length, opts.limit);
    return all;
  });
}

/** Deletes one metadata key: 'gone' when the server is gone, false when the key was absent. */
export async function deleteMetadataKey(db: Db, serverId: string, key: string): Promise<boolean | 'gone'> {
  return db.transaction(async (tx) => {
    if (!(await lockServer(tx, serverId))) return 'gone';
    const rows = await tx
      .delete(serverMetadata)
      .where(and(eq(serverMetadata.serverId, serverId), eq(serverMetadata.key, key)))
      .returning({ key: serverMetadata.key });
    return rows.length > 0;
  });
}

export class TooManyTags extends Error {}

/**
 * Changes a server's tags under its row lock: `replace` sets the whole list,
 * `add` adds one, `remove` removes one ('absent' when it was not there).
 * At most MAX_TAGS tags (TooManyTags otherwise).
 */
export async function writeTags(
  db: Db,
  serverId: string,
  op: { replace: string[] } | { add: string } | { remove: string } | { clear: true },
): Promise<{ tags: string[]; added?: boolean; absent?: boolean } | undefined> {
  return db.transaction(async (tx) => {
    if (!(await lockServer(tx, serverId))) return undefined;
    let added: boolean | undefined;
    let absent: boolean | undefined;
    if ('replace' in op || 'clear' in op) {
      await tx.delete(serverTags).where(eq(serverTags.serverId, serverId));
      const list = 'replace' in op ? op.replace : [];
      if (list.length) await tx.insert(serverTags).values(list.map((tag) => ({ serverId, tag })));
    } else if ('add' in op) {
      const r = await tx
        .insert(serverTags)
        .values({ serverId, tag: op.add })
        .onConflictDoNothing()
        .returning({ tag: serverTags.tag });
      added = r.length > 0;
    } else {
      const r = await tx
        .delete(serverTags)
        .where(and(eq(serverTags.serverId, serverId), eq(serverTags.tag, op.remove)))
        .returning({ tag: serverTags.tag });
      absent = r.length === 0;
    }
    const tags = (await tagsOf(tx, [serverId])).get(serverId)!;
    if (tags.length > MAX_TAGS) throw new TooManyTags(`at most ${MAX_TAGS} tags`);
    return { tags, added, absent };
  });
}

/** Replaces a server's metadata inside a caller's transaction (rebuild). */
export async function replaceMetadataTx(
  tx: Tx,
  serverId: string,
  items: Record<string, string>,
): Promise<void> {
  await tx.delete(serverMetadata).where(eq(serverMetadata.serverId, serverId));
  const keys = Object.keys(items);
  if (keys.length)
    await tx.insert(serverMetadata).values(keys.map((key) => ({ serverId, key, value: items[key]! })));
}

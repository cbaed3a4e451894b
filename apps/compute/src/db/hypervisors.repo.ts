import { and, asc, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../context.js';
import { servers } from './schema.js';

/** The non-deleted servers on each host (for os-hypervisors' running_vms and `servers`). */
export async function serversOnHosts(
  db: Db,
  hostIds: string[],
): Promise<Map<string, { uuid: string; name: string }[]>> {
  const out = new Map<string, { uuid: string; name: string }[]>(hostIds.map((h) => [h, []]));
  if (hostIds.length === 0) return out;
  const rows = await db
    .select({ id: servers.id, name: servers.name, host: servers.host })
    .from(servers)
    .where(and(inArray(servers.host, hostIds), isNull(servers.deletedAt)))
    .orderBy(asc(servers.createdAt));
  for (const r of rows) if (r.host) out.get(r.host)?.push({ uuid: r.id, name: r.name });
  return out;
}

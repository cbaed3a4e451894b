import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import { servers } from './schema.js';

export interface ProjectUse {
  project: string;
  cpu: number;
  memoryMb: number;
  diskGb: number;
}

/** What the non-deleted servers on a host take, per project (os-hosts' host detail). */
export async function usageOnHost(db: Db, hostId: string): Promise<ProjectUse[]> {
  const rows = await db
    .select({
      project: servers.projectId,
      cpu: sql<number>`coalesce(sum((${servers.flavor}->>'vcpus')::int), 0)::int`,
      memoryMb: sql<number>`coalesce(sum((${servers.flavor}->>'ramMb')::int), 0)::int`,
      diskGb: sql<number>`coalesce(sum((${servers.flavor}->>'diskGb')::int), 0)::int`,
    })
    .from(servers)
    .where(and(eq(servers.host, hostId), isNull(servers.deletedAt)))
    .groupBy(servers.projectId)
    .orderBy(servers.projectId);
  return rows.map((r) => ({
    ...r,
    cpu: Number(r.cpu),
    memoryMb: Number(r.memoryMb),
    diskGb: Number(r.diskGb),
  }));
}

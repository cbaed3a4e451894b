import { and, asc, eq, gte, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import { servers } from './schema.js';

export interface UsageServer {
  id: string;
  name: string;
  projectId: string;
  vmState: string;
  flavorName: string;
  vcpus: number;
  ramMb: number;
  localGb: number;
  startedAt: Date;
  endedAt: Date | null;
}

/** The servers that existed at some point of [start, end), of one project or all. */
export async function serversInPeriod(
  db: Db,
  start: Date,
  end: Date,
  projectId?: string,
): Promise<UsageServer[]> {
  const started = sql<Date>`coalesce(${servers.launchedAt}, ${servers.createdAt})`;
  const ended = sql<Date | null>`coalesce(${servers.deletedAt}, ${servers.terminatedAt})`;
  const rows = await db
    .select({
      id: servers.id,
      name: servers.name,
      projectId: servers.projectId,
      vmState: servers.vmState,
      flavor: servers.flavor,
      startedAt: servers.createdAt,
      launchedAt: servers.launchedAt,
      deletedAt: servers.deletedAt,
      terminatedAt: servers.terminatedAt,
    })
    .from(servers)
    .where(
      and(
        projectId ? eq(servers.projectId, projectId) : undefined,
        lt(started, end),
        or(isNull(ended), gte(ended, start)),
      ),
    )
    .orderBy(asc(servers.createdAt));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    projectId: r.projectId,
    vmState: r.deletedAt ? 'terminated' : r.vmState,
    flavorName: r.flavor.name,
    vcpus: r.flavor.vcpus,
    ramMb: r.flavor.ramMb,
    localGb: r.flavor.diskGb + r.flavor.ephemeralGb,
    startedAt: r.launchedAt ?? r.startedAt,
    endedAt: r.deletedAt ?? r.terminatedAt,
  }));
}

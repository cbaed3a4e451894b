import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { QuotaResource } from '../config.js';
import type { Db } from '../context.js';
import type { ServerLimits, ServerUsage } from '../domain/server-quota.js';
import { quotaClasses, quotas, servers } from './schema.js';

/** A transaction handle of the compute database. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Either the database or a transaction: repository reads run in both. */
export type Queryable = Db | Tx;

/**
 * Serializes quota decisions of one project until the transaction ends
 * (check usage → insert/resize is then race-free across processes).
 */
export async function lockProjectQuota(tx: Tx, projectId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`compute-quota:${projectId}`}))`);
}

/**
 * What a project's servers use: instances, cores and RAM (MB) of its
 * non-deleted servers. During a resize the larger of the old and new flavor
 * counts (the host holds both until the resize is confirmed or reverted).
 */
export async function usageFor(db: Queryable, projectId: string): Promise<ServerUsage> {
  const [row] = await db
    .select({
      instances: sql<number>`count(*)::int`,
      cores: sql<number>`coalesce(sum(greatest((${servers.flavor}->>'vcpus')::int, coalesce((${servers.oldFlavor}->>'vcpus')::int, 0))), 0)::bigint`,
      ram: sql<number>`coalesce(sum(greatest((${servers.flavor}->>'ramMb')::int, coalesce((${servers.oldFlavor}->>'ramMb')::int, 0))), 0)::bigint`,
    })
    .from(servers)
    .where(and(eq(servers.projectId, projectId), isNull(servers.deletedAt)));
  return {
    instances: Number(row?.instances ?? 0),
    cores: Number(row?.cores ?? 0),
    ram: Number(row?.ram ?? 0),
  };
}

/** A project's limits for the given resources: its quota rows, else the configured defaults. */
export async function limitsFor<R extends QuotaResource>(
  db: Queryable,
  projectId: string,
  defaults: Record<QuotaResource, number>,
  resources: readonly R[],
): Promise<Record<R, number>> {
  const rows = await db
    .select({ resource: quotas.resource, hardLimit: quotas.hardLimit })
    .from(quotas)
    .where(and(eq(quotas.projectId, projectId), inArray(quotas.resource, [...resources])));
  // quota class `default` stands in for the configured defaults where it has a row
  const cls = await db
    .select({ resource: quotaClasses.resource, hardLimit: quotaClasses.hardLimit })
    .from(quotaClasses)
    .where(and(eq(quotaClasses.className, 'default'), inArray(quotaClasses.resource, [...resources])));
  const out = {} as Record<R, number>;
  for (const r of resources)
    out[r] =
      rows.find((x) => x.resource === r)?.hardLimit ??
      cls.find((x) => x.resource === r)?.hardLimit ??
      defaults[r];
  return out;
}

/** The instance/core/RAM limits of a project. */
export const serverLimitsFor = (
  db: Queryable,
  projectId: string,
  defaults: Record<QuotaResource, number>,
): Promise<ServerLimits> => limitsFor(db, projectId, defaults, ['instances', 'cores', 'ram'] as const);

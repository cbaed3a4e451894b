import { type AnyColumn, and, count, eq, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { overQuota } from '../domain/errors.js';
import type { Executor, NetworkTx } from './database.js';
import { networks, ports, quotas, subnets } from './schema.js';
import { floatingIps, routers } from './schema-l3.js';
import { securityGroupRules, securityGroups } from './schema-security.js';

export const QUOTA_RESOURCES = [
  'network',
  'subnet',
  'port',
  'router',
  'floatingip',
  'security_group',
  'security_group_rule',
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** Neutron's defaults; -1 is unlimited. */
export const DEFAULT_QUOTAS: Record<QuotaResource, number> = {
  network: 100,
  subnet: 100,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
};

const TABLES: Record<QuotaResource, { table: PgTable; project: AnyColumn }> = {
  network: { table: networks, project: networks.projectId },
  subnet: { table: subnets, project: subnets.projectId },
  port: { table: ports, project: ports.projectId },
  router: { table: routers, project: routers.projectId },
  floatingip: { table: floatingIps, project: floatingIps.projectId },
  security_group: { table: securityGroups, project: securityGroups.projectId },
  security_group_rule: { table: securityGroupRules, project: securityGroupRules.projectId },
};

export type QuotaSet = Record<QuotaResource, number>;

/** The effective limits of a project: defaults overridden by its rows. */
export async function quotaSetOf(db: Executor, projectId: string): Promise<QuotaSet> {
  const rows = await db.select().from(quotas).where(eq(quotas.projectId, projectId));
  const out: QuotaSet = { ...DEFAULT_QUOTAS };
  for (const r of rows) if (r.resource in out) out[r.resource as QuotaResource] = r.limit;
  return out;
}

async function limitOf(db: Executor, projectId: string, resource: QuotaResource): Promise<number> {
  const [row] = await db
    .select({ limit: quotas.limit })
    .from(quotas)
    .where(and(eq(quotas.projectId, projectId), eq(quotas.resource, resource)));
  return row ? row.limit : DEFAULT_QUOTAS[resource];
}

export async function usageOf(db: Executor, projectId: string, resource: QuotaResource): Promise<number> {
  const t = TABLES[resource];
  const [row] = await db.select({ n: count() }).from(t.table).where(eq(t.project, projectId));
  return row?.n ?? 0;
}

/**
 * Throw 409 OverQuota unless the project may add `adding` more of `resource`. Call inside the
 * transaction that inserts them: the per-(project, resource) advisory lock it takes is held until
 * commit, so concurrent creates are counted one after the other and never overshoot.
 */
export async function checkQuotaTx(
  tx: NetworkTx,
  projectId: string,
  resource: QuotaResource,
  adding = 1,
): Promise<void> {
  const limit = await limitOf(tx, projectId, resource);
  if (limit < 0) return;
  await tx.execute(
    sql`SELECT pg_advisory_xact_lock(hashtext(${`kumo-network-quota:${projectId}:${resource}`}))`,
  );
  const used = await usageOf(tx, projectId, resource);
  if (used + adding > limit) throw overQuota([resource]);
}

/** Projects with at least one non-default limit, with their full sets. */
export async function listQuotaSets(db: Executor): Promise<{ projectId: string; set: QuotaSet }[]> {
  const rows = await db.select().from(quotas).orderBy(quotas.projectId);
  const by = new Map<string, QuotaSet>();
  for (const r of rows) {
    const set = by.get(r.projectId) ?? { ...DEFAULT_QUOTAS };
    if (r.resource in set) set[r.resource as QuotaResource] = r.limit;
    by.set(r.projectId, set);
  }
  return [...by].map(([projectId, set]) => ({ projectId, set }));
}

export async function setQuotas(db: Executor, projectId: string, values: Partial<QuotaSet>): Promise<void> {
  const rows = Object.entries(values).map(([resource, limit]) => ({ projectId, resource, limit: limit! }));
  if (!rows.length) return;
  await db
    .insert(quotas)
    .values(rows)
    .onConflictDoUpdate({ target: [quotas.projectId, quotas.resource], set: { limit: sql`excluded.limit` } });
}

export async function resetQuotas(db: Executor, projectId: string): Promise<void> {
  await db.delete(quotas).where(eq(quotas.projectId, projectId));
}

import { and, count, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import { badRequest, conflictOf } from '../domain/errors.js';
import type { Cidr } from '../domain/ip.js';
import { cidrsOf, poolCidr } from '../domain/subnetpool-alloc.js';
import type { Executor, NetworkTx } from './database.js';
import type { ListSpec } from './list.repo.js';
import { type SubnetpoolRow, subnetpoolAllocations, subnetpools } from './schema-subnetpools.js';

export type { SubnetpoolRow };

/** Which pools a project sees: its own and shared ones (admins: all). */
export function visibleSubnetpools(projectId: string | undefined, isAdmin: boolean): SQL | undefined {
  if (isAdmin) return undefined;
  return or(
    projectId === undefined ? sql`false` : eq(subnetpools.projectId, projectId),
    eq(subnetpools.shared, true),
  );
}

export async function getSubnetpool(
  db: Executor,
  id: string,
  scope?: SQL,
): Promise<SubnetpoolRow | undefined> {
  const [row] = await db
    .select()
    .from(subnetpools)
    .where(scope ? and(eq(subnetpools.id, id), scope) : eq(subnetpools.id, id));
  return row;
}

/** The pool locked until commit: allocations from it and its deletion are serialised on this row. */
export async function lockSubnetpoolTx(tx: NetworkTx, id: string): Promise<SubnetpoolRow | undefined> {
  const [row] = await tx.select().from(subnetpools).where(eq(subnetpools.id, id)).for('update');
  return row;
}

/** The default pool of an IP version, when the caller sees it. */
export async function defaultSubnetpool(
  db: Executor,
  ipVersion: number,
  scope?: SQL,
): Promise<SubnetpoolRow | undefined> {
  const cond = and(eq(subnetpools.ipVersion, ipVersion), eq(subnetpools.isDefault, true));
  const [row] = await db
    .select()
    .from(subnetpools)
    .where(scope ? and(cond, scope) : cond);
  return row;
}

/**
 * Serialise changes of the default pool of an IP version (the partial unique index is the last
 * guard); 400 InvalidInput when another pool already is the default.
 */
export async function checkDefaultFreeTx(tx: NetworkTx, ipVersion: number, self?: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`kumo-network-default-pool:${ipVersion}`}))`);
  const cur = await defaultSubnetpool(tx, ipVersion);
  if (cur && cur.id !== self) {
    throw badRequest(
      'Invalid input for operation: A default subnetpool for this IP family has already been set. Only one default may exist per IP family.',
      'InvalidInput',
    );
  }
}

export async function insertSubnetpoolTx(
  tx: NetworkTx,
  values: typeof subnetpools.$inferInsert,
): Promise<SubnetpoolRow> {
  const [row] = await tx.insert(subnetpools).values(values).returning();
  return row!;
}

export async function updateSubnetpoolTx(
  tx: NetworkTx,
  id: string,
  changes: Partial<typeof subnetpools.$inferInsert>,
): Promise<SubnetpoolRow | undefined> {
  const [row] = await tx
    .update(subnetpools)
    .set({ ...changes, revisionNumber: sql`${subnetpools.revisionNumber} + 1`, updatedAt: new Date() })
    .where(eq(subnetpools.id, id))
    .returning();
  return row;
}

/** Delete a pool; 409 SubnetPoolInUse while subnets allocated from it exist. False when gone. */
export async function deleteSubnetpoolTx(tx: NetworkTx, id: string): Promise<boolean> {
  const pool = await lockSubnetpoolTx(tx, id);
  if (!pool) return false;
  const [used] = await tx
    .select({ n: count() })
    .from(subnetpoolAllocations)
    .where(eq(subnetpoolAllocations.subnetpoolId, id));
  if ((used?.n ?? 0) > 0) {
    throw conflictOf(
      'SubnetPoolInUse',
      `Unable to complete operation on subnet pool ${id}. Subnet pool has existing allocations.`,
    );
  }
  await tx.delete(subnetpools).where(eq(subnetpools.id, id));
  return true;
}

/** The CIDRs of the subnets allocated from a pool (call with the pool locked). */
export async function allocatedCidrs(db: Executor, poolId: string): Promise<string[]> {
  const rows = await db
    .select({ cidr: subnetpoolAllocations.cidr })
    .from(subnetpoolAllocations)
    .where(eq(subnetpoolAllocations.subnetpoolId, poolId));
  return rows.map((r) => r.cidr);
}

export async function recordAllocationTx(tx: NetworkTx, subnetId: string, poolId: string, cidr: string) {
  await tx.insert(subnetpoolAllocations).values({ subnetId, subnetpoolId: poolId, cidr });
}

/** The pool of each subnet that came from one. */
export async function poolIdsOfSubnets(db: Executor, subnetIds: string[]): Promise<Map<string, string>> {
  if (!subnetIds.length) return new Map();
  const rows = await db
    .select({ subnetId: subnetpoolAllocations.subnetId, poolId: subnetpoolAllocations.subnetpoolId })
    .from(subnetpoolAllocations)
    .where(inArray(subnetpoolAllocations.subnetId, subnetIds));
  return new Map(rows.map((r) => [r.subnetId, r.poolId]));
}

/** Filters and sort keys of GET /v2.0/subnetpools. */
export const subnetpoolListSpec: ListSpec = {
  table: subnetpools,
  id: subnetpools.id,
  tags: subnetpools.tags,
  notFoundType: 'SubnetPoolNotFound',
  attrs: {
    id: { type: 'string', column: subnetpools.id },
    name: { type: 'string', column: subnetpools.name },
    description: { type: 'string', column: subnetpools.description },
    tenant_id: { type: 'string', column: subnetpools.projectId },
    project_id: { type: 'string', column: subnetpools.projectId },
    ip_version: { type: 'int', column: subnetpools.ipVersion },
    default_prefixlen: { type: 'int', column: subnetpools.defaultPrefixlen },
    min_prefixlen: { type: 'int', column: subnetpools.minPrefixlen },
    max_prefixlen: { type: 'int', column: subnetpools.maxPrefixlen },
    shared: { type: 'bool', column: subnetpools.shared },
    is_default: { type: 'bool', column: subnetpools.isDefault },
    revision_number: { type: 'int', column: subnetpools.revisionNumber },
    created_at: { type: 'string', column: subnetpools.createdAt, filter: () => undefined },
    updated_at: { type: 'string', column: subnetpools.updatedAt, filter: () => undefined },
    address_scope_id: { type: 'string', filter: (vs) => (vs.includes('') ? undefined : sql`false`) },
    prefixes: {
      type: 'string',
      sort: false,
      filter: (vs) =>
        sql`${subnetpools.prefixes} && ARRAY[${sql.join(
          vs.map((v) => sql`${String(v)}`),
          sql`, `,
        )}]::text[]`,
    },
  },
};

/**
 * Lock the pool and choose the new subnet's CIDR from it (see poolCidr). The lock is held until
 * commit, so concurrent allocations from one pool never overlap.
 */
export async function allocateFromPoolTx(
  tx: NetworkTx,
  poolId: string,
  avoid: Cidr[],
  want: { cidr?: Cidr; prefixlen?: number },
): Promise<{ pool: SubnetpoolRow; cidr: Cidr } | undefined> {
  const pool = await lockSubnetpoolTx(tx, poolId);
  if (!pool) return undefined;
  const bounds = { min: pool.minPrefixlen, max: pool.maxPrefixlen, default: pool.defaultPrefixlen };
  const used = cidrsOf(await allocatedCidrs(tx, pool.id));
  return { pool, cidr: poolCidr({ prefixes: cidrsOf(pool.prefixes), bounds }, used, avoid, want) };
}

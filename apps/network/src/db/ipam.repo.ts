import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { conflictOf } from '../domain/errors.js';
import { formatIp, type IpVersion, parseIp } from '../domain/ip.js';
import type { Executor, NetworkTx } from './database.js';
import { ipAllocations, type SubnetRow, subnets } from './schema.js';

export interface FixedIp {
  subnetId: string;
  ipAddress: string;
}

/** The subnet row, locked for this transaction: allocations on one subnet run one after the other. */
export async function lockSubnetTx(tx: NetworkTx, id: string): Promise<SubnetRow | undefined> {
  const [row] = await tx.select().from(subnets).where(eq(subnets.id, id)).for('update');
  return row;
}

/** The first free address in [lo, hi], by an index walk from lo to the first gap. */
async function firstFree(
  tx: NetworkTx,
  subnetId: string,
  lo: string,
  hi: string,
): Promise<string | undefined> {
  const res = await tx.execute<{ c: string }>(sql`
    SELECT host(x.c) AS c FROM (
      (SELECT ${lo}::inet AS c WHERE NOT EXISTS (
         SELECT 1 FROM ${ipAllocations} WHERE subnet_id = ${subnetId} AND ip_address = ${lo}::inet))
      UNION ALL
      (SELECT a.ip_address + 1 AS c FROM ${ipAllocations} a
        WHERE a.subnet_id = ${subnetId} AND a.ip_address >= ${lo}::inet AND a.ip_address < ${hi}::inet
          AND NOT EXISTS (SELECT 1 FROM ${ipAllocations} b
                          WHERE b.subnet_id = ${subnetId} AND b.ip_address = a.ip_address + 1)
        ORDER BY a.ip_address LIMIT 1)
    ) x ORDER BY x.c LIMIT 1`);
  return res.rows[0]?.c;
}

/**
 * The ranges to search, starting at the subnet's cursor and wrapping around: recently released
 * addresses are not handed out again at once, and a search only walks the allocations between
 * the cursor and the first gap (fast at 10,000 ports).
 */
function searchOrder(s: SubnetRow): { lo: bigint; hi: bigint }[] {
  const pools = s.allocationPools
    .map((p) => ({ lo: parseIp(p.start)!.value, hi: parseIp(p.end)!.value }))
    .sort((a, b) => (a.lo < b.lo ? -1 : 1));
  if (!pools.length) return [];
  const cur = s.ipamCursor ? parseIp(s.ipamCursor)?.value : undefined;
  const at = cur === undefined ? -1 : pools.findIndex((p) => cur >= p.lo && cur <= p.hi);
  if (at < 0 || cur === undefined) {
    // the cursor is outside every pool: start with the first pool after it (or the first one)
    const next =
      cur === undefined
        ? 0
        : Math.max(
            0,
            pools.findIndex((p) => p.lo > cur),
          );
    return [...pools.slice(next), ...pools.slice(0, next)];
  }
  const p = pools[at]!;
  const out = [{ lo: cur, hi: p.hi }, ...pools.slice(at + 1), ...pools.slice(0, at)];
  if (cur > p.lo) out.push({ lo: p.lo, hi: cur - 1n });
  return out;
}

/**
 * Hand out the next free address of a subnet locked by lockSubnetTx (409
 * IpAddressGenerationFailure when its pools are exhausted).
 */
export async function allocateNextTx(
  tx: NetworkTx,
  subnet: SubnetRow,
  port: { id: string; networkId: string },
  position: number,
): Promise<string> {
  const v = subnet.ipVersion as IpVersion;
  for (const r of searchOrder(subnet)) {
    const ip = await firstFree(tx, subnet.id, formatIp(v, r.lo), formatIp(v, r.hi));
    if (ip === undefined) continue;
    await tx
      .insert(ipAllocations)
      .values({ subnetId: subnet.id, ipAddress: ip, portId: port.id, networkId: port.networkId, position });
    const next = parseIp(ip)!.value + 1n;
    await tx
      .update(subnets)
      .set({ ipamCursor: formatIp(v, next) })
      .where(eq(subnets.id, subnet.id));
    subnet.ipamCursor = formatIp(v, next);
    return ip;
  }
  throw conflictOf(
    'IpAddressGenerationFailure',
    `No more IP addresses available on network ${subnet.networkId}.`,
  );
}

/** Take one given address (409 IpAddressAlreadyAllocated when some port holds it). */
export async function allocateSpecificTx(
  tx: NetworkTx,
  subnet: SubnetRow,
  ip: string,
  port: { id: string; networkId: string },
  position: number,
): Promise<string> {
  const taken = await tx
    .select({ portId: ipAllocations.portId })
    .from(ipAllocations)
    .where(and(eq(ipAllocations.subnetId, subnet.id), sql`${ipAllocations.ipAddress} = ${ip}::inet`))
    .limit(1);
  if (taken.length) {
    throw conflictOf(
      'IpAddressAlreadyAllocated',
      `IP address ${ip} already allocated in subnet ${subnet.id}`,
    );
  }
  await tx
    .insert(ipAllocations)
    .values({ subnetId: subnet.id, ipAddress: ip, portId: port.id, networkId: port.networkId, position });
  return ip;
}

/** Release some (or all) addresses of a port. */
export async function releaseTx(tx: NetworkTx, portId: string, keep: FixedIp[] = []): Promise<void> {
  const current = await fixedIpsOf(tx, [portId]);
  for (const ip of current.get(portId) ?? []) {
    if (keep.some((k) => k.subnetId === ip.subnetId && k.ipAddress === ip.ipAddress)) continue;
    await tx
      .delete(ipAllocations)
      .where(
        and(
          eq(ipAllocations.portId, portId),
          eq(ipAllocations.subnetId, ip.subnetId),
          sql`${ipAllocations.ipAddress} = ${ip.ipAddress}::inet`,
        ),
      );
  }
}

/** The fixed IPs of each port, in the order they were given. */
export async function fixedIpsOf(db: Executor, portIds: string[]): Promise<Map<string, FixedIp[]>> {
  const out = new Map<string, FixedIp[]>(portIds.map((id) => [id, []]));
  if (!portIds.length) return out;
  const rows = await db
    .select({
      portId: ipAllocations.portId,
      subnetId: ipAllocations.subnetId,
      ipAddress: sql<string>`host(${ipAllocations.ipAddress})`,
    })
    .from(ipAllocations)
    .where(inArray(ipAllocations.portId, portIds))
    .orderBy(asc(ipAllocations.position), asc(ipAllocations.ipAddress));
  for (const r of rows) out.get(r.portId)?.push({ subnetId: r.subnetId, ipAddress: r.ipAddress });
  return out;
}

/** How many addresses of a subnet are in use (network-ip-availability). */
export async function usedCountOf(db: Executor, subnetIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>(subnetIds.map((id) => [id, 0]));
  if (!subnetIds.length) return out;
  const rows = await db
    .select({ subnetId: ipAllocations.subnetId, n: sql<number>`count(*)::int` })
    .from(ipAllocations)
    .where(inArray(ipAllocations.subnetId, subnetIds))
    .groupBy(ipAllocations.subnetId);
  for (const r of rows) out.set(r.subnetId, r.n);
  return out;
}

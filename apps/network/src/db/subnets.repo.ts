import { and, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import { conflictOf } from '../domain/errors.js';
import type { Executor, NetworkTx } from './database.js';
import { isAutoAddress } from './fixed-ips.repo.js';
import type { ListSpec } from './list.repo.js';
import { ipAllocations, networks, ports, type SubnetRow, subnets } from './schema.js';
import { subnetpoolAllocations } from './schema-subnetpools.js';

export type { SubnetRow };

/** Which subnets a project sees: its own, those of its networks and of shared networks (admins: all). */
export function visibleSubnets(projectId: string | undefined, isAdmin: boolean): SQL | undefined {
  if (isAdmin) return undefined;
  if (projectId === undefined) return sql`false`;
  return or(
    eq(subnets.projectId, projectId),
    sql`${subnets.networkId} IN (SELECT ${networks.id} FROM ${networks}
          WHERE ${networks.projectId} = ${projectId} OR ${networks.shared})`,
  );
}

/** A subnet by id, within `scope` when given (see visibleSubnets). */
export async function getSubnet(db: Executor, id: string, scope?: SQL): Promise<SubnetRow | undefined> {
  const [row] = await db
    .select()
    .from(subnets)
    .where(scope ? and(eq(subnets.id, id), scope) : eq(subnets.id, id));
  return row;
}

export async function subnetsOfNetwork(db: Executor, networkId: string): Promise<SubnetRow[]> {
  return db
    .select()
    .from(subnets)
    .where(eq(subnets.networkId, networkId))
    .orderBy(subnets.createdAt, subnets.id);
}

export async function insertSubnetTx(tx: NetworkTx, values: typeof subnets.$inferInsert): Promise<SubnetRow> {
  const [row] = await tx.insert(subnets).values(values).returning();
  return row!;
}

export async function updateSubnetTx(
  tx: NetworkTx,
  id: string,
  changes: Partial<typeof subnets.$inferInsert>,
): Promise<SubnetRow | undefined> {
  const [row] = await tx
    .update(subnets)
    .set({ ...changes, revisionNumber: sql`${subnets.revisionNumber} + 1`, updatedAt: new Date() })
    .where(eq(subnets.id, id))
    .returning();
  return row;
}

/**
 * Delete a subnet: 409 SubnetInUse while ports other than DHCP ports hold addresses from it;
 * addresses on SLAAC/DHCPv6-stateless subnets are simply removed from their ports (as Neutron).
 * Returns the ids of the ports that lost an address.
 */
export async function deleteSubnetTx(tx: NetworkTx, subnet: SubnetRow): Promise<string[]> {
  const auto = isAutoAddress(subnet);
  const holders = await tx
    .select({ portId: ipAllocations.portId, owner: ports.deviceOwner })
    .from(ipAllocations)
    .innerJoin(ports, eq(ports.id, ipAllocations.portId))
    .where(eq(ipAllocations.subnetId, subnet.id));
  const blocking = holders.filter(
    (h) => h.owner !== 'network:dhcp' && (!auto || h.owner.startsWith('network:router_')),
  );
  if (blocking.length) {
    throw conflictOf(
      'SubnetInUse',
      `Unable to complete operation on subnet ${subnet.id}: One or more ports have an IP allocation from this subnet.`,
    );
  }
  await tx.delete(subnets).where(eq(subnets.id, subnet.id));
  // bump the revision of the ports that lost an address
  const ids = [...new Set(holders.map((h) => h.portId))];
  if (ids.length) {
    await tx
      .update(ports)
      .set({ revisionNumber: sql`${ports.revisionNumber} + 1`, updatedAt: new Date() })
      .where(inArray(ports.id, ids));
  }
  return ids;
}

/** Filters and sort keys of GET /v2.0/subnets. */
export const subnetListSpec: ListSpec = {
  table: subnets,
  id: subnets.id,
  tags: subnets.tags,
  notFoundType: 'SubnetNotFound',
  attrs: {
    id: { type: 'string', column: subnets.id },
    name: { type: 'string', column: subnets.name },
    description: { type: 'string', column: subnets.description },
    tenant_id: { type: 'string', column: subnets.projectId },
    project_id: { type: 'string', column: subnets.projectId },
    network_id: { type: 'string', column: subnets.networkId },
    ip_version: { type: 'int', column: subnets.ipVersion },
    cidr: { type: 'string', column: subnets.cidr },
    gateway_ip: { type: 'string', column: subnets.gatewayIp },
    enable_dhcp: { type: 'bool', column: subnets.enableDhcp },
    ipv6_ra_mode: { type: 'string', column: subnets.ipv6RaMode },
    ipv6_address_mode: { type: 'string', column: subnets.ipv6AddressMode },
    subnetpool_id: {
      type: 'string',
      sort: false,
      filter: (vs) => {
        const ids = vs.filter((v) => v !== '') as string[];
        const alloc = sql`SELECT ${subnetpoolAllocations.subnetId} FROM ${subnetpoolAllocations}`;
        const some = ids.length
          ? sql`${subnets.id} IN (${alloc} WHERE ${inArray(subnetpoolAllocations.subnetpoolId, ids)})`
          : undefined;
        const none = vs.includes('') ? sql`${subnets.id} NOT IN (${alloc})` : undefined;
        return or(some, none) ?? sql`false`;
      },
    },
    segment_id: { type: 'string', filter: (vs) => (vs.includes('') ? undefined : sql`false`) },
    revision_number: { type: 'int', column: subnets.revisionNumber },
    created_at: { type: 'string', column: subnets.createdAt, filter: () => undefined },
    updated_at: { type: 'string', column: subnets.updatedAt, filter: () => undefined },
    shared: {
      type: 'bool',
      sort: false,
      filter: (vs) =>
        sql`${subnets.networkId} IN (SELECT ${networks.id} FROM ${networks} WHERE ${inArray(networks.shared, vs as boolean[])})`,
    },
  },
};

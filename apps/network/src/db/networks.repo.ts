import { and, eq, inArray, notInArray, or, type SQL, sql } from 'drizzle-orm';
import { conflictOf } from '../domain/errors.js';
import { MAX_VNI } from '../domain/network-input.js';
import type { Executor, NetworkTx } from './database.js';
import type { ListSpec } from './list.repo.js';
import { type NetworkRow, networks, ports, subnets } from './schema.js';
import { floatingIps } from './schema-l3.js';

export type { NetworkRow };

/** Ports that go away with their network (Neutron's auto-delete owners, plus unassociated FIP holders). */
export const AUTO_DELETE_OWNERS = ['network:dhcp', 'network:distributed', 'network:floatingip'];

/** Which networks a project sees: its own, shared ones and external ones (admins: all). */
export function visibleNetworks(projectId: string | undefined, isAdmin: boolean): SQL | undefined {
  if (isAdmin) return undefined;
  return or(
    projectId === undefined ? sql`false` : eq(networks.projectId, projectId),
    eq(networks.shared, true),
    eq(networks.external, true),
  );
}

export async function getNetwork(db: Executor, id: string): Promise<NetworkRow | undefined> {
  const [row] = await db.select().from(networks).where(eq(networks.id, id));
  return row;
}

/** The network, locked against deletion until the transaction ends (FOR SHARE). */
export async function getNetworkForShare(tx: NetworkTx, id: string): Promise<NetworkRow | undefined> {
  const [row] = await tx.select().from(networks).where(eq(networks.id, id)).for('share');
  return row;
}

export async function getNetworkForUpdate(tx: NetworkTx, id: string): Promise<NetworkRow | undefined> {
  const [row] = await tx.select().from(networks).where(eq(networks.id, id)).for('update');
  return row;
}

/** The subnet ids of each network, oldest first. */
export async function subnetIdsOf(db: Executor, networkIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(networkIds.map((id) => [id, []]));
  if (!networkIds.length) return out;
  const rows = await db
    .select({ id: subnets.id, networkId: subnets.networkId })
    .from(subnets)
    .where(inArray(subnets.networkId, networkIds))
    .orderBy(subnets.createdAt, subnets.id);
  for (const r of rows) out.get(r.networkId)?.push(r.id);
  return out;
}

/**
 * A free segmentation id for a tunnel network: max + 1 while it fits, else the lowest gap.
 * Serialised per network type by an advisory lock held until commit (the unique index is the
 * last guard).
 */
export async function allocateVniTx(tx: NetworkTx, networkType: string): Promise<number> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`kumo-network-vni:${networkType}`}))`);
  const [top] = await tx
    .select({ max: sql<number | null>`max(${networks.segmentationId})` })
    .from(networks)
    .where(eq(networks.networkType, networkType));
  const next = (top?.max ?? 0) + 1;
  if (next <= MAX_VNI) return next;
  const gap = await tx.execute<{ vni: number }>(sql`
    SELECT v.vni FROM (
      SELECT 1 AS vni
      UNION ALL
      SELECT n.segmentation_id + 1 FROM ${networks} n WHERE n.network_type = ${networkType}
    ) v
    WHERE v.vni <= ${MAX_VNI} AND NOT EXISTS (
      SELECT 1 FROM ${networks} m WHERE m.network_type = ${networkType} AND m.segmentation_id = v.vni)
    ORDER BY v.vni LIMIT 1`);
  const vni = gap.rows[0]?.vni;
  if (vni === undefined) {
    throw conflictOf(
      'NoNetworkAvailable',
      'Unable to create the network. No tenant network is available for allocation.',
    );
  }
  return vni;
}

export async function segmentInUse(
  db: Executor,
  networkType: string,
  segmentationId: number | null,
  physicalNetwork: string | null,
): Promise<boolean> {
  const cond =
    segmentationId !== null
      ? and(eq(networks.networkType, networkType), eq(networks.segmentationId, segmentationId))
      : and(eq(networks.networkType, networkType), eq(networks.physicalNetwork, physicalNetwork ?? ''));
  const [row] = await db.select({ id: networks.id }).from(networks).where(cond).limit(1);
  return row !== undefined;
}

export async function insertNetworkTx(
  tx: NetworkTx,
  values: typeof networks.$inferInsert,
): Promise<NetworkRow> {
  const [row] = await tx.insert(networks).values(values).returning();
  return row!;
}

/** Apply changes and bump the revision; undefined when the network is gone. */
export async function updateNetworkTx(
  tx: NetworkTx,
  id: string,
  changes: Partial<typeof networks.$inferInsert>,
): Promise<NetworkRow | undefined> {
  const [row] = await tx
    .update(networks)
    .set({ ...changes, revisionNumber: sql`${networks.revisionNumber} + 1`, updatedAt: new Date() })
    .where(eq(networks.id, id))
    .returning();
  return row;
}

/**
 * Delete a network with its subnets and auto-deleted ports; 409 NetworkInUse when other ports
 * remain. Returns the ids of the ports that went with it (for the OVN side).
 */
export async function deleteNetworkTx(
  tx: NetworkTx,
  id: string,
): Promise<{ deleted: boolean; portIds: string[]; floatingIpIds: string[] }> {
  const net = await getNetworkForUpdate(tx, id);
  if (!net) return { deleted: false, portIds: [], floatingIpIds: [] };
  const [busy] = await tx
    .select({ id: ports.id })
    .from(ports)
    .where(and(eq(ports.networkId, id), notInArray(ports.deviceOwner, AUTO_DELETE_OWNERS)))
    .limit(1);
  if (busy) {
    throw conflictOf(
      'NetworkInUse',
      `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`,
    );
  }
  // an external network goes with its (unassociated or not) floating IPs, as in Neutron
  const fips = await tx
    .delete(floatingIps)
    .where(eq(floatingIps.floatingNetworkId, id))
    .returning({ id: floatingIps.id });
  const gone = await tx.delete(ports).where(eq(ports.networkId, id)).returning({ id: ports.id });
  await tx.delete(networks).where(eq(networks.id, id));
  return { deleted: true, portIds: gone.map((p) => p.id), floatingIpIds: fips.map((f) => f.id) };
}

/** Filters and sort keys of GET /v2.0/networks. */
export const networkListSpec: ListSpec = {
  table: networks,
  id: networks.id,
  tags: networks.tags,
  notFoundType: 'NetworkNotFound',
  attrs: {
    id: { type: 'string', column: networks.id },
    name: { type: 'string', column: networks.name },
    description: { type: 'string', column: networks.description },
    tenant_id: { type: 'string', column: networks.projectId },
    project_id: { type: 'string', column: networks.projectId },
    admin_state_up: { type: 'bool', column: networks.adminStateUp },
    status: { type: 'string', filter: (vs) => (vs.includes('ACTIVE') ? undefined : sql`false`) },
    shared: { type: 'bool', column: networks.shared },
    'router:external': { type: 'bool', column: networks.external },
    mtu: { type: 'int', column: networks.mtu },
    port_security_enabled: { type: 'bool', column: networks.portSecurityEnabled },
    'provider:network_type': { type: 'string', column: networks.networkType },
    'provider:physical_network': { type: 'string', column: networks.physicalNetwork },
    'provider:segmentation_id': { type: 'int', column: networks.segmentationId },
    revision_number: { type: 'int', column: networks.revisionNumber },
    created_at: { type: 'string', column: networks.createdAt, filter: () => undefined },
    updated_at: { type: 'string', column: networks.updatedAt, filter: () => undefined },
    is_default: { type: 'bool', filter: (vs) => (vs.includes(false) ? undefined : sql`false`) },
    subnets: {
      type: 'string',
      sort: false,
      filter: (vs) =>
        sql`${networks.id} IN (SELECT ${subnets.networkId} FROM ${subnets} WHERE ${inArray(subnets.id, vs as string[])})`,
    },
  },
};

/** Other projects' ports on a network (a shared network cannot become private while they exist). */
export async function hasForeignPorts(
  db: Executor,
  networkId: string,
  ownerProject: string,
): Promise<boolean> {
  const [row] = await db
    .select({ id: ports.id })
    .from(ports)
    .where(
      and(
        eq(ports.networkId, networkId),
        sql`${ports.projectId} <> ${ownerProject}`,
        notInArray(ports.deviceOwner, ['network:dhcp', 'network:router_gateway', 'network:floatingip']),
      ),
    )
    .limit(1);
  return row !== undefined;
}

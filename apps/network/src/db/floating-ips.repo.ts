import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, isNotNull, notInArray, type SQL, sql } from 'drizzle-orm';
import { badRequest, conflictOf, networkNotFound, notFoundOf, portNotFound } from '../domain/errors.js';
import type { FipPortDetails, FloatingIpInput, FloatingIpRow } from '../domain/floating-ip-view.js';
import { parseIp } from '../domain/ip.js';
import type { ListQuery } from '../domain/list-query.js';
import { checkRevision } from '../domain/standard-attrs.js';
import type { Executor, NetworkTx } from './database.js';
import { fixedIpsOf } from './ipam.repo.js';
import { type ListSpec, listPage, type Page } from './list.repo.js';
import { getNetworkForShare } from './networks.repo.js';
import { createPortTx, deletePortTx } from './ports.repo.js';
import { checkQuotaTx } from './quotas.repo.js';
import { ipAllocations, ports, subnets } from './schema.js';
import { floatingIps, routerPorts, routers } from './schema-l3.js';

export const FLOATING_IP_OWNER = 'network:floatingip';

export const floatingIpNotFound = (id: string) =>
  notFoundOf('FloatingIPNotFound', `Floating IP ${id} could not be found`);

type Scope = { projectId: string | undefined; isAdmin: boolean };

const bad = (msg: string) => badRequest(`Bad floatingip request: ${msg}`, 'BadRequest');

export async function findFloatingIp(
  db: Executor,
  id: string,
  scope: Scope,
  lock?: 'update',
): Promise<FloatingIpRow | undefined> {
  let q = db.select().from(floatingIps).where(eq(floatingIps.id, id)).$dynamic();
  if (lock) q = q.for(lock);
  const [row] = await q;
  if (!row || (!scope.isAdmin && row.projectId !== scope.projectId)) return undefined;
  return row;
}

export async function listFloatingIps(
  db: Executor,
  spec: ListSpec,
  q: ListQuery,
  scope: SQL | undefined,
): Promise<Page<FloatingIpRow>> {
  return listPage<FloatingIpRow>(db, spec, q, scope);
}

/** fip-port-details of the associated ports, by port id. */
export async function portDetailsOf(
  db: Executor,
  fips: FloatingIpRow[],
): Promise<Map<string, FipPortDetails>> {
  const ids = [...new Set(fips.map((f) => f.portId).filter((x): x is string => !!x))];
  const out = new Map<string, FipPortDetails>();
  if (!ids.length) return out;
  const rows = await db.select().from(ports).where(inArray(ports.id, ids));
  for (const p of rows) {
    out.set(p.id, {
      name: p.name,
      network_id: p.networkId,
      mac_address: p.macAddress,
      admin_state_up: p.adminStateUp,
      status: p.status,
      device_id: p.deviceId,
      device_owner: p.deviceOwner,
    });
  }
  return out;
}

/**
 * Where an association goes: the port (caller's, not a network:* port), which of its IPv4
 * addresses, and the router that connects that address's subnet to the floating network.
 */
async function associationOf(
  tx: NetworkTx,
  fip: Pick<FloatingIpRow, 'id' | 'projectId' | 'floatingNetworkId' | 'floatingIpAddress'>,
  portId: string,
  fixedIpAddress: string | undefined,
  scope: Scope,
): Promise<{ portId: string; fixedIpAddress: string; routerId: string }> {
  const [port] = await tx.select().from(ports).where(eq(ports.id, portId)).for('share');
  if (!port || (!scope.isAdmin && port.projectId !== fip.projectId)) throw portNotFound(portId);
  if (port.deviceOwner.startsWith('network:')) {
    throw bad(`Port ${portId} has owner ${port.deviceOwner} and cannot be associated with a floating IP.`);
  }
  const fixed = (await fixedIpsOf(tx, [port.id])).get(port.id) ?? [];
  let chosen: { subnetId: string; ipAddress: string } | undefined;
  if (fixedIpAddress !== undefined) {
    chosen = fixed.find((f) => f.ipAddress === fixedIpAddress);
    if (!chosen) throw bad(`Port ${portId} does not have fixed ip ${fixedIpAddress}.`);
    if (parseIp(chosen.ipAddress)?.version !== 4) {
      throw bad(
        `Cannot process floating IP association with ${fixedIpAddress}, since that is not an IPv4 address.`,
      );
    }
  } else {
    const v4 = fixed.filter((f) => parseIp(f.ipAddress)?.version === 4);
    if (!v4.length)
      throw bad(
        `Unable to find any IP address on external network for port ${portId}: it has no IPv4 address.`,
      );
    if (v4.length > 1) {
      throw bad(
        `Port ${portId} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP.`,
      );
    }
    chosen = v4[0]!;
  }
  const routerFor = () =>
    tx
      .select({ id: routers.id })
      .from(routers)
      .innerJoin(routerPorts, eq(routerPorts.routerId, routers.id))
      .innerJoin(ipAllocations, eq(ipAllocations.portId, routerPorts.portId))
      .where(and(eq(routers.gwNetworkId, fip.floatingNetworkId), eq(ipAllocations.subnetId, chosen.subnetId)))
      .orderBy(asc(routers.createdAt))
      .limit(1);
  let [router] = await routerFor();
  if (router) {
    // share-lock the router (interface removal and gateway changes lock it for update and then
    // look for floating IPs), then check again with what is committed now
    await tx.select({ id: routers.id }).from(routers).where(eq(routers.id, router.id)).for('share');
    [router] = await routerFor();
  }
  if (!router) {
    throw notFoundOf(
      'ExternalGatewayForFloatingIPNotFound',
      `External network ${fip.floatingNetworkId} is not reachable from subnet ${chosen.subnetId}. Therefore, cannot associate Port ${portId} with a Floating IP.`,
    );
  }
  const [taken] = await tx
    .select({ id: floatingIps.id })
    .from(floatingIps)
    .where(
      and(
        eq(floatingIps.portId, portId),
        eq(floatingIps.fixedIpAddress, chosen.ipAddress),
        sql`${floatingIps.id} <> ${fip.id}`,
      ),
    )
    .limit(1);
  if (taken) throw alreadyAssociated(fip, portId, chosen.ipAddress);
  return { portId, fixedIpAddress: chosen.ipAddress, routerId: router.id };
}

const alreadyAssociated = (
  fip: Pick<FloatingIpRow, 'id' | 'floatingIpAddress' | 'floatingNetworkId'>,
  portId: string,
  fixed: string,
) =>
  conflictOf(
    'FloatingIPPortAlreadyAssociated',
    `Cannot associate floating IP ${fip.floatingIpAddress} (${fip.id}) with port ${portId} using fixed IP ${fixed}, as that fixed IP already has a floating IP on external network ${fip.floatingNetworkId}.`,
  );

/** The unique index (port_id, fixed_ip_address) is the last guard against a double association. */
async function guardUnique<T>(
  fip: Pick<FloatingIpRow, 'id' | 'floatingIpAddress' | 'floatingNetworkId'>,
  portId: string | null | undefined,
  fixed: string | null | undefined,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } };
    if ((e.code ?? e.cause?.code) === '23505' && portId && fixed) throw alreadyAssociated(fip, portId, fixed);
    throw err;
  }
}

/** The subnet the address comes from: the one asked (IPv4, on the network) or the first IPv4 one. */
async function pickSubnet(tx: NetworkTx, networkId: string, subnetId: string | undefined): Promise<string> {
  const rows = await tx
    .select({ id: subnets.id, ipVersion: subnets.ipVersion })
    .from(subnets)
    .where(eq(subnets.networkId, networkId))
    .orderBy(asc(subnets.createdAt), asc(subnets.id));
  if (subnetId !== undefined) {
    const s = rows.find((r) => r.id === subnetId);
    if (!s) throw bad(`Subnet ${subnetId} is not on network ${networkId}.`);
    if (s.ipVersion !== 4) throw bad(`Subnet ${subnetId} is not an IPv4 subnet.`);
    return s.id;
  }
  const v4 = rows.find((r) => r.ipVersion === 4);
  if (!v4) throw bad(`Network ${networkId} does not contain any IPv4 subnet.`);
  return v4.id;
}

export interface FloatingIpChange {
  fip: FloatingIpRow;
  /** The port holding the floating address (created or deleted). */
  floatingPortId: string;
}

/** Allocate an address on an external network (and associate it when a port is given). */
export async function createFloatingIp(
  db: Executor,
  projectId: string,
  input: FloatingIpInput & { tags?: string[] },
  scope: Scope,
): Promise<FloatingIpChange> {
  return db.transaction(async (tx) => {
    const netId = input.floatingNetworkId!;
    const net = await getNetworkForShare(tx, netId);
    if (!net || (!scope.isAdmin && !net.external && !net.shared && net.projectId !== scope.projectId))
      throw networkNotFound(netId);
    if (!net.external) throw bad(`Network ${netId} is not a valid external network.`);
    await checkQuotaTx(tx, projectId, 'floatingip');
    const id = randomUUID();
    const subnetId =
      input.floatingIpAddress !== undefined && input.subnetId === undefined
        ? undefined
        : await pickSubnet(tx, netId, input.subnetId);
    const port = await createPortTx(
      tx,
      {
        projectId: '',
        networkId: netId,
        deviceOwner: FLOATING_IP_OWNER,
        deviceId: id,
        name: '',
        fixedIps: [{ subnetId, ipAddress: input.floatingIpAddress }],
        securityGroupIds: null,
        portSecurityEnabled: false,
      },
      true,
    );
    const address = port.fixedIps[0]?.ipAddress;
    if (!address || parseIp(address)?.version !== 4)
      throw bad(`No IPv4 address could be allocated on network ${netId}.`);
    const base = { id, projectId, floatingNetworkId: netId, floatingIpAddress: address };
    const assoc = input.portId
      ? await associationOf(tx, base, input.portId, input.fixedIpAddress, scope)
      : undefined;
    const [row] = await guardUnique(base, assoc?.portId, assoc?.fixedIpAddress, () =>
      tx
        .insert(floatingIps)
        .values({
          ...base,
          floatingPortId: port.id,
          description: input.description ?? '',
          tags: input.tags ?? [],
          portId: assoc?.portId ?? null,
          fixedIpAddress: assoc?.fixedIpAddress ?? null,
          routerId: assoc?.routerId ?? null,
        })
        .returning(),
    );
    return { fip: row!, floatingPortId: port.id };
  });
}

/** Change the description and/or the association (port_id null: disassociate). */
export async function updateFloatingIp(
  db: Executor,
  id: string,
  scope: Scope,
  input: FloatingIpInput,
  ifMatch: number[] | undefined,
): Promise<FloatingIpChange> {
  return db.transaction(async (tx) => {
    const fip = await findFloatingIp(tx, id, scope, 'update');
    if (!fip) throw floatingIpNotFound(id);
    checkRevision(ifMatch, fip.revisionNumber);
    const changes: Partial<typeof floatingIps.$inferInsert> = {};
    if (input.description !== undefined) changes.description = input.description;
    if (input.portId === null) Object.assign(changes, { portId: null, fixedIpAddress: null, routerId: null });
    else if (input.portId !== undefined)
      Object.assign(changes, await associationOf(tx, fip, input.portId, input.fixedIpAddress, scope));
    const [row] = await guardUnique(fip, changes.portId, changes.fixedIpAddress, () =>
      tx
        .update(floatingIps)
        .set({ ...changes, revisionNumber: sql`${floatingIps.revisionNumber} + 1`, updatedAt: sql`now()` })
        .where(eq(floatingIps.id, id))
        .returning(),
    );
    return { fip: row!, floatingPortId: fip.floatingPortId };
  });
}

/** Release the floating IP and its address. */
export async function deleteFloatingIp(
  db: Executor,
  id: string,
  scope: Scope,
  ifMatch: number[] | undefined,
): Promise<FloatingIpChange> {
  return db.transaction(async (tx) => {
    const fip = await findFloatingIp(tx, id, scope, 'update');
    if (!fip) throw floatingIpNotFound(id);
    checkRevision(ifMatch, fip.revisionNumber);
    await tx.delete(floatingIps).where(eq(floatingIps.id, id));
    await deletePortTx(tx, fip.floatingPortId).catch(() => undefined);
    return { fip, floatingPortId: fip.floatingPortId };
  });
}

/**
 * Disassociate the floating IPs of a port (call from port delete, or from a fixed_ips update
 * with `keep` = the addresses the port still has). Returns the changed floating IP ids: request
 * a 'floating_ip' sync for each after commit.
 */
export async function disassociateFloatingIpsOfPortTx(
  tx: Executor,
  portId: string,
  keep: string[] = [],
): Promise<string[]> {
  const conds = [eq(floatingIps.portId, portId), isNotNull(floatingIps.portId)];
  if (keep.length) conds.push(notInArray(floatingIps.fixedIpAddress, keep));
  const rows = await tx
    .update(floatingIps)
    .set({
      portId: null,
      fixedIpAddress: null,
      routerId: null,
      revisionNumber: sql`${floatingIps.revisionNumber} + 1`,
      updatedAt: sql`now()`,
    })
    .where(and(...conds))
    .returning({ id: floatingIps.id });
  return rows.map((r) => r.id);
}

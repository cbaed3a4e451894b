import { eq, inArray, sql } from 'drizzle-orm';
import { badRequest, conflictOf, notFoundOf, portNotFound, subnetNotFound } from '../domain/errors.js';
import { cidrContains, cidrString, cidrsOverlap, parseIp } from '../domain/ip.js';
import { interfaceInfo, type RouterRow } from '../domain/router-view.js';
import type { Executor, NetworkTx } from './database.js';
import type { FixedIp } from './ipam.repo.js';
import { createPortTx, deletePortTx, getPortTx, lockPortTx, updatePortRowTx } from './ports.repo.js';
import { findRouter, interfacesOf, type RouterScope, routerNotFound, subnetCidrs } from './routers.repo.js';
import { networks, subnets } from './schema.js';
import { floatingIps, routerPorts, routers } from './schema-l3.js';

export const ROUTER_INTERFACE_OWNER = 'network:router_interface';

export interface InterfaceRequest {
  subnetId?: string;
  portId?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body of PUT /routers/{id}/add_router_interface or remove_router_interface. */
export function parseInterfaceRequest(body: unknown, mode: 'add' | 'remove'): InterfaceRequest {
  if (!isObject(body)) throw badRequest('Bad router request: the body must be an object.', 'BadRequest');
  const out: InterfaceRequest = {};
  for (const k of ['subnet_id', 'port_id'] as const) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v === '')
      throw badRequest(`Invalid input for ${k}. Reason: '${String(v).slice(0, 60)}' is not a valid UUID.`);
    out[k === 'subnet_id' ? 'subnetId' : 'portId'] = v;
  }
  if (!out.subnetId && !out.portId) {
    throw badRequest('Bad router request: Either subnet_id or port_id must be specified.', 'BadRequest');
  }
  if (mode === 'add' && out.subnetId && out.portId) {
    throw badRequest('Bad router request: Cannot specify both subnet-id and port-id.', 'BadRequest');
  }
  return out;
}

/** 400 when a new interface's subnets are already on the router or overlap one of its subnets. */
async function checkNoOverlap(tx: NetworkTx, router: RouterRow, newSubnetIds: string[]): Promise<void> {
  const existing = (await interfacesOf(tx, router.id)).flatMap((i) => i.fixedIps.map((f) => f.subnetId));
  const cidrs = await subnetCidrs(tx, [...existing, ...newSubnetIds]);
  for (const s of newSubnetIds) {
    if (existing.includes(s)) {
      throw badRequest(`Bad router request: Router already has a port on subnet ${s}.`, 'BadRequest');
    }
    const mine = cidrs.get(s);
    for (const e of existing) {
      const other = cidrs.get(e);
      if (mine && other && cidrsOverlap(mine, other)) {
        throw badRequest(
          `Bad router request: Cidr ${cidrString(mine)} of subnet ${s} overlaps with cidr ${cidrString(other)} of subnet ${e}.`,
          'BadRequest',
        );
      }
    }
  }
}

/** The subnet if the caller may attach it: its network is the caller's or shared (admin: any). */
async function usableSubnet(tx: NetworkTx, id: string, scope: RouterScope) {
  const [row] = await tx
    .select({ subnet: subnets, netProject: networks.projectId, shared: networks.shared })
    .from(subnets)
    .innerJoin(networks, eq(networks.id, subnets.networkId))
    .where(eq(subnets.id, id));
  if (
    !row ||
    (!scope.isAdmin &&
      row.netProject !== scope.projectId &&
      row.subnet.projectId !== scope.projectId &&
      !row.shared)
  ) {
    throw subnetNotFound(id);
  }
  return row.subnet;
}

export interface InterfaceChange {
  router: RouterRow;
  info: ReturnType<typeof interfaceInfo>;
  portId: string;
}

async function bumpRouter(tx: NetworkTx, id: string): Promise<RouterRow> {
  const [row] = await tx
    .update(routers)
    .set({ revisionNumber: sql`${routers.revisionNumber} + 1`, updatedAt: sql`now()` })
    .where(eq(routers.id, id))
    .returning();
  return row!;
}

/** Attach a subnet (a new port at its gateway address) or an unbound port to the router. */
export async function addInterface(
  db: Executor,
  routerId: string,
  scope: RouterScope,
  req: InterfaceRequest,
): Promise<InterfaceChange> {
  return db.transaction(async (tx) => {
    const router = await findRouter(tx, routerId, scope, 'update');
    if (!router) throw routerNotFound(routerId);
    let port: { id: string; networkId: string; fixedIps: FixedIp[] };
    if (req.subnetId) {
      const subnet = await usableSubnet(tx, req.subnetId, scope);
      if (!subnet.gatewayIp) {
        throw badRequest(
          'Bad router request: Subnet for router interface must have a gateway IP.',
          'BadRequest',
        );
      }
      await checkNoOverlap(tx, router, [subnet.id]);
      port = await createPortTx(
        tx,
        {
          projectId: subnet.projectId,
          networkId: subnet.networkId,
          deviceOwner: ROUTER_INTERFACE_OWNER,
          deviceId: router.id,
          name: '',
          fixedIps: [{ subnetId: subnet.id, ipAddress: subnet.gatewayIp }],
          securityGroupIds: null,
          portSecurityEnabled: false,
        },
        true,
      );
    } else {
      const row = await lockPortTx(tx, req.portId!);
      if (!row || (!scope.isAdmin && row.projectId !== scope.projectId)) throw portNotFound(req.portId!);
      if (row.deviceId !== '' || row.deviceOwner !== '') {
        throw conflictOf(
          'PortInUse',
          `Unable to complete operation on port ${row.id} for network ${row.networkId}. Port already has an attached device ${row.deviceId || row.deviceOwner}.`,
        );
      }
      const rec = (await getPortTx(tx, row.id))!;
      if (!rec.fixedIps.length) {
        throw badRequest('Bad router request: Router port must have at least one fixed IP.', 'BadRequest');
      }
      const v4 = rec.fixedIps.filter((f) => parseIp(f.ipAddress)?.version === 4);
      if (v4.length > 1)
        throw badRequest(
          'Bad router request: Cannot have multiple IPv4 subnets on router port.',
          'BadRequest',
        );
      await checkNoOverlap(tx, router, [...new Set(rec.fixedIps.map((f) => f.subnetId))]);
      await updatePortRowTx(tx, row.id, { deviceOwner: ROUTER_INTERFACE_OWNER, deviceId: router.id });
      port = rec;
    }
    await tx.insert(routerPorts).values({ portId: port.id, routerId: router.id, networkId: port.networkId });
    const bumped = await bumpRouter(tx, router.id);
    return { router: bumped, info: interfaceInfo(router, port), portId: port.id };
  });
}

/** Detach an interface (by port, or by a subnet it has an address on); its port is deleted. */
export async function removeInterface(
  db: Executor,
  routerId: string,
  scope: RouterScope,
  req: InterfaceRequest,
): Promise<InterfaceChange> {
  return db.transaction(async (tx) => {
    const router = await findRouter(tx, routerId, scope, 'update');
    if (!router) throw routerNotFound(routerId);
    const ifaces = await interfacesOf(tx, router.id);
    let iface: (typeof ifaces)[number] | undefined;
    if (req.portId) {
      iface = ifaces.find((i) => i.portId === req.portId);
      if (!iface) {
        throw notFoundOf(
          'RouterInterfaceNotFound',
          `Router ${router.id} does not have an interface with id ${req.portId}`,
        );
      }
      if (req.subnetId && !iface.fixedIps.some((f) => f.subnetId === req.subnetId)) {
        throw conflictOf(
          'SubnetMismatchForPort',
          `Subnet on port ${req.portId} does not match the requested subnet ${req.subnetId}.`,
        );
      }
    } else {
      iface = ifaces.find((i) => i.fixedIps.some((f) => f.subnetId === req.subnetId));
      if (!iface) {
        throw notFoundOf(
          'RouterInterfaceNotFoundForSubnet',
          `Router ${router.id} has no interface on subnet ${req.subnetId}`,
        );
      }
    }
    const subnetIds = [...new Set(iface.fixedIps.map((f) => f.subnetId))];
    const cidrs = await subnetCidrs(tx, subnetIds);
    const fips = await tx
      .select({ fixed: floatingIps.fixedIpAddress })
      .from(floatingIps)
      .where(eq(floatingIps.routerId, router.id));
    for (const [sid, cidr] of cidrs) {
      if (fips.some((f) => f.fixed && cidrContains(cidr, parseIp(f.fixed) ?? { version: 4, value: -1n }))) {
        throw conflictOf(
          'RouterInterfaceInUseByFloatingIP',
          `Router interface for subnet ${sid} on router ${router.id} cannot be deleted, as it is required by one or more floating IPs.`,
        );
      }
      if (router.routes.some((r) => cidrContains(cidr, parseIp(r.nexthop) ?? { version: 4, value: -1n }))) {
        throw conflictOf(
          'RouterInterfaceInUseByRoute',
          `Router interface for subnet ${sid} on router ${router.id} cannot be deleted, as it is required by one or more routes.`,
        );
      }
    }
    await tx.delete(routerPorts).where(eq(routerPorts.portId, iface.portId));
    await deletePortTx(tx, iface.portId).catch(() => undefined);
    const bumped = await bumpRouter(tx, router.id);
    return {
      router: bumped,
      info: interfaceInfo(router, { id: iface.portId, networkId: iface.networkId, fixedIps: iface.fixedIps }),
      portId: iface.portId,
    };
  });
}

/** Router ids with an interface port among these (for A's port delete guard and views). */
export async function routersOfPorts(db: Executor, portIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!portIds.length) return out;
  const rows = await db.select().from(routerPorts).where(inArray(routerPorts.portId, portIds));
  for (const r of rows) out.set(r.portId, r.routerId);
  return out;
}

import { randomUUID } from 'node:crypto';
import { eq, inArray, type SQL, sql } from 'drizzle-orm';
import { badRequest, conflictOf, networkNotFound, notFoundOf } from '../domain/errors.js';
import { type Cidr, parseCidr } from '../domain/ip.js';
import type { ListQuery } from '../domain/list-query.js';
import { type GatewayInput, type RouterInput, validateNexthops } from '../domain/router-input.js';
import type { RouterRecord, RouterRow } from '../domain/router-view.js';
import { checkRevision } from '../domain/standard-attrs.js';
import type { Executor, NetworkTx } from './database.js';
import { type FixedIp, fixedIpsOf } from './ipam.repo.js';
import { type ListSpec, listPage, type Page } from './list.repo.js';
import { getNetworkForShare } from './networks.repo.js';
import { createPortTx, deletePortTx } from './ports.repo.js';
import { checkQuotaTx } from './quotas.repo.js';
import { subnets } from './schema.js';
import { floatingIps, routerPorts, routers } from './schema-l3.js';

export const routerNotFound = (id: string) => notFoundOf('RouterNotFound', `Router ${id} could not be found`);

export type RouterScope = { projectId: string | undefined; isAdmin: boolean };

/** What a committed router change touched, for the OVN side. */
export interface RouterChange {
  router: RouterRecord;
  /** Ports created or deleted on the way (gateway, interfaces). */
  portIds: string[];
}

export async function findRouter(
  db: Executor,
  id: string,
  scope: RouterScope,
  lock?: 'update' | 'share',
): Promise<RouterRow | undefined> {
  let q = db.select().from(routers).where(eq(routers.id, id)).$dynamic();
  if (lock) q = q.for(lock);
  const [row] = await q;
  if (!row || (!scope.isAdmin && row.projectId !== scope.projectId)) return undefined;
  return row;
}

/** Router rows with their gateway addresses. */
export async function toRouterRecords(db: Executor, rows: RouterRow[]): Promise<RouterRecord[]> {
  const gw = rows.map((r) => r.gwPortId).filter((x): x is string => !!x);
  const ips = await fixedIpsOf(db, gw);
  return rows.map((r) => ({ ...r, gatewayIps: r.gwPortId ? (ips.get(r.gwPortId) ?? []) : [] }));
}

export async function getRouterRecord(
  db: Executor,
  id: string,
  scope: RouterScope,
): Promise<RouterRecord | undefined> {
  const row = await findRouter(db, id, scope);
  return row && (await toRouterRecords(db, [row]))[0];
}

export async function listRouters(
  db: Executor,
  spec: ListSpec,
  q: ListQuery,
  scope: SQL | undefined,
): Promise<Page<RouterRow>> {
  return listPage<RouterRow>(db, spec, q, scope);
}

/** The router's interface ports with their addresses. */
export async function interfacesOf(
  db: Executor,
  routerId: string,
): Promise<{ portId: string; networkId: string; fixedIps: FixedIp[] }[]> {
  const rows = await db.select().from(routerPorts).where(eq(routerPorts.routerId, routerId));
  const ips = await fixedIpsOf(
    db,
    rows.map((r) => r.portId),
  );
  return rows.map((r) => ({ portId: r.portId, networkId: r.networkId, fixedIps: ips.get(r.portId) ?? [] }));
}

/** The CIDRs of some subnets, by id. */
export async function subnetCidrs(db: Executor, ids: string[]): Promise<Map<string, Cidr>> {
  const out = new Map<string, Cidr>();
  if (!ids.length) return out;
  const rows = await db
    .select({ id: subnets.id, cidr: subnets.cidr })
    .from(subnets)
    .where(inArray(subnets.id, [...new Set(ids)]));
  for (const r of rows) {
    const c = parseCidr(r.cidr);
    if (c) out.set(r.id, c);
  }
  return out;
}

const fipsNeedGateway = (routerId: string, netId: string) =>
  conflictOf(
    'RouterExternalGatewayInUseByFloatingIp',
    `Gateway cannot be updated for router ${routerId}, since a gateway to external network ${netId} is required by one or more floating IPs.`,
  );

async function routerHasFloatingIps(tx: Executor, routerId: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: floatingIps.id })
    .from(floatingIps)
    .where(eq(floatingIps.routerId, routerId))
    .limit(1);
  return row !== undefined;
}

/**
 * Set, change or clear the router's gateway (a port on the external network, device_owner
 * network:router_gateway, owned by no project). Returns the ports created/deleted.
 */
async function applyGatewayTx(
  tx: NetworkTx,
  router: RouterRow,
  gw: GatewayInput,
  isAdmin: boolean,
): Promise<{ changes: Partial<RouterRow>; portIds: string[] }> {
  const portIds: string[] = [];
  const keepPort =
    gw !== null &&
    gw.networkId === router.gwNetworkId &&
    gw.externalFixedIps === undefined &&
    router.gwPortId;
  if (keepPort) return { changes: { enableSnat: gw.enableSnat ?? router.enableSnat }, portIds };
  if (router.gwPortId) {
    if (gw?.networkId !== router.gwNetworkId && (await routerHasFloatingIps(tx, router.id))) {
      throw fipsNeedGateway(router.id, router.gwNetworkId ?? '');
    }
    await deletePortTx(tx, router.gwPortId).catch(() => undefined);
    portIds.push(router.gwPortId);
  }
  if (gw === null) return { changes: { gwNetworkId: null, gwPortId: null, enableSnat: true }, portIds };
  const net = await getNetworkForShare(tx, gw.networkId);
  if (!net || (!isAdmin && !net.external && !net.shared && net.projectId !== router.projectId)) {
    throw networkNotFound(gw.networkId);
  }
  if (!net.external)
    throw badRequest(`Bad router request: Network ${net.id} is not an external network.`, 'BadRequest');
  const port = await createPortTx(
    tx,
    {
      projectId: '',
      networkId: net.id,
      deviceOwner: 'network:router_gateway',
      deviceId: router.id,
      name: '',
      fixedIps: gw.externalFixedIps,
      securityGroupIds: null,
      portSecurityEnabled: false,
    },
    true,
  );
  if (!port.fixedIps.length) {
    throw badRequest(
      `Bad router request: No IP addresses available on external network ${net.id}.`,
      'BadRequest',
    );
  }
  portIds.push(port.id);
  return { changes: { gwNetworkId: net.id, gwPortId: port.id, enableSnat: gw.enableSnat ?? true }, portIds };
}

export async function createRouter(
  db: Executor,
  projectId: string,
  input: RouterInput,
  isAdmin: boolean,
  tags: string[],
): Promise<RouterChange> {
  return db.transaction(async (tx) => {
    await checkQuotaTx(tx, projectId, 'router');
    const [row] = await tx
      .insert(routers)
      .values({
        id: randomUUID(),
        projectId,
        name: input.name ?? '',
        description: input.description ?? '',
        adminStateUp: input.adminStateUp ?? true,
        availabilityZoneHints: input.availabilityZoneHints ?? [],
        tags,
      })
      .returning();
    let router = row!;
    let portIds: string[] = [];
    if (input.gateway) {
      const g = await applyGatewayTx(tx, router, input.gateway, isAdmin);
      portIds = g.portIds;
      [router] = (await tx.update(routers).set(g.changes).where(eq(routers.id, router.id)).returning()) as [
        RouterRow,
      ];
    }
    return { router: (await toRouterRecords(tx, [router]))[0]!, portIds };
  });
}

/** The subnets a router is connected to (interfaces and gateway) and its own addresses. */
async function connectedOf(tx: Executor, router: RouterRow): Promise<{ cidrs: Cidr[]; ownIps: string[] }> {
  const ifaces = await interfacesOf(tx, router.id);
  const ips = ifaces.flatMap((i) => i.fixedIps);
  if (router.gwPortId) ips.push(...((await fixedIpsOf(tx, [router.gwPortId])).get(router.gwPortId) ?? []));
  const cidrs = await subnetCidrs(
    tx,
    ips.map((i) => i.subnetId),
  );
  return { cidrs: [...cidrs.values()], ownIps: ips.map((i) => i.ipAddress) };
}

export async function updateRouter(
  db: Executor,
  id: string,
  scope: RouterScope,
  input: RouterInput,
  ifMatch: number[] | undefined,
): Promise<RouterChange> {
  return db.transaction(async (tx) => {
    const router = await findRouter(tx, id, scope, 'update');
    if (!router) throw routerNotFound(id);
    checkRevision(ifMatch, router.revisionNumber);
    const changes: Partial<typeof routers.$inferInsert> = {};
    if (input.name !== undefined) changes.name = input.name;
    if (input.description !== undefined) changes.description = input.description;
    if (input.adminStateUp !== undefined) changes.adminStateUp = input.adminStateUp;
    let portIds: string[] = [];
    let current = router;
    if (input.gateway !== undefined) {
      const g = await applyGatewayTx(tx, router, input.gateway, scope.isAdmin);
      Object.assign(changes, g.changes);
      portIds = g.portIds;
      current = { ...router, ...g.changes };
    }
    if (input.routes !== undefined) {
      const { cidrs, ownIps } = await connectedOf(tx, current);
      validateNexthops(input.routes, cidrs, ownIps);
      changes.routes = input.routes;
    }
    const [row] = await tx
      .update(routers)
      .set({ ...changes, revisionNumber: sql`${routers.revisionNumber} + 1`, updatedAt: sql`now()` })
      .where(eq(routers.id, id))
      .returning();
    return { router: (await toRouterRecords(tx, [row!]))[0]!, portIds };
  });
}

/** Delete a router without interfaces (409 RouterInUse otherwise); its gateway port goes with it. */
export async function deleteRouter(
  db: Executor,
  id: string,
  scope: RouterScope,
  ifMatch: number[] | undefined,
): Promise<string[]> {
  return db.transaction(async (tx) => {
    const router = await findRouter(tx, id, scope, 'update');
    if (!router) throw routerNotFound(id);
    checkRevision(ifMatch, router.revisionNumber);
    const [iface] = await tx.select().from(routerPorts).where(eq(routerPorts.routerId, id)).limit(1);
    if (iface) throw conflictOf('RouterInUse', `Router ${id} still has ports`);
    if (await routerHasFloatingIps(tx, id))
      throw conflictOf('RouterInUse', `Router ${id} still has floating IPs`);
    const portIds: string[] = [];
    if (router.gwPortId) {
      await deletePortTx(tx, router.gwPortId).catch(() => undefined);
      portIds.push(router.gwPortId);
    }
    await tx.delete(routers).where(eq(routers.id, id));
    return portIds;
  });
}

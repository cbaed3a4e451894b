import { randomBytes } from 'node:crypto';
import { and, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import {
  addressPairsNeedPortSecurity,
  badRequest,
  macInUse,
  networkNotFound,
  policyDenied,
  portNotFound,
  sgNeedsPortSecurity,
} from '../domain/errors.js';
import { canonicalIp, canonicalMac } from '../domain/ip.js';
import type { FilterValue } from '../domain/list-query.js';
import { portStatusOf } from '../domain/port-view.js';
import { newStandardAttrs } from '../domain/standard-attrs.js';
import type { Executor, NetworkTx } from './database.js';
import { assignFixedIpsTx, type FixedIpRequest } from './fixed-ips.repo.js';
import { type FixedIp, fixedIpsOf } from './ipam.repo.js';
import type { ListSpec } from './list.repo.js';
import { getNetworkForShare } from './networks.repo.js';
import { checkQuotaTx } from './quotas.repo.js';
import {
  type AddressPair,
  ipAllocations,
  networks,
  type PortRow,
  portSecurityGroups,
  ports,
} from './schema.js';
import { checkSecurityGroupsUsable, defaultSecurityGroupId } from './security-groups.repo.js';

export type { FixedIp, FixedIpRequest };

/** A port with its addresses and security groups. */
export interface PortRecord extends PortRow {
  fixedIps: FixedIp[];
  securityGroupIds: string[];
}

export interface PortCreate {
  projectId: string;
  networkId: string;
  deviceOwner?: string;
  deviceId?: string;
  name?: string;
  description?: string;
  /** undefined: Neutron's default (an address from each kind of subnet); []: none. */
  fixedIps?: FixedIpRequest[];
  /** null = none, undefined = the project's default group (none for network:* owners). */
  securityGroupIds?: string[] | null;
  /** Default: the network's. */
  portSecurityEnabled?: boolean;
  adminStateUp?: boolean;
  macAddress?: string;
  allowedAddressPairs?: AddressPair[];
  bindingHostId?: string;
  bindingProfile?: Record<string, unknown>;
  bindingVnicType?: string;
  tags?: string[];
}

/** Ports owned by Neutron itself (router, DHCP, FIP ports): no default security group. */
export const isTrustedOwner = (owner: string | undefined): boolean => !!owner?.startsWith('network:');

/** Which ports a project sees: its own, and every port on its own networks (admins: all). */
export function visiblePorts(projectId: string | undefined, isAdmin: boolean): SQL | undefined {
  if (isAdmin) return undefined;
  if (projectId === undefined) return sql`false`;
  return or(
    eq(ports.projectId, projectId),
    sql`${ports.networkId} IN (SELECT ${networks.id} FROM ${networks} WHERE ${networks.projectId} = ${projectId})`,
  );
}

export const randomMac = (): string =>
  `fa:16:3e:${[...randomBytes(3)].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;

export async function macTaken(
  db: Executor,
  networkId: string,
  mac: string,
  exceptPort?: string,
): Promise<boolean> {
  const rows = await db
    .select({ id: ports.id })
    .from(ports)
    .where(and(eq(ports.networkId, networkId), eq(ports.macAddress, mac)))
    .limit(2);
  return rows.some((r) => r.id !== exceptPort);
}

export async function securityGroupIdsOf(db: Executor, portIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(portIds.map((id) => [id, []]));
  if (!portIds.length) return out;
  const rows = await db
    .select()
    .from(portSecurityGroups)
    .where(inArray(portSecurityGroups.portId, portIds))
    .orderBy(portSecurityGroups.securityGroupId);
  for (const r of rows) out.get(r.portId)?.push(r.securityGroupId);
  return out;
}

/** The records of some port rows (addresses and groups loaded in two queries). */
export async function toRecords(db: Executor, rows: PortRow[]): Promise<PortRecord[]> {
  const ids = rows.map((r) => r.id);
  const ips = await fixedIpsOf(db, ids);
  const sgs = await securityGroupIdsOf(db, ids);
  return rows.map((r) => ({ ...r, fixedIps: ips.get(r.id) ?? [], securityGroupIds: sgs.get(r.id) ?? [] }));
}

export async function getPortTx(db: Executor, id: string): Promise<PortRecord | undefined> {
  const [row] = await db.select().from(ports).where(eq(ports.id, id));
  if (!row) return undefined;
  return (await toRecords(db, [row]))[0];
}

/** A port by id within `scope` (see visiblePorts). */
export async function findPort(db: Executor, id: string, scope?: SQL): Promise<PortRecord | undefined> {
  const [row] = await db
    .select()
    .from(ports)
    .where(scope ? and(eq(ports.id, id), scope) : eq(ports.id, id));
  return row ? (await toRecords(db, [row]))[0] : undefined;
}

/** The port row locked for an update or delete in this transaction. */
export async function lockPortTx(tx: NetworkTx, id: string): Promise<PortRow | undefined> {
  const [row] = await tx.select().from(ports).where(eq(ports.id, id)).for('update');
  return row;
}

export async function setSecurityGroupsTx(tx: NetworkTx, portId: string, ids: string[]): Promise<void> {
  await tx.delete(portSecurityGroups).where(eq(portSecurityGroups.portId, portId));
  if (ids.length) {
    await tx
      .insert(portSecurityGroups)
      .values([...new Set(ids)].map((securityGroupId) => ({ portId, securityGroupId })));
  }
}

/**
 * Create a port with its addresses and security groups, inside the caller's transaction: the
 * network must be visible to the project (own or shared; admins: any), the port quota holds,
 * the MAC is unique on the network, IPAM hands out the addresses.
 */
export async function createPortTx(tx: NetworkTx, input: PortCreate, isAdmin: boolean): Promise<PortRecord> {
  const net = await getNetworkForShare(tx, input.networkId);
  if (!net) throw networkNotFound(input.networkId);
  if (!isAdmin && net.projectId !== input.projectId && !net.shared) {
    if (net.external) throw policyDenied('create_port');
    throw networkNotFound(input.networkId);
  }
  // router gateway and floating IP ports belong to no project (as Neutron's): no quota applies
  if (input.projectId !== '') await checkQuotaTx(tx, input.projectId, 'port');

  let mac = input.macAddress;
  if (mac !== undefined) {
    if (await macTaken(tx, net.id, mac)) throw macInUse(net.id, mac);
  } else {
    do mac = randomMac();
    while (await macTaken(tx, net.id, mac));
  }
  const portSecurity = input.portSecurityEnabled ?? net.portSecurityEnabled;
  const pairs = (input.allowedAddressPairs ?? []).map((p) => ({ ...p, mac_address: p.mac_address || mac! }));
  if (pairs.length && !portSecurity) throw addressPairsNeedPortSecurity();

  const deviceOwner = input.deviceOwner ?? '';
  const adminStateUp = input.adminStateUp ?? true;
  const bindingHostId = input.bindingHostId ?? '';
  const [row] = await tx
    .insert(ports)
    .values({
      ...newStandardAttrs(input.projectId, input),
      networkId: net.id,
      macAddress: mac,
      adminStateUp,
      status: portStatusOf({ adminStateUp, bindingHostId, deviceOwner }),
      deviceId: input.deviceId ?? '',
      deviceOwner,
      portSecurityEnabled: portSecurity,
      allowedAddressPairs: pairs,
      bindingHostId,
      bindingProfile: input.bindingProfile ?? {},
      bindingVnicType: input.bindingVnicType ?? 'normal',
    })
    .returning();
  const port = row!;
  const fixedIps = await assignFixedIpsTx(tx, port, input.fixedIps);

  let sgs: string[] = [];
  if (input.securityGroupIds === undefined) {
    if (portSecurity && !isTrustedOwner(deviceOwner))
      sgs = [await defaultSecurityGroupId(tx, input.projectId)];
  } else if (input.securityGroupIds?.length) {
    if (!portSecurity) throw sgNeedsPortSecurity();
    sgs = [...new Set(input.securityGroupIds)];
    await checkSecurityGroupsUsable(tx, input.projectId, sgs, isAdmin);
  }
  await setSecurityGroupsTx(tx, port.id, sgs);
  return { ...port, fixedIps, securityGroupIds: sgs.sort() };
}

/** Delete a port (its addresses and group memberships go with it). No owner checks: callers decide. */
export async function deletePortTx(tx: NetworkTx, portId: string): Promise<void> {
  const gone = await tx.delete(ports).where(eq(ports.id, portId)).returning({ id: ports.id });
  if (!gone.length) throw portNotFound(portId);
}

/** Apply column changes to a port and bump its revision. */
export async function updatePortRowTx(
  tx: NetworkTx,
  id: string,
  changes: Partial<typeof ports.$inferInsert>,
): Promise<PortRow> {
  const [row] = await tx
    .update(ports)
    .set({ ...changes, revisionNumber: sql`${ports.revisionNumber} + 1`, updatedAt: new Date() })
    .where(eq(ports.id, id))
    .returning();
  if (!row) throw portNotFound(id);
  return row;
}

/** `fixed_ips=ip_address=…` / `subnet_id=…` / `ip_address_substr=…` filters, all on one address. */
function fixedIpsFilter(values: FilterValue[]): SQL {
  const by: Record<string, string[]> = {};
  for (const raw of values) {
    const v = String(raw);
    const eq = v.indexOf('=');
    const key = eq < 0 ? '' : v.slice(0, eq);
    if (!['ip_address', 'subnet_id', 'ip_address_substr'].includes(key)) {
      throw badRequest(
        `Invalid input for fixed_ips. Reason: '${v.slice(0, 80)}' is not a valid fixed_ips filter.`,
      );
    }
    const list = by[key] ?? [];
    list.push(v.slice(eq + 1));
    by[key] = list;
  }
  const conds: SQL[] = [];
  if (by.ip_address) {
    const ips = by.ip_address.map((ip) => canonicalIp(ip) ?? ip);
    conds.push(
      sql`host(a.ip_address) IN (${sql.join(
        ips.map((ip) => sql`${ip}`),
        sql`, `,
      )})`,
    );
  }
  if (by.subnet_id)
    conds.push(
      sql`a.subnet_id IN (${sql.join(
        by.subnet_id.map((s) => sql`${s}`),
        sql`, `,
      )})`,
    );
  if (by.ip_address_substr) {
    const likes = by.ip_address_substr.map(
      (s) => sql`host(a.ip_address) LIKE ${`%${s.replace(/[\\%_]/g, '\\$&')}%`}`,
    );
    conds.push(sql`(${sql.join(likes, sql` OR `)})`);
  }
  return sql`EXISTS (SELECT 1 FROM ${ipAllocations} a WHERE a.port_id = ${ports.id} AND ${sql.join(conds, sql` AND `)})`;
}

/** Filters and sort keys of GET /v2.0/ports. */
export const portListSpec: ListSpec = {
  table: ports,
  id: ports.id,
  tags: ports.tags,
  notFoundType: 'PortNotFound',
  attrs: {
    id: { type: 'string', column: ports.id },
    name: { type: 'string', column: ports.name },
    description: { type: 'string', column: ports.description },
    tenant_id: { type: 'string', column: ports.projectId },
    project_id: { type: 'string', column: ports.projectId },
    network_id: { type: 'string', column: ports.networkId },
    mac_address: {
      type: 'string',
      column: ports.macAddress,
      filter: (vs) =>
        inArray(
          ports.macAddress,
          vs.map((v) => canonicalMac(v) ?? String(v)),
        ),
    },
    admin_state_up: { type: 'bool', column: ports.adminStateUp },
    status: { type: 'string', column: ports.status },
    device_id: { type: 'string', column: ports.deviceId },
    device_owner: { type: 'string', column: ports.deviceOwner },
    port_security_enabled: { type: 'bool', column: ports.portSecurityEnabled },
    'binding:host_id': { type: 'string', column: ports.bindingHostId },
    'binding:vnic_type': { type: 'string', column: ports.bindingVnicType },
    revision_number: { type: 'int', column: ports.revisionNumber },
    created_at: { type: 'string', column: ports.createdAt, filter: () => undefined },
    updated_at: { type: 'string', column: ports.updatedAt, filter: () => undefined },
    ip_allocation: { type: 'string', filter: (vs) => (vs.includes('immediate') ? undefined : sql`false`) },
    fixed_ips: { type: 'string', sort: false, filter: fixedIpsFilter },
    security_groups: {
      type: 'string',
      sort: false,
      filter: (vs) =>
        sql`EXISTS (SELECT 1 FROM ${portSecurityGroups} g WHERE g.port_id = ${ports.id}
              AND g.security_group_id IN (${sql.join(
                vs.map((v) => sql`${String(v)}`),
                sql`, `,
              )}))`,
    },
  },
};

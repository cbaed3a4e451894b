import { and, asc, eq, sql } from 'drizzle-orm';
import { badRequest, conflictOf, subnetNotFound } from '../domain/errors.js';
import {
  canonicalIp,
  cidrContains,
  eui64,
  formatIp,
  type IpVersion,
  parseCidr,
  parseIp,
  usableRange,
} from '../domain/ip.js';
import type { NetworkTx } from './database.js';
import {
  allocateNextTx,
  allocateSpecificTx,
  type FixedIp,
  fixedIpsOf,
  lockSubnetTx,
  releaseTx,
} from './ipam.repo.js';
import { ipAllocations, type SubnetRow, subnets } from './schema.js';

export interface FixedIpRequest {
  subnetId?: string;
  ipAddress?: string;
}

/** SLAAC / DHCPv6-stateless subnets: addresses come from the MAC (EUI-64), not from the pools. */
export const isAutoAddress = (s: Pick<SubnetRow, 'ipVersion' | 'ipv6AddressMode'>): boolean =>
  s.ipVersion === 6 && (s.ipv6AddressMode === 'slaac' || s.ipv6AddressMode === 'dhcpv6-stateless');

const isRouterOwner = (owner: string) => owner.startsWith('network:router_');

interface Resolved {
  subnet: SubnetRow;
  ip?: string;
}

interface PortRef {
  id: string;
  networkId: string;
  macAddress: string;
  deviceOwner: string;
}

async function networkSubnets(tx: NetworkTx, networkId: string): Promise<SubnetRow[]> {
  return tx
    .select()
    .from(subnets)
    .where(eq(subnets.networkId, networkId))
    .orderBy(asc(subnets.createdAt), asc(subnets.id));
}

/** Turn requests into (subnet, optional address) pairs on this network, with Neutron's 400/404s. */
async function resolve(
  tx: NetworkTx,
  port: PortRef,
  subs: SubnetRow[],
  reqs: FixedIpRequest[],
): Promise<Resolved[]> {
  const out: Resolved[] = [];
  for (const r of reqs) {
    let ip: string | undefined;
    if (r.ipAddress !== undefined) {
      const p = parseIp(r.ipAddress);
      if (!p)
        throw badRequest(`Invalid input for fixed_ips. Reason: '${r.ipAddress}' is not a valid IP address.`);
      ip = formatIp(p.version, p.value);
    }
    let subnet: SubnetRow | undefined;
    if (r.subnetId !== undefined) {
      subnet = subs.find((s) => s.id === r.subnetId);
      if (!subnet) {
        const [elsewhere] = await tx
          .select({ id: subnets.id })
          .from(subnets)
          .where(eq(subnets.id, r.subnetId));
        if (!elsewhere) throw subnetNotFound(r.subnetId);
        throw badRequest(
          `Invalid input for operation: Failed to create port on network ${port.networkId}, because fixed_ips included invalid subnet ${r.subnetId}.`,
          'InvalidInput',
        );
      }
      if (ip !== undefined && !cidrContains(parseCidr(subnet.cidr)!, parseIp(ip)!)) {
        throw badRequest(
          `IP address ${ip} is not a valid IP for the specified subnet.`,
          'InvalidIpForSubnet',
        );
      }
    } else if (ip !== undefined) {
      const p = parseIp(ip)!;
      subnet = subs.find((s) => cidrContains(parseCidr(s.cidr)!, p));
      if (!subnet) {
        throw badRequest(
          `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`,
          'InvalidIpForNetwork',
        );
      }
    } else {
      throw badRequest('Invalid input for fixed_ips. Reason: each entry needs a subnet_id or an ip_address.');
    }
    if (ip !== undefined) {
      const c = parseCidr(subnet.cidr)!;
      const v = parseIp(ip)!.value;
      const { first, last } = usableRange(c);
      if ((v < first || v > last) && !(c.version === 6 && isRouterOwner(port.deviceOwner))) {
        throw badRequest(
          `IP address ${ip} is not a valid IP for the specified subnet.`,
          'InvalidIpForSubnet',
        );
      }
      if (isAutoAddress(subnet) && !isRouterOwner(port.deviceOwner)) {
        throw badRequest(
          `Invalid input for operation: IPv6 address ${ip} cannot be directly assigned to a port on subnet ${subnet.id} since the subnet is configured for automatic addresses.`,
          'InvalidInput',
        );
      }
      if (out.some((o) => o.ip === ip && o.subnet.id === subnet!.id)) {
        throw badRequest(`Invalid input for fixed_ips. Reason: duplicate IP address ${ip}.`);
      }
    }
    out.push({ subnet, ip });
  }
  return out;
}

/** Neutron's default addresses: one IPv4, one stateful IPv6, and EUI-64 on every SLAAC subnet. */
function defaults(subs: SubnetRow[], deviceOwner: string): Resolved[] {
  const out: Resolved[] = [];
  const v4 = subs.filter((s) => s.ipVersion === 4);
  const v6 = subs.filter((s) => s.ipVersion === 6 && !isAutoAddress(s));
  if (v4.length) out.push({ subnet: v4[0]! });
  if (v6.length) out.push({ subnet: v6[0]! });
  if (!isRouterOwner(deviceOwner)) for (const s of subs.filter(isAutoAddress)) out.push({ subnet: s });
  return out;
}

const exhausted = (networkId: string) =>
  conflictOf('IpAddressGenerationFailure', `No more IP addresses available on network ${networkId}.`);

/** Allocate one resolved request; a default v4/v6 request falls back to the next subnet of its kind. */
async function allocate(
  tx: NetworkTx,
  port: PortRef,
  r: Resolved,
  position: number,
  fallbacks: SubnetRow[] = [],
): Promise<FixedIp> {
  const locked = await lockSubnetTx(tx, r.subnet.id);
  if (!locked) throw subnetNotFound(r.subnet.id);
  if (r.ip !== undefined) {
    return { subnetId: locked.id, ipAddress: await allocateSpecificTx(tx, locked, r.ip, port, position) };
  }
  if (isAutoAddress(locked)) {
    const ip = formatIp(6 as IpVersion, eui64(parseCidr(locked.cidr)!, port.macAddress));
    return { subnetId: locked.id, ipAddress: await allocateSpecificTx(tx, locked, ip, port, position) };
  }
  try {
    return { subnetId: locked.id, ipAddress: await allocateNextTx(tx, locked, port, position) };
  } catch (err) {
    const next = fallbacks[0];
    if (!next) throw err;
    return allocate(tx, port, { subnet: next }, position, fallbacks.slice(1));
  }
}

/**
 * Give a new port its addresses: the requested ones (undefined = Neutron's defaults). Subnet
 * rows are locked one by one (FOR UPDATE) so concurrent ports on one subnet never collide.
 */
export async function assignFixedIpsTx(
  tx: NetworkTx,
  port: PortRef,
  reqs: FixedIpRequest[] | undefined,
): Promise<FixedIp[]> {
  const subs = await networkSubnets(tx, port.networkId);
  const resolved =
    reqs === undefined ? defaults(subs, port.deviceOwner) : await resolve(tx, port, subs, reqs);
  const out: FixedIp[] = [];
  for (const [i, r] of resolved.entries()) {
    const kind = (s: SubnetRow) =>
      s.ipVersion === r.subnet.ipVersion && !isAutoAddress(s) && s.id !== r.subnet.id;
    const fallbacks = reqs === undefined && !isAutoAddress(r.subnet) ? subs.filter(kind) : [];
    out.push(await allocate(tx, port, r, i, fallbacks));
  }
  if (reqs === undefined && subs.length && !out.length) throw exhausted(port.networkId);
  return out;
}

/**
 * Replace a port's addresses: entries matching a current address (same subnet, and same IP when
 * given) keep it, the others are allocated; addresses no longer listed are released first.
 */
export async function updateFixedIpsTx(
  tx: NetworkTx,
  port: PortRef,
  reqs: FixedIpRequest[],
): Promise<FixedIp[]> {
  const subs = await networkSubnets(tx, port.networkId);
  const current = (await fixedIpsOf(tx, [port.id])).get(port.id) ?? [];
  const keep: FixedIp[] = [];
  const plan: ({ keep: FixedIp } | { req: Resolved })[] = [];
  for (const r of reqs) {
    const ip = r.ipAddress === undefined ? undefined : (canonicalIp(r.ipAddress) ?? r.ipAddress);
    const held = current.find(
      (c) =>
        !keep.includes(c) &&
        (r.subnetId === undefined || c.subnetId === r.subnetId) &&
        (ip === undefined ? r.subnetId !== undefined : c.ipAddress === ip),
    );
    if (held) {
      keep.push(held);
      plan.push({ keep: held });
    } else {
      const [resolved] = await resolve(tx, port, subs, [r]);
      plan.push({ req: resolved! });
    }
  }
  await releaseTx(tx, port.id, keep);
  const out: FixedIp[] = [];
  for (const [i, step] of plan.entries()) {
    if ('keep' in step) {
      await tx
        .update(ipAllocations)
        .set({ position: i })
        .where(
          and(
            eq(ipAllocations.portId, port.id),
            eq(ipAllocations.subnetId, step.keep.subnetId),
            sql`${ipAllocations.ipAddress} = ${step.keep.ipAddress}::inet`,
          ),
        );
      out.push(step.keep);
    } else out.push(await allocate(tx, port, step.req, i));
  }
  return out;
}

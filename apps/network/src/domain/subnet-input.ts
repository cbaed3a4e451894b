import {
  bool,
  type Conv,
  id,
  int,
  invalidAttr,
  list,
  nullable,
  obj,
  oneOf,
  type Parsed,
  parseAttrs,
  str,
} from './attrs.js';
import { badRequest, conflictOf } from './errors.js';
import {
  type Cidr,
  canonicalIp,
  cidrContains,
  cidrString,
  firstOf,
  formatIp,
  type IpVersion,
  lastOf,
  parseCidr,
  parseIp,
  usableRange,
} from './ip.js';
import { validTags } from './standard-attrs.js';

export const IPV6_MODES = ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'] as const;
export const MAX_DNS_NAMESERVERS = 5;
export const MAX_HOST_ROUTES = 20;

export interface Pool {
  start: string;
  end: string;
}
export interface Route {
  destination: string;
  nexthop: string;
}

const ipText: Conv<string> = (v, attr) => {
  const c = canonicalIp(v);
  if (c === undefined) throw invalidAttr(attr, `'${String(v).slice(0, 80)}' is not a valid IP address`);
  return c;
};
const pool: Conv<Pool> = (v, attr) => {
  const o = obj(v, attr);
  const extra = Object.keys(o).filter((k) => k !== 'start' && k !== 'end');
  if (extra.length || o.start === undefined || o.end === undefined) {
    throw invalidAttr(
      attr,
      `${JSON.stringify(v)?.slice(0, 80)} must have exactly the keys 'start' and 'end'`,
    );
  }
  return { start: ipText(o.start, attr), end: ipText(o.end, attr) };
};
const route: Conv<Route> = (v, attr) => {
  const o = obj(v, attr);
  const extra = Object.keys(o).filter((k) => k !== 'destination' && k !== 'nexthop');
  if (extra.length || o.destination === undefined || o.nexthop === undefined) {
    throw invalidAttr(
      attr,
      `${JSON.stringify(v)?.slice(0, 80)} must have exactly the keys 'destination' and 'nexthop'`,
    );
  }
  const d = parseCidr(o.destination);
  if (!d) throw invalidAttr(attr, `'${String(o.destination).slice(0, 80)}' is not a valid IP subnet`);
  if (d.hostBits)
    throw invalidAttr(
      attr,
      `'${o.destination}' isn't a recognized IP subnet cidr, '${cidrString(d)}' is recommended`,
    );
  return { destination: cidrString(d), nexthop: ipText(o.nexthop, attr) };
};

const common = {
  name: str(255),
  description: str(255),
  gateway_ip: nullable(ipText),
  allocation_pools: list(pool, 1000),
  dns_nameservers: list(ipText, 100),
  host_routes: list(route, 100),
  enable_dhcp: bool,
};

export const subnetCreateShape = {
  ...common,
  network_id: id,
  ip_version: (v: unknown, a: string) => int(4, 6)(v, a) as number,
  cidr: str(64),
  ipv6_ra_mode: nullable(oneOf(IPV6_MODES)),
  ipv6_address_mode: nullable(oneOf(IPV6_MODES)),
  tenant_id: id,
  project_id: id,
  subnetpool_id: nullable(id),
  prefixlen: int(0, 128),
  segment_id: nullable(id),
  service_types: list(str(255), 0),
  use_default_subnetpool: bool,
  tags: (v: unknown) => validTags(v),
};

export const subnetUpdateShape = {
  ...common,
  // read-only or immutable attributes are accepted only unchanged (checked by the route)
  network_id: id,
  ip_version: int(4, 6),
  cidr: str(64),
  ipv6_ra_mode: nullable(oneOf(IPV6_MODES)),
  ipv6_address_mode: nullable(oneOf(IPV6_MODES)),
  tenant_id: id,
  project_id: id,
  subnetpool_id: nullable(id),
  segment_id: nullable(id),
  service_types: list(str(255), 0),
};

export type SubnetCreateAttrs = Parsed<typeof subnetCreateShape>;
export type SubnetUpdateAttrs = Parsed<typeof subnetUpdateShape>;

export function parseSubnetCreate(body: Record<string, unknown>): SubnetCreateAttrs {
  const a = parseAttrs(body, subnetCreateShape);
  if (a.network_id === undefined)
    throw badRequest("Invalid input for operation: 'network_id' is required.", 'InvalidInput');
  if (a.ip_version === undefined)
    throw badRequest("Invalid input for operation: 'ip_version' is required.", 'InvalidInput');
  if (a.ip_version !== 4 && a.ip_version !== 6)
    throw invalidAttr('ip_version', `${a.ip_version} is not in [4, 6]`);
  const fromPool = !!a.subnetpool_id || !!a.use_default_subnetpool;
  if (a.subnetpool_id && a.use_default_subnetpool) {
    throw badRequest(
      'Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified.',
      'BadRequest',
    );
  }
  if (a.cidr === undefined && !fromPool) {
    throw badRequest(
      'Bad subnets request: a cidr must be specified in the absence of a subnet pool.',
      'BadRequest',
    );
  }
  if (a.cidr !== undefined && a.prefixlen !== undefined) {
    throw badRequest('Bad subnets request: cidr and prefixlen must not be supplied together.', 'BadRequest');
  }
  if (a.segment_id)
    throw badRequest('Invalid input for operation: segments are not supported.', 'InvalidInput');
  return a;
}

export const parseSubnetUpdate = (body: Record<string, unknown>): SubnetUpdateAttrs =>
  parseAttrs(body, subnetUpdateShape);

const inputError = (msg: string) => badRequest(`Invalid input for operation: ${msg}`, 'InvalidInput');

/** The subnet's CIDR, normalised; Neutron's 400s for malformed ones, host bits, wrong version, /0. */
export function checkCidr(text: string, ipVersion: number): Cidr {
  const c = parseCidr(text);
  if (!c) throw invalidAttr('cidr', `'${text.slice(0, 80)}' is not a valid IP subnet`);
  if (c.hostBits) {
    throw invalidAttr(
      'cidr',
      `'${text}' isn't a recognized IP subnet cidr, '${cidrString(c)}' is recommended`,
    );
  }
  if (c.version !== ipVersion) throw inputError(`Cidr ${text} does not match ip_version ${ipVersion}.`);
  if (c.prefix === 0) throw inputError('0 is not allowed as CIDR prefix length.');
  const first = c.network >> BigInt((c.version === 4 ? 32 : 128) - 8);
  if (c.version === 4 && first === 127n) throw inputError('Loopback IP subnet is not supported.');
  if (c.version === 4 && first >= 224n && first <= 239n)
    throw inputError('Multicast IP subnet is not supported.');
  if (c.version === 6 && first === 0xffn) throw inputError('Multicast IP subnet is not supported.');
  if (c.version === 6 && c.prefix === 128 && c.network === 1n)
    throw inputError('Loopback IP subnet is not supported.');
  return c;
}

export function checkIpv6Modes(
  ipVersion: number,
  ra: string | null | undefined,
  addr: string | null | undefined,
  c: Cidr,
): void {
  if ((ra || addr) && ipVersion !== 6) {
    throw inputError(
      'ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False or ip_version is 4.',
    );
  }
  if (ra && addr && ra !== addr) {
    throw inputError(
      `ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${addr}' is not valid. If both attributes are set, they must be the same value.`,
    );
  }
  if (
    (addr === 'slaac' || addr === 'dhcpv6-stateless' || ra === 'slaac' || ra === 'dhcpv6-stateless') &&
    c.prefix !== 64
  ) {
    throw inputError(
      `Invalid CIDR ${cidrString(c)} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64.`,
    );
  }
}

const isLinkLocal6 = (v: bigint) => v >> 118n === 0x3fan;

/** The gateway: default the first usable address, null for none; outside the CIDR → 400. */
export function checkGateway(c: Cidr, gw: string | null | undefined): string | null {
  if (gw === null) return null;
  if (gw === undefined) {
    const { first, last } = usableRange(c);
    return first <= last ? formatIp(c.version, first) : null;
  }
  const ip = parseIp(gw)!;
  if (ip.version === 6 && c.version === 6 && isLinkLocal6(ip.value)) return gw;
  if (!cidrContains(c, ip)) {
    throw inputError(`Gateway IP ${gw} is not in subnet ${cidrString(c)}: Gateway is not valid on subnet.`);
  }
  const { first, last } = usableRange(c);
  if (ip.value < first || ip.value > last) throw inputError('Gateway is not valid on subnet.');
  return gw;
}

const poolText = (p: Pool) => `${p.start}-${p.end}`;

/** Default pools: the usable range minus the gateway. */
export function defaultPools(c: Cidr, gateway: string | null): Pool[] {
  const { first, last } = usableRange(c);
  if (first > last) return [];
  const g = gateway === null ? undefined : parseIp(gateway);
  const v = c.version as IpVersion;
  if (!g || g.value < first || g.value > last) return [{ start: formatIp(v, first), end: formatIp(v, last) }];
  const out: Pool[] = [];
  if (g.value > first) out.push({ start: formatIp(v, first), end: formatIp(v, g.value - 1n) });
  if (g.value < last) out.push({ start: formatIp(v, g.value + 1n), end: formatIp(v, last) });
  return out;
}

/** Neutron's pool checks: version, order, inside the usable range, no overlap, gateway outside. */
export function checkPools(c: Cidr, pools: Pool[], gateway: string | null): Pool[] {
  const ranges = pools.map((p) => {
    const s = parseIp(p.start)!;
    const e = parseIp(p.end)!;
    if (s.version !== c.version || e.version !== c.version) {
      throw badRequest(
        `The allocation pool ${poolText(p)} spans beyond the subnet cidr ${cidrString(c)}.`,
        'OutOfBoundsAllocationPool',
      );
    }
    if (s.value > e.value)
      throw badRequest(`The allocation pool ${poolText(p)} spanning is not valid.`, 'InvalidAllocationPool');
    const { first, last } = usableRange(c);
    if (s.value < first || e.value > last || s.value < firstOf(c) || e.value > lastOf(c)) {
      throw badRequest(
        `The allocation pool ${poolText(p)} spans beyond the subnet cidr ${cidrString(c)}.`,
        'OutOfBoundsAllocationPool',
      );
    }
    return { p, s: s.value, e: e.value };
  });
  const sorted = [...ranges].sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.s <= sorted[i - 1]!.e) {
      throw conflictOf(
        'OverlappingAllocationPools',
        `Found overlapping allocation pools: ${poolText(sorted[i - 1]!.p)} and ${poolText(sorted[i]!.p)} for subnet ${cidrString(c)}.`,
      );
    }
  }
  checkGatewayOutsidePools(gateway, pools);
  return pools;
}

export function checkGatewayOutsidePools(gateway: string | null, pools: Pool[]): void {
  if (gateway === null) return;
  const g = parseIp(gateway)!;
  for (const p of pools) {
    const s = parseIp(p.start)!;
    const e = parseIp(p.end)!;
    if (s.version === g.version && g.value >= s.value && g.value <= e.value) {
      throw conflictOf(
        'GatewayConflictWithAllocationPools',
        `Gateway ip ${gateway} conflicts with allocation pool ${poolText(p)}`,
      );
    }
  }
}

export function checkDns(servers: string[]): string[] {
  if (servers.length > MAX_DNS_NAMESERVERS) {
    throw badRequest(
      `Unable to complete operation for subnet. The number of DNS nameservers exceeds the limit ${MAX_DNS_NAMESERVERS}.`,
      'DNSNameServersExhausted',
    );
  }
  const seen = new Set<string>();
  for (const s of servers) {
    if (seen.has(s)) throw invalidAttr('dns_nameservers', `'${s}' is a duplicate nameserver`);
    seen.add(s);
  }
  return servers;
}

export function checkRoutes(c: Cidr, routes: Route[]): Route[] {
  if (routes.length > MAX_HOST_ROUTES) {
    throw badRequest(
      `Unable to complete operation for subnet. The number of host routes exceeds the limit ${MAX_HOST_ROUTES}.`,
      'HostRoutesExhausted',
    );
  }
  const seen = new Set<string>();
  for (const r of routes) {
    const key = `${r.destination} ${r.nexthop}`;
    if (seen.has(key)) throw invalidAttr('host_routes', `duplicate host route '${key}'`);
    seen.add(key);
    if (parseCidr(r.destination)!.version !== c.version || parseIp(r.nexthop)!.version !== c.version) {
      throw inputError(`Host route ${key} does not match the subnet's IP version ${c.version}.`);
    }
  }
  return routes;
}

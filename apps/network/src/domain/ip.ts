/**
 * Pure IPv4/IPv6 address math on BigInt: parsing (strict), canonical formatting (RFC 5952 for v6),
 * CIDRs, ranges and EUI-64. No I/O.
 */
export type IpVersion = 4 | 6;

export interface Ip {
  version: IpVersion;
  value: bigint;
}

export interface Cidr {
  version: IpVersion;
  /** The network address. */
  network: bigint;
  prefix: number;
}

const BITS: Record<IpVersion, number> = { 4: 32, 6: 128 };
export const bitsOf = (v: IpVersion): number => BITS[v];
const maxOf = (v: IpVersion): bigint => (1n << BigInt(BITS[v])) - 1n;

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  if (s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let tail4: bigint | undefined;
  let text = s;
  // an embedded IPv4 address in the last 32 bits (::ffff:1.2.3.4)
  if (text.includes('.')) {
    const at = text.lastIndexOf(':');
    tail4 = parseV4(text.slice(at + 1));
    if (tail4 === undefined) return undefined;
    text = `${text.slice(0, at + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...Array<string>(8 - total).fill('0'), ...tail];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(Number.parseInt(g, 16));
  }
  if (tail4 !== undefined) v = (v & ~0xffffffffn) | tail4;
  return v;
}

/** A single address, or undefined when `s` is not one (no prefix, no zone, no leading zeros in v4). */
export function parseIp(s: unknown): Ip | undefined {
  if (typeof s !== 'string') return undefined;
  if (s.includes(':')) {
    const v = parseV6(s);
    return v === undefined ? undefined : { version: 6, value: v };
  }
  const v = parseV4(s);
  return v === undefined ? undefined : { version: 4, value: v };
}

export function formatIp(version: IpVersion, value: bigint): string {
  if (version === 4) {
    return [24n, 16n, 8n, 0n].map((sh) => String((value >> sh) & 255n)).join('.');
  }
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // the longest run (≥ 2) of zero groups becomes '::' (the first one on a tie)
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** The canonical text of an address (undefined if it is not one). */
export function canonicalIp(s: unknown): string | undefined {
  const ip = parseIp(s);
  return ip && formatIp(ip.version, ip.value);
}

export const ipString = (ip: Ip): string => formatIp(ip.version, ip.value);

/** `a.b.c.d/n` or `x::/n`; `hostBits` tells whether bits right of the prefix were set. */
export function parseCidr(s: unknown): (Cidr & { hostBits: boolean }) | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (!ip || !/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
  const prefix = Number(p);
  if (prefix > BITS[ip.version]) return undefined;
  const mask = maskOf(ip.version, prefix);
  return {
    version: ip.version,
    network: ip.value & mask,
    prefix,
    hostBits: (ip.value & ~mask & maxOf(ip.version)) !== 0n,
  };
}

export const maskOf = (v: IpVersion, prefix: number): bigint =>
  (maxOf(v) >> BigInt(BITS[v] - prefix)) << BigInt(BITS[v] - prefix);

export const cidrString = (c: Cidr): string => `${formatIp(c.version, c.network)}/${c.prefix}`;
export const firstOf = (c: Cidr): bigint => c.network;
export const lastOf = (c: Cidr): bigint => c.network | (maxOf(c.version) >> BigInt(c.prefix));
export const sizeOf = (c: Cidr): bigint => lastOf(c) - firstOf(c) + 1n;

export const cidrContains = (c: Cidr, ip: Ip): boolean =>
  ip.version === c.version && ip.value >= firstOf(c) && ip.value <= lastOf(c);

export const cidrsOverlap = (a: Cidr, b: Cidr): boolean =>
  a.version === b.version && firstOf(a) <= lastOf(b) && firstOf(b) <= lastOf(a);

/** `ip` or `ip/prefix` (an allowed address pair, a host route destination). */
export function parseIpOrCidr(s: unknown): (Cidr & { hostBits: boolean }) | undefined {
  if (typeof s !== 'string') return undefined;
  if (s.includes('/')) return parseCidr(s);
  const ip = parseIp(s);
  return ip && { version: ip.version, network: ip.value, prefix: BITS[ip.version], hostBits: false };
}

/**
 * The addresses of a subnet that IPAM may hand out: IPv4 skips the network and broadcast
 * addresses (except /31 and /32), IPv6 skips the subnet-router anycast address (the first).
 */
export function usableRange(c: Cidr): { first: bigint; last: bigint } {
  if (c.version === 4 && c.prefix >= 31) return { first: firstOf(c), last: lastOf(c) };
  if (c.version === 6 && c.prefix === 128) return { first: firstOf(c), last: lastOf(c) };
  return { first: firstOf(c) + 1n, last: c.version === 4 ? lastOf(c) - 1n : lastOf(c) };
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

/** A MAC in Neutron's form (lower case, colon separated), or undefined; `-` separators are accepted. */
export function canonicalMac(s: unknown): string | undefined {
  if (typeof s !== 'string') return undefined;
  const m = s.toLowerCase().replaceAll('-', ':');
  return MAC.test(m) ? m : undefined;
}

/** A valid unicast MAC for a port: not all zeros, not multicast/broadcast. */
export function isUsableMac(mac: string): boolean {
  const first = Number.parseInt(mac.slice(0, 2), 16);
  return mac !== '00:00:00:00:00:00' && (first & 1) === 0;
}

/** SLAAC's modified EUI-64 address of `mac` in a /64 prefix. */
export function eui64(prefix: Cidr, mac: string): bigint {
  const b = mac.split(':').map((x) => Number.parseInt(x, 16));
  const iid = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  let v = 0n;
  for (const x of iid) v = (v << 8n) | BigInt(x);
  return prefix.network | v;
}

import { badRequest, conflictOf } from './errors.js';
import { type Cidr, cidrsOverlap, firstOf, type IpVersion, lastOf, maskOf, parseCidr } from './ip.js';

/**
 * Pure prefix math of subnet pools: normalising a pool's prefixes (merged, minimal, sorted, as
 * netaddr's IPSet does) and carving the first free CIDR of a length out of them.
 */

const bits = (v: IpVersion) => (v === 4 ? 32 : 128);

/** The smallest list of CIDRs covering [first, last] (inclusive), in order. */
export function rangeToCidrs(version: IpVersion, first: bigint, last: bigint): Cidr[] {
  const out: Cidr[] = [];
  const width = bits(version);
  let cur = first;
  while (cur <= last) {
    let prefix = width;
    // grow the block while it stays aligned on `cur` and inside the range
    while (prefix > 0) {
      const size = 1n << BigInt(width - prefix + 1);
      if ((cur & (size - 1n)) !== 0n || cur + size - 1n > last) break;
      prefix--;
    }
    out.push({ version, network: cur, prefix });
    cur += 1n << BigInt(width - prefix);
  }
  return out;
}

/** Merge overlapping and adjacent CIDRs of one version into the minimal sorted list. */
export function mergeCidrs(cidrs: Cidr[]): Cidr[] {
  if (!cidrs.length) return [];
  const version = cidrs[0]!.version;
  const ranges = cidrs
    .map((c) => ({ s: firstOf(c), e: lastOf(c) }))
    .sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  const merged: { s: bigint; e: bigint }[] = [];
  for (const r of ranges) {
    const top = merged[merged.length - 1];
    if (top && r.s <= top.e + 1n) {
      if (r.e > top.e) top.e = r.e;
    } else merged.push({ ...r });
  }
  return merged.flatMap((r) => rangeToCidrs(version, r.s, r.e));
}

/** Whether `inner` lies wholly inside one of `outer` (which are merged, so one suffices). */
export const coveredBy = (inner: Cidr, outer: Cidr[]): boolean =>
  outer.some(
    (o) => o.version === inner.version && firstOf(o) <= firstOf(inner) && lastOf(inner) <= lastOf(o),
  );

/**
 * The lowest CIDR of length `prefixlen` inside the pool's `prefixes` that overlaps none of `used`;
 * undefined when the pool has no room. Jumps over used blocks, so it costs O(prefixes × used).
 */
export function firstFreeCidr(prefixes: Cidr[], used: Cidr[], prefixlen: number): Cidr | undefined {
  if (!prefixes.length) return undefined;
  const version = prefixes[0]!.version;
  const size = 1n << BigInt(bits(version) - prefixlen);
  const taken = used
    .filter((u) => u.version === version)
    .map((u) => ({ s: firstOf(u), e: lastOf(u) }))
    .sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  for (const p of prefixes) {
    if (p.prefix > prefixlen) continue;
    const end = lastOf(p);
    let cur = firstOf(p);
    while (cur + size - 1n <= end) {
      const hit = taken.find((t) => t.s <= cur + size - 1n && cur <= t.e);
      if (!hit) return { version, network: cur, prefix: prefixlen };
      // the next aligned block after the used one
      cur = ((hit.e + 1n + size - 1n) / size) * size;
    }
  }
  return undefined;
}

/** Parse stored CIDR texts (they are valid: written by this service). */
export const cidrsOf = (texts: string[]): Cidr[] =>
  texts.map((t) => {
    const c = parseCidr(t)!;
    return { version: c.version, network: c.network & maskOf(c.version, c.prefix), prefix: c.prefix };
  });

export interface PrefixBounds {
  min: number;
  max: number;
  default: number;
}

/** A requested subnet size within the pool's bounds (Neutron's Min/MaxPrefixSubnetAllocationError). */
export function checkRequestedPrefixlen(len: number, b: PrefixBounds): void {
  if (len < b.min) {
    throw badRequest(
      `Unable to allocate subnet with prefix length ${len}, minimum allowed prefix is ${b.min}.`,
      'MinPrefixSubnetAllocationError',
    );
  }
  if (len > b.max) {
    throw badRequest(
      `Unable to allocate subnet with prefix length ${len}, maximum allowed prefix is ${b.max}.`,
      'MaxPrefixSubnetAllocationError',
    );
  }
}

const allocationError = (reason: string) =>
  conflictOf('SubnetAllocationError', `Failed to allocate subnet: ${reason}.`);

/**
 * The CIDR a subnet gets from a pool: the requested one (inside the pool, free) or the first
 * free block of `prefixlen` (default: the pool's default_prefixlen). `used` are the pool's
 * allocations; `avoid` other CIDRs the block must not overlap (the network's other subnets).
 */
export function poolCidr(
  pool: { prefixes: Cidr[]; bounds: PrefixBounds },
  used: Cidr[],
  avoid: Cidr[],
  want: { cidr?: Cidr; prefixlen?: number },
): Cidr {
  if (want.cidr) {
    checkRequestedPrefixlen(want.cidr.prefix, pool.bounds);
    if (!coveredBy(want.cidr, pool.prefixes) || used.some((u) => cidrsOverlap(u, want.cidr!))) {
      throw allocationError('Cannot allocate requested subnet from the available set of prefixes');
    }
    return want.cidr;
  }
  const len = want.prefixlen ?? pool.bounds.default;
  checkRequestedPrefixlen(len, pool.bounds);
  const got = firstFreeCidr(pool.prefixes, [...used, ...avoid], len);
  if (!got) throw allocationError(`Insufficient prefix space to allocate subnet size /${len}`);
  return got;
}

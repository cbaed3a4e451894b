import { bool, id, int, invalidAttr, list, nullable, type Parsed, parseAttrs, str } from './attrs.js';
import { badRequest, notFoundOf } from './errors.js';
import { type Cidr, cidrString, type IpVersion, parseCidr } from './ip.js';
import { validTags } from './standard-attrs.js';
import { coveredBy, mergeCidrs, type PrefixBounds } from './subnetpool-alloc.js';

export type { PrefixBounds };

/** Neutron's subnet pool attributes: validation and the prefix/bounds rules of SubnetPoolReader. */

export const subnetpoolNotFound = (id: string) =>
  notFoundOf('SubnetPoolNotFound', `Subnet pool ${id} could not be found.`);

const prefixText = (v: unknown, attr: string): string => {
  const c = parseCidr(v);
  if (!c) throw invalidAttr(attr, `'${String(v).slice(0, 80)}' is not a valid IP subnet`);
  if (c.hostBits) {
    throw invalidAttr(attr, `'${v}' isn't a recognized IP subnet cidr, '${cidrString(c)}' is recommended`);
  }
  return cidrString(c);
};
const prefixlen = (v: unknown, a: string) => int(0, 128)(v, a);
const noQuota = (v: unknown, a: string) => {
  if (v !== null) throw invalidAttr(a, 'subnet pool quotas (default_quota) are not supported');
  return null;
};
const noScope = (v: unknown) => {
  if (v !== null)
    throw notFoundOf('AddressScopeNotFound', `Address scope ${String(v).slice(0, 80)} could not be found.`);
  return null;
};

const common = {
  name: str(255),
  description: str(255),
  prefixes: list(prefixText, 1000),
  default_prefixlen: prefixlen,
  min_prefixlen: prefixlen,
  max_prefixlen: prefixlen,
  is_default: bool,
  default_quota: nullable(noQuota),
  address_scope_id: nullable(noScope),
};

export const subnetpoolCreateShape = {
  ...common,
  shared: bool,
  tenant_id: id,
  project_id: id,
  tags: (v: unknown) => validTags(v),
};

export const subnetpoolUpdateShape = {
  ...common,
  // read-only: accepted only unchanged (checked by the route)
  shared: bool,
  ip_version: int(4, 6),
  tenant_id: id,
  project_id: id,
};

export type SubnetpoolCreateAttrs = Parsed<typeof subnetpoolCreateShape>;
export type SubnetpoolUpdateAttrs = Parsed<typeof subnetpoolUpdateShape>;

export function parseSubnetpoolCreate(body: Record<string, unknown>): SubnetpoolCreateAttrs {
  const a = parseAttrs(body, subnetpoolCreateShape);
  if (a.prefixes === undefined)
    throw badRequest("Invalid input for operation: 'prefixes' is required.", 'InvalidInput');
  return a;
}

export const parseSubnetpoolUpdate = (body: Record<string, unknown>): SubnetpoolUpdateAttrs =>
  parseAttrs(body, subnetpoolUpdateShape);

/** One IP version, merged and sorted (as Neutron's IPSet(prefixes).iter_cidrs()). */
export function normalisePrefixes(texts: string[]): { version: IpVersion; prefixes: Cidr[] } {
  const cidrs = texts.map((t) => parseCidr(t)!);
  if (!cidrs.length) throw invalidAttr('prefixes', 'at least one prefix is required');
  const version = cidrs[0]!.version;
  if (cidrs.some((c) => c.version !== version)) {
    throw badRequest('Cannot mix IPv4 and IPv6 prefixes in a subnet pool.', 'PrefixVersionMismatch');
  }
  return { version, prefixes: mergeCidrs(cidrs) };
}

const illegal = (type: string, len: number, baseType: string, baseLen: number) =>
  badRequest(
    `Illegal prefix bounds: ${type}=${len}, ${baseType}=${baseLen}.`,
    'IllegalSubnetPoolPrefixBounds',
  );

/** min (default 8 / 64) ≤ default (default min) ≤ max (default 32 / 128) ≤ the version's width. */
export function prefixBounds(
  version: IpVersion,
  want: { min?: number; max?: number; default?: number },
): PrefixBounds {
  const width = version === 4 ? 32 : 128;
  const min = want.min ?? (version === 4 ? 8 : 64);
  const max = want.max ?? width;
  const dflt = want.default ?? min;
  if (max > width) throw illegal('max_prefixlen', max, 'ip_version_max', width);
  if (min > width) throw illegal('min_prefixlen', min, 'ip_version_max', width);
  if (min > max) throw illegal('min_prefixlen', min, 'max_prefixlen', max);
  if (dflt < min) throw illegal('default_prefixlen', dflt, 'min_prefixlen', min);
  if (dflt > max) throw illegal('default_prefixlen', dflt, 'max_prefixlen', max);
  return { min, max, default: dflt };
}

/** An update may add prefixes, never drop address space (Neutron's IllegalSubnetPoolPrefixUpdate). */
export function checkPrefixesGrow(old: Cidr[], next: Cidr[]): void {
  for (const o of old) {
    if (!coveredBy(o, next)) {
      throw badRequest(
        `Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes (${cidrString(o)} is missing).`,
        'IllegalSubnetPoolPrefixUpdate',
      );
    }
  }
}

import type { SubnetpoolRow } from '../db/schema-subnetpools.js';
import { standardView } from './standard-attrs.js';

export function subnetpoolView(p: SubnetpoolRow) {
  return {
    id: p.id,
    name: p.name,
    ip_version: p.ipVersion,
    prefixes: p.prefixes,
    default_prefixlen: p.defaultPrefixlen,
    min_prefixlen: p.minPrefixlen,
    max_prefixlen: p.maxPrefixlen,
    shared: p.shared,
    is_default: p.isDefault,
    default_quota: null,
    address_scope_id: null,
    ...standardView(p),
  };
}

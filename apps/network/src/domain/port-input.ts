import type { AddressPair } from '../db/schema.js';
import {
  bool,
  type Conv,
  id,
  invalidAttr,
  list,
  nullable,
  obj,
  oneOf,
  type Parsed,
  parseAttrs,
  str,
} from './attrs.js';
import { badRequest } from './errors.js';
import { canonicalIp, canonicalMac, cidrString, isUsableMac, parseIpOrCidr } from './ip.js';
import { validTags } from './standard-attrs.js';

export const MAX_ADDRESS_PAIRS = 10;
export const VNIC_TYPES = ['normal'] as const;

export interface FixedIpInput {
  subnetId?: string;
  ipAddress?: string;
}

const mac: Conv<string> = (v, attr) => {
  const m = canonicalMac(v);
  if (m === undefined || !isUsableMac(m))
    throw invalidAttr(attr, `'${String(v).slice(0, 80)}' is not a valid MAC address`);
  return m;
};

const fixedIp: Conv<FixedIpInput> = (v, attr) => {
  const o = obj(v, attr);
  const extra = Object.keys(o).filter((k) => k !== 'subnet_id' && k !== 'ip_address');
  if (extra.length) throw invalidAttr(attr, `Unrecognized key(s) '${extra.join(', ')}' in fixed_ips`);
  const out: FixedIpInput = {};
  if (o.subnet_id !== undefined) out.subnetId = id(o.subnet_id, attr);
  if (o.ip_address !== undefined) {
    const ip = canonicalIp(o.ip_address);
    if (ip === undefined)
      throw invalidAttr(attr, `'${String(o.ip_address).slice(0, 80)}' is not a valid IP address`);
    out.ipAddress = ip;
  }
  if (out.subnetId === undefined && out.ipAddress === undefined) {
    throw invalidAttr(attr, 'each fixed IP needs a subnet_id or an ip_address');
  }
  return out;
};

const addressPair: Conv<AddressPair> = (v, attr) => {
  const o = obj(v, attr);
  const extra = Object.keys(o).filter((k) => k !== 'ip_address' && k !== 'mac_address');
  if (extra.length) throw invalidAttr(attr, `Unrecognized attribute(s) '${extra.join(', ')}'`);
  if (o.ip_address === undefined) {
    throw badRequest('Allowed address pair must contain ip_address', 'AllowedAddressPairsMissingIP');
  }
  const c = parseIpOrCidr(o.ip_address);
  if (!c) throw invalidAttr(attr, `'${String(o.ip_address).slice(0, 80)}' is not a valid IP address or CIDR`);
  const full = c.prefix === (c.version === 4 ? 32 : 128) && !String(o.ip_address).includes('/');
  const ip = full ? canonicalIp(o.ip_address)! : cidrString(c);
  return {
    ip_address: ip,
    mac_address: o.mac_address === undefined || o.mac_address === null ? '' : mac(o.mac_address, attr),
  };
};

function addressPairs(v: unknown, attr: string): AddressPair[] {
  if (v === null) return [];
  const pairs = list(addressPair, 100)(v, attr);
  if (pairs.length > MAX_ADDRESS_PAIRS) {
    throw badRequest(
      `The number of allowed address pair exceeds the maximum ${MAX_ADDRESS_PAIRS}.`,
      'AllowedAddressPairExhausted',
    );
  }
  const seen = new Set<string>();
  for (const p of pairs) {
    const k = `${p.ip_address} ${p.mac_address}`;
    if (seen.has(k)) {
      throw badRequest(
        'Request contains duplicate address pair: ' + JSON.stringify(p),
        'DuplicateAddressPairInRequest',
      );
    }
    seen.add(k);
  }
  return pairs;
}

const common = {
  name: str(255),
  description: str(255),
  admin_state_up: bool,
  mac_address: mac,
  fixed_ips: (v: unknown, a: string) => list(fixedIp, 100)(v, a),
  device_id: str(255),
  device_owner: str(255),
  security_groups: (v: unknown, a: string) => (v === null ? null : list(id, 100)(v, a)),
  port_security_enabled: bool,
  allowed_address_pairs: addressPairs,
  'binding:host_id': str(255),
  'binding:profile': nullable(obj),
  'binding:vnic_type': oneOf(VNIC_TYPES),
  network_id: id,
  tenant_id: id,
  project_id: id,
};

export const portCreateShape = { ...common, tags: (v: unknown) => validTags(v) };
export const portUpdateShape = common;

export type PortCreateAttrs = Parsed<typeof portCreateShape>;
export type PortUpdateAttrs = Parsed<typeof portUpdateShape>;

export function parsePortCreate(body: Record<string, unknown>): PortCreateAttrs {
  const a = parseAttrs(body, portCreateShape);
  if (a.network_id === undefined)
    throw badRequest("Invalid input for operation: 'network_id' is required.", 'InvalidInput');
  return a;
}
export const parsePortUpdate = (body: Record<string, unknown>): PortUpdateAttrs =>
  parseAttrs(body, portUpdateShape);

/** Ports whose owner makes the port API refuse to delete them (router/FIP machinery). */
export const PROTECTED_OWNERS = [
  'network:router_interface',
  'network:router_interface_distributed',
  'network:ha_router_replicated_interface',
  'network:router_gateway',
  'network:router_ha_interface',
  'network:floatingip',
];

import { badRequest } from './errors.js';
import { canonicalIp, cidrString, parseIpOrCidr } from './ip.js';

/**
 * Security group rule input, validated as Neutron does (neutron/extensions/securitygroup.py and
 * securitygroups_db.py): protocol names or numbers, port ranges per protocol, ICMP type/code,
 * remote prefix vs ethertype, remote prefix vs remote group. Pure: existence checks are the repo's.
 */
export type Direction = 'ingress' | 'egress';
export type Ethertype = 'IPv4' | 'IPv6';

/** Neutron's IP_PROTOCOL_MAP (neutron-lib constants). */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  ah: 51,
  dccp: 33,
  egp: 8,
  esp: 50,
  gre: 47,
  hopopt: 0,
  icmp: 1,
  icmpv6: 58,
  igmp: 2,
  ipip: 4,
  'ipv6-encap': 41,
  'ipv6-frag': 44,
  'ipv6-icmp': 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  'ipv6-route': 43,
  ospf: 89,
  pgm: 113,
  rsvp: 46,
  sctp: 132,
  tcp: 6,
  udp: 17,
  udplite: 136,
  vrrp: 112,
};
/** Protocols with port ranges (SG_PORT_PROTO_NUMS). */
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);
const ICMP_PROTOCOLS = new Set([1, 58]);
/** Protocols that only exist over IPv6 (IPV6_ONLY_PROTOCOLS by number). */
const IPV6_ONLY = new Set([41, 43, 44, 58, 59, 60]);
const ANY = new Set(['', 'any']);

export interface RuleSpec {
  securityGroupId: string;
  direction: Direction;
  ethertype: Ethertype;
  /** As stored and shown: a lower-case name, a decimal number as text, or null (any). */
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  normalizedCidr: string | null;
  remoteGroupId: string | null;
  description: string;
  /** Admin only: the owner of the rule (defaults to the group's). */
  projectId: string | undefined;
}

const ALLOWED = new Set([
  'security_group_id',
  'direction',
  'ethertype',
  'protocol',
  'port_range_min',
  'port_range_max',
  'remote_ip_prefix',
  'remote_group_id',
  'remote_address_group_id',
  'description',
  'tenant_id',
  'project_id',
  'id',
]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The IP protocol number of a stored protocol value (null for any). */
export function protocolNumber(protocol: string | null): number | null {
  if (protocol === null) return null;
  if (/^\d+$/.test(protocol)) return Number(protocol);
  return PROTOCOL_NUMBERS[protocol] ?? null;
}

export function parseProtocol(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v))) {
    const n = Number(v);
    if (Number.isInteger(n) && n >= 0 && n <= 255) return String(n);
  } else if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (ANY.has(s)) return null;
    if (s in PROTOCOL_NUMBERS) return s;
  }
  throw badRequest(
    `Security group rule protocol ${JSON.stringify(v)?.slice(0, 60)} not supported. Only protocol values [${Object.keys(PROTOCOL_NUMBERS).join(', ')}] and integer representations [0 to 255] are supported.`,
    'SecurityGroupRuleInvalidProtocol',
  );
}

/** convert_validate_port_value: an integer 0..65535 or null. */
function parsePort(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw badRequest(`Invalid value for port ${String(v).slice(0, 40)}.`, 'SecurityGroupInvalidPortValue');
  }
  return n;
}

function parseDirection(v: unknown): Direction {
  if (v === 'ingress' || v === 'egress') return v;
  throw badRequest(
    `Invalid input for direction. Reason: ${JSON.stringify(v)?.slice(0, 60)} is not in ['ingress', 'egress'].`,
    'HTTPBadRequest',
  );
}

function parseEthertype(v: unknown): Ethertype {
  if (v === undefined || v === null) return 'IPv4';
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'ipv4') return 'IPv4';
    if (s === 'ipv6') return 'IPv6';
  }
  throw badRequest(
    `Invalid input for ethertype. Reason: ${JSON.stringify(v)?.slice(0, 60)} is not in ['IPv4', 'IPv6'].`,
    'SecurityGroupRuleInvalidEtherType',
  );
}

const idOrNull = (attr: string, v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string')
    throw badRequest(`Invalid input for ${attr}. Reason: '${String(v)}' is not a valid UUID.`);
  return v;
};

/** Check ports against the protocol (Neutron's _validate_port_range). */
export function validatePortRange(protocol: string | null, min: number | null, max: number | null): void {
  if (min === null && max === null) return;
  if (protocol === null) {
    throw badRequest(
      'Must also specify protocol if port range is given.',
      'SecurityGroupProtocolRequiredWithPorts',
    );
  }
  const num = protocolNumber(protocol)!;
  if (PORT_PROTOCOLS.has(num)) {
    if (min === 0 || max === 0)
      throw badRequest('Invalid value for port 0.', 'SecurityGroupInvalidPortValue');
    if (min !== null && max !== null && min <= max) return;
    throw badRequest(
      'For TCP/UDP protocols, port_range_min must be <= port_range_max',
      'SecurityGroupInvalidPortRange',
    );
  }
  if (ICMP_PROTOCOLS.has(num)) {
    for (const [value, field, attr] of [
      [min, 'type', 'port_range_min'],
      [max, 'code', 'port_range_max'],
    ] as const) {
      if (value !== null && !(value >= 0 && value <= 255)) {
        throw badRequest(
          `Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`,
          'SecurityGroupInvalidIcmpValue',
        );
      }
    }
    if (min === null && max !== null) {
      throw badRequest(
        `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`,
        'SecurityGroupMissingIcmpType',
      );
    }
    return;
  }
  // only the protocols above have ports (current Neutron; older releases let min == max through)
  throw badRequest(
    `Invalid protocol ${protocol} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.`,
    'SecurityGroupInvalidProtocolForPortRange',
  );
}

/** Parse the body of POST /v2.0/security-group-rules. */
export function parseRuleCreate(body: unknown): RuleSpec {
  const r = isObject(body) ? body.security_group_rule : undefined;
  if (!isObject(r)) throw badRequest('Resource body required: security_group_rule must be an object.');
  const unknown = Object.keys(r).filter((k) => !ALLOWED.has(k));
  if (unknown.length) throw badRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
  if (typeof r.security_group_id !== 'string' || r.security_group_id === '') {
    throw badRequest("Failed to parse request. Required attribute 'security_group_id' not specified");
  }
  if (r.direction === undefined) {
    throw badRequest("Failed to parse request. Required attribute 'direction' not specified");
  }
  const direction = parseDirection(r.direction);
  const ethertype = parseEthertype(r.ethertype);
  const protocol = parseProtocol(r.protocol);
  const portRangeMin = parsePort(r.port_range_min);
  const portRangeMax = parsePort(r.port_range_max);
  const remoteGroupId = idOrNull('remote_group_id', r.remote_group_id);
  if (r.remote_address_group_id !== undefined && r.remote_address_group_id !== null) {
    throw badRequest('Remote address groups are not supported.');
  }
  let remoteIpPrefix: string | null = null;
  let normalizedCidr: string | null = null;
  if (r.remote_ip_prefix !== undefined && r.remote_ip_prefix !== null && r.remote_ip_prefix !== '') {
    const c = parseIpOrCidr(r.remote_ip_prefix);
    if (!c) {
      throw badRequest(
        `'${String(r.remote_ip_prefix).slice(0, 60)}' is not a valid IP subnet.`,
        'InvalidCIDR',
      );
    }
    const text = String(r.remote_ip_prefix);
    // as given (host bits kept, like str(netaddr.IPNetwork(x))), always with a prefix length
    remoteIpPrefix = `${canonicalIp(text.split('/')[0])}/${c.prefix}`;
    normalizedCidr = cidrString({ version: c.version, network: c.network, prefix: c.prefix });
    if ((c.version === 4) !== (ethertype === 'IPv4')) {
      throw badRequest(
        `Conflicting value ethertype ${ethertype} for CIDR ${text}`,
        'SecurityGroupRuleParameterConflict',
      );
    }
  }
  if (remoteIpPrefix !== null && remoteGroupId !== null) {
    throw badRequest(
      'Only remote_ip_prefix or remote_group_id may be provided.',
      'SecurityGroupRemoteGroupAndRemoteIpPrefix',
    );
  }
  const num = protocolNumber(protocol);
  if (num !== null && IPV6_ONLY.has(num) && ethertype === 'IPv4') {
    throw badRequest(
      `Invalid ethertype IPv4 for protocol ${protocol}.`,
      'SecurityGroupEthertypeConflictWithProtocol',
    );
  }
  validatePortRange(protocol, portRangeMin, portRangeMax);
  if (r.description !== undefined && r.description !== null && typeof r.description !== 'string') {
    throw badRequest(
      `Invalid input for description. Reason: '${String(r.description)}' is not a valid string.`,
    );
  }
  const description = typeof r.description === 'string' ? r.description : '';
  if (description.length > 255) {
    throw badRequest(
      `Invalid input for description. Reason: '${description.slice(0, 20)}...' exceeds maximum length of 255.`,
    );
  }
  const owner = r.project_id ?? r.tenant_id;
  if (owner !== undefined && typeof owner !== 'string') throw badRequest('Invalid input for project_id.');
  return {
    securityGroupId: r.security_group_id,
    direction,
    ethertype,
    protocol,
    portRangeMin,
    portRangeMax,
    remoteIpPrefix,
    normalizedCidr,
    remoteGroupId,
    description,
    projectId: owner,
  };
}

/**
 * What makes two rules of a group the same rule (Neutron's duplicate check): the protocol by
 * number, an any-address prefix equal to none.
 */
export function ruleKey(r: {
  securityGroupId: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  normalizedCidr: string | null;
  remoteGroupId: string | null;
}): string {
  const cidr = r.normalizedCidr === '0.0.0.0/0' || r.normalizedCidr === '::/0' ? null : r.normalizedCidr;
  return JSON.stringify([
    r.securityGroupId,
    r.direction,
    r.ethertype,
    protocolNumber(r.protocol),
    r.portRangeMin,
    r.portRangeMax,
    cidr,
    r.remoteGroupId,
  ]);
}

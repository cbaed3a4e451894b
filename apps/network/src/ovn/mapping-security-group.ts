import { ovsMap } from '@kumo/ovsdb';
import { cidrString, parseIpOrCidr } from '../domain/ip.js';
import { PROTOCOL_NUMBERS } from '../domain/security-group-rule-input.js';
import type { SecurityGroupModel, SecurityGroupRuleModel } from './model.js';
import { type DesiredRow, PG_DROP, pgName } from './nb-rows.js';

export const ACL_PRIORITY_ALLOW = 1002;
export const ACL_PRIORITY_DROP = 1001;

/** Neutron's IP protocol names → numbers: one table, the API's. */
export const IP_PROTOCOLS = PROTOCOL_NUMBERS;

const TRANSPORT: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

/** A protocol name or number string → its number; undefined = any; null = not a protocol. */
export function protocolNumber(protocol: string | null): number | undefined | null {
  if (protocol === null || protocol === '' || protocol === 'any') return undefined;
  if (/^\d{1,3}$/.test(protocol)) {
    const n = Number(protocol);
    return n <= 255 ? n : null;
  }
  return IP_PROTOCOLS[protocol.toLowerCase()] ?? null;
}

/**
 * The OVN match of one rule on port group `pg` (Neutron's acl.py): direction, ethertype, remote prefix
 * or remote group (the port group's automatic address set `$pg_<id>_ip4`), protocol and port range.
 * Null when the rule cannot be expressed (unknown protocol, prefix of the other family).
 */
export function ruleMatch(pg: string, r: SecurityGroupRuleModel): string | null {
  const ingress = r.direction === 'ingress';
  const ipv = r.ethertype === 'IPv6' ? 'ip6' : 'ip4';
  const icmp = r.ethertype === 'IPv6' ? 'icmp6' : 'icmp4';
  const srcOrDst = ingress ? 'src' : 'dst';
  let m = `${ingress ? 'outport' : 'inport'} == @${pg} && ${ipv}`;
  if (r.remoteIpPrefix) {
    const c = parseIpOrCidr(r.remoteIpPrefix);
    if (!c || (c.version === 6) !== (ipv === 'ip6')) return null;
    m += ` && ${ipv}.${srcOrDst} == ${cidrString(c)}`;
  }
  if (r.remoteGroupId) m += ` && ${ipv}.${srcOrDst} == $${pgName(r.remoteGroupId)}_${ipv}`;
  const proto = protocolNumber(r.protocol);
  if (proto === null) return null;
  if (proto === undefined) return m;
  const transport = TRANSPORT[proto];
  const min = r.portRangeMin;
  const max = r.portRangeMax;
  if (transport) {
    m += ` && ${transport}`;
    if (min !== null && min === max) m += ` && ${transport}.dst == ${min}`;
    else {
      if (min !== null) m += ` && ${transport}.dst >= ${min}`;
      if (max !== null) m += ` && ${transport}.dst <= ${max}`;
    }
  } else if (proto === 1 || proto === 58) {
    m += ` && ${icmp}`;
    if (min !== null) m += ` && ${icmp}.type == ${min}`;
    if (max !== null) m += ` && ${icmp}.code == ${max}`;
  } else m += ` && ip.proto == ${proto}`;
  return m;
}

/** Port_Group `pg_<id>` with one priority-1002 ACL per rule (members are written by each port's sync). */
export function mapSecurityGroup(sg: SecurityGroupModel): DesiredRow[] {
  const pg = pgName(sg.id);
  const rows: DesiredRow[] = [
    {
      table: 'Port_Group',
      rid: 'pg',
      columns: {
        name: pg,
        external_ids: ovsMap({ 'neutron:security_group_id': sg.id, 'neutron:project_id': sg.projectId }),
      },
    },
  ];
  for (const r of sg.rules) {
    const match = ruleMatch(pg, r);
    if (match === null) continue;
    rows.push({
      table: 'ACL',
      rid: `rule:${r.id}`,
      columns: {
        priority: ACL_PRIORITY_ALLOW,
        direction: r.direction === 'ingress' ? 'to-lport' : 'from-lport',
        match,
        action: sg.stateful ? 'allow-related' : 'allow-stateless',
        external_ids: ovsMap({ 'neutron:security_group_rule_id': r.id }),
      },
      parents: [{ table: 'Port_Group', column: 'acls', parent: { rid: 'pg' }, required: true }],
    });
  }
  return rows;
}

/**
 * The global `neutron_pg_drop` group (every port with port security is a member): drop all IP in both
 * directions at priority 1001, below the groups' allow rules. DHCP requests are allowed so native DHCP
 * works even when no egress rule allows them (OVN itself lets the DHCP replies and ND through).
 */
export function mapDropGroup(): DesiredRow[] {
  const acl = (rid: string, direction: string, priority: number, match: string, action: string) =>
    ({
      table: 'ACL',
      rid,
      columns: { priority, direction, match, action, external_ids: ovsMap({}) },
      parents: [{ table: 'Port_Group', column: 'acls', parent: { rid: 'pg' }, required: true }],
    }) satisfies DesiredRow;
  return [
    { table: 'Port_Group', rid: 'pg', columns: { name: PG_DROP, external_ids: ovsMap({}) } },
    acl('drop-in', 'from-lport', ACL_PRIORITY_DROP, `inport == @${PG_DROP} && ip`, 'drop'),
    acl('drop-out', 'to-lport', ACL_PRIORITY_DROP, `outport == @${PG_DROP} && ip`, 'drop'),
    acl(
      'dhcp4',
      'from-lport',
      ACL_PRIORITY_ALLOW,
      `inport == @${PG_DROP} && ip4 && ip4.dst == {255.255.255.255, 0.0.0.0/0} && udp && udp.src == 68 && udp.dst == 67`,
      'allow',
    ),
    acl(
      'dhcp6',
      'from-lport',
      ACL_PRIORITY_ALLOW,
      `inport == @${PG_DROP} && ip6 && udp && udp.src == 546 && udp.dst == 547`,
      'allow',
    ),
  ];
}

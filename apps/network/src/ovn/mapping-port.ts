import { ovsMap, ovsSet } from '@kumo/ovsdb';
import { parseCidr, parseIp, parseIpOrCidr } from '../domain/ip.js';
import { dhcpRid, hasDhcpOptions } from './mapping-network.js';
import type { NetModel, PortModel } from './model.js';
import {
  type DesiredRow,
  lrpName,
  lsName,
  ownerKey,
  PG_DROP,
  type Placement,
  pgName,
  type RowRef,
} from './nb-rows.js';

export const OWNER_ROUTER_INTERFACE = 'network:router_interface';
export const OWNER_ROUTER_GATEWAY = 'network:router_gateway';
export const OWNER_FLOATING_IP = 'network:floatingip';
export const OWNER_DISTRIBUTED = 'network:distributed';

const ROUTER_OWNERS = new Set([
  OWNER_ROUTER_INTERFACE,
  OWNER_ROUTER_GATEWAY,
  'network:router_interface_distributed',
  'network:ha_router_replicated_interface',
]);

export const isRouterPort = (p: PortModel) => ROUTER_OWNERS.has(p.deviceOwner);

/** Ports that get no LSP: a floating IP's port only reserves the address (its NAT lives on the router). */
export const isLspIgnored = (p: PortModel) => p.deviceOwner === OWNER_FLOATING_IP;

/** `ip/prefix` of each fixed IP, from its subnet's CIDR. */
function fixedCidrs(port: PortModel, net: NetModel): string[] {
  const out: string[] = [];
  for (const f of port.fixedIps) {
    const s = net.subnets.find((x) => x.id === f.subnetId);
    const c = s ? parseCidr(s.cidr) : undefined;
    out.push(c ? `${f.ipAddress}/${c.prefix}` : f.ipAddress);
  }
  return out;
}

/** port_security entries: the port's MAC with its IPs and same-MAC pairs, then one entry per other MAC. */
export function portSecurity(port: PortModel): string[] {
  const mac = port.macAddress.toLowerCase();
  const byMac = new Map<string, string[]>([[mac, port.fixedIps.map((f) => f.ipAddress)]]);
  for (const pair of port.allowedAddressPairs) {
    if (!parseIpOrCidr(pair.ipAddress)) continue;
    const m = (pair.macAddress ?? mac).toLowerCase();
    const list = byMac.get(m) ?? [];
    if (!list.includes(pair.ipAddress)) list.push(pair.ipAddress);
    byMac.set(m, list);
  }
  return [...byMac].map(([m, ips]) => [m, ...ips].join(' '));
}

/** The Logical_Switch_Port of a Neutron port (named by the port id), or nothing for ignored ports. */
export function mapPort(port: PortModel, net: NetModel): DesiredRow[] {
  if (isLspIgnored(port)) return [];
  const mac = port.macAddress.toLowerCase();
  const ips = port.fixedIps.map((f) => f.ipAddress);
  const externalIds: Record<string, string> = {
    'neutron:port_name': port.name ?? '',
    'neutron:device_id': port.deviceId,
    'neutron:device_owner': port.deviceOwner,
    'neutron:network_name': lsName(port.networkId),
    'neutron:project_id': port.projectId,
    'neutron:cidrs': fixedCidrs(port, net).join(' '),
    'neutron:security_group_ids': port.portSecurityEnabled ? port.securityGroupIds.join(' ') : '',
  };
  if (port.hostId) externalIds['neutron:host_id'] = port.hostId;
  const parents: Placement[] = [
    { table: 'Logical_Switch', column: 'ports', parent: { name: lsName(port.networkId) }, required: true },
  ];
  const enabled = ovsSet(port.adminStateUp && net.adminStateUp);

  if (isRouterPort(port)) {
    const options: Record<string, string> = { 'router-port': lrpName(port.id) };
    if (port.deviceOwner === OWNER_ROUTER_GATEWAY) options['nat-addresses'] = 'router';
    return [
      {
        table: 'Logical_Switch_Port',
        rid: 'lsp',
        columns: {
          name: port.id,
          type: 'router',
          addresses: ovsSet('router'),
          port_security: ovsSet(),
          options: ovsMap(options),
          enabled,
          external_ids: ovsMap(externalIds),
        },
        refs: { dhcpv4_options: [], dhcpv6_options: [] },
        parents,
      },
    ];
  }

  const options: Record<string, string> = { mcast_flood_reports: 'true' };
  if (port.hostId) options['requested-chassis'] = port.hostId;
  const addresses = [[mac, ...ips].join(' ')];
  let security: string[] = [];
  if (port.portSecurityEnabled) {
    security = portSecurity(port);
    for (const sg of port.securityGroupIds) {
      parents.push({ table: 'Port_Group', column: 'ports', parent: { name: pgName(sg) }, required: false });
    }
    parents.push({ table: 'Port_Group', column: 'ports', parent: { name: PG_DROP }, required: false });
  } else {
    // without port security the port may use any address: OVN must flood unknown destinations to it
    addresses.push('unknown');
  }
  const dhcp = (version: 4 | 6): RowRef[] => {
    for (const f of port.fixedIps) {
      if (parseIp(f.ipAddress)?.version !== version) continue;
      const s = net.subnets.find((x) => x.id === f.subnetId);
      if (s && hasDhcpOptions(s)) return [{ owner: ownerKey('network', net.id), rid: dhcpRid(s.id) }];
    }
    return [];
  };
  return [
    {
      table: 'Logical_Switch_Port',
      rid: 'lsp',
      columns: {
        name: port.id,
        type: port.deviceOwner === OWNER_DISTRIBUTED ? 'localport' : '',
        addresses: ovsSet(...addresses),
        port_security: ovsSet(...security),
        options: ovsMap(options),
        enabled,
        external_ids: ovsMap(externalIds),
      },
      refs: { dhcpv4_options: dhcp(4), dhcpv6_options: dhcp(6) },
      parents,
    },
  ];
}

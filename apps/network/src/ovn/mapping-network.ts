import { createHash } from 'node:crypto';
import { ovsMap, ovsSet } from '@kumo/ovsdb';
import { cidrString, formatIp, parseCidr, parseIp } from '../domain/ip.js';
import type { NetModel, SubnetModel } from './model.js';
import { type DesiredRow, localnetName, lsName } from './nb-rows.js';

export const DHCP_LEASE_TIME = '43200';
export const METADATA_CIDR = '169.254.169.254/32';

export const dhcpRid = (subnetId: string) => `dhcp:${subnetId}`;

/** A stable locally administered MAC for a subnet's DHCP server (fa:16:3e like Neutron's base MAC). */
export function dhcpServerMac(subnetId: string): string {
  const h = createHash('sha256').update(subnetId).digest();
  return ['fa', '16', '3e', ...[h[0], h[1], h[2]].map((b) => (b ?? 0).toString(16).padStart(2, '0'))].join(
    ':',
  );
}

/** The DHCP server address: the gateway, or the subnet's first host address when it has no gateway. */
export function dhcpServerIp(subnet: SubnetModel): string | undefined {
  if (subnet.gatewayIp) return subnet.gatewayIp;
  const c = parseCidr(subnet.cidr);
  if (!c) return undefined;
  return formatIp(c.version, c.network + 1n);
}

/** Whether a subnet gets a DHCP_Options row (v6: only the DHCPv6 modes; SLAAC needs none). */
export function hasDhcpOptions(subnet: SubnetModel): boolean {
  if (!subnet.enableDhcp) return false;
  if (subnet.ipVersion === 4) return true;
  return subnet.ipv6AddressMode === 'dhcpv6-stateful' || subnet.ipv6AddressMode === 'dhcpv6-stateless';
}

const braces = (items: string[]) => (items.length === 1 ? items[0]! : `{${items.join(', ')}}`);

function normalizedCidr(s: string): string {
  const c = parseCidr(s);
  return c ? cidrString(c) : s;
}

/** The OVN native DHCP options of one subnet (Neutron's ovn_client _get_ovn_dhcpv4/v6_opts). */
export function dhcpOptions(net: NetModel, subnet: SubnetModel): Record<string, string> {
  const mac = dhcpServerMac(subnet.id);
  if (subnet.ipVersion === 6) {
    const o: Record<string, string> = { server_id: mac };
    const dns = subnet.dnsNameservers.filter((d) => parseIp(d)?.version === 6);
    if (dns.length) o.dns_server = braces(dns);
    if (subnet.ipv6AddressMode === 'dhcpv6-stateless') o.dhcpv6_stateless = 'true';
    return o;
  }
  const server = dhcpServerIp(subnet) ?? '';
  const o: Record<string, string> = {
    server_id: server,
    server_mac: mac,
    lease_time: DHCP_LEASE_TIME,
    mtu: String(net.mtu),
  };
  if (subnet.gatewayIp) o.router = subnet.gatewayIp;
  const dns = subnet.dnsNameservers.filter((d) => parseIp(d)?.version === 4);
  if (dns.length) o.dns_server = braces(dns);
  const routes = subnet.hostRoutes.filter((r) => parseIp(r.nexthop)?.version === 4);
  if (routes.length) {
    // with option 121 clients ignore the router option: the default route must be in the list too
    const entries = routes.map((r) => `${normalizedCidr(r.destination)},${r.nexthop}`);
    const hasDefault = routes.some((r) => normalizedCidr(r.destination) === '0.0.0.0/0');
    if (subnet.gatewayIp && !hasDefault) entries.push(`0.0.0.0/0,${subnet.gatewayIp}`);
    o.classless_static_route = braces(entries);
  }
  return o;
}

/** Logical_Switch `neutron-<id>`, its localnet port (provider networks) and one DHCP_Options per subnet. */
export function mapNetwork(net: NetModel): DesiredRow[] {
  const name = lsName(net.id);
  const rows: DesiredRow[] = [
    {
      table: 'Logical_Switch',
      rid: 'ls',
      columns: {
        name,
        external_ids: ovsMap({
          'neutron:network_name': net.name,
          'neutron:network_id': net.id,
          'neutron:mtu': String(net.mtu),
          'neutron:project_id': net.projectId,
        }),
        other_config: ovsMap({ mcast_snoop: 'false', mcast_flood_unregistered: 'false' }),
      },
    },
  ];
  if (net.physicalNetwork) {
    rows.push({
      table: 'Logical_Switch_Port',
      rid: 'localnet',
      columns: {
        name: localnetName(net.id),
        type: 'localnet',
        addresses: ovsSet('unknown'),
        port_security: ovsSet(),
        enabled: ovsSet(),
        options: ovsMap({
          network_name: net.physicalNetwork,
          mcast_flood: 'false',
          mcast_flood_reports: 'true',
        }),
        external_ids: ovsMap({ 'neutron:network_name': name }),
      },
      parents: [{ table: 'Logical_Switch', column: 'ports', parent: { rid: 'ls' }, required: true }],
    });
  }
  for (const s of net.subnets) {
    if (!hasDhcpOptions(s)) continue;
    rows.push({
      table: 'DHCP_Options',
      rid: dhcpRid(s.id),
      columns: {
        cidr: normalizedCidr(s.cidr),
        options: ovsMap(dhcpOptions(net, s)),
        external_ids: ovsMap({ subnet_id: s.id, 'neutron:network_id': net.id }),
      },
    });
  }
  return rows;
}

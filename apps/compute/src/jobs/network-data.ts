import { isIP } from 'node:net';
import type { Network, Port, Subnet } from '@kumo/network';

/** One NIC of a guest, as the config drive describes it: its port, network and subnets. */
export interface GuestNic {
  port: Pick<Port, 'id' | 'mac_address' | 'fixed_ips' | 'network_id'>;
  network?: Pick<Network, 'id' | 'mtu'>;
  /** The subnets of the port's fixed IPs (by id). */
  subnets: ReadonlyMap<string, Subnet>;
  /** The device tag the NIC was requested with (meta_data.json `devices`). */
  tag?: string;
}

/** The guest's device name of a port, as Nova names taps: `tap` + the first 11 characters of the port id. */
export const tapName = (portId: string) => `tap${portId.slice(0, 11)}`;

/** A prefix length as a dotted IPv4 mask or an expanded IPv6 mask (what network_data.json carries). */
export function netmaskOf(prefix: number, version: 4 | 6): string {
  if (version === 4) {
    const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join('.');
  }
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) {
    const n = Math.max(0, Math.min(16, prefix - i * 16));
    groups.push(((0xffff << (16 - n)) & 0xffff).toString(16));
  }
  return groups.join(':');
}

interface Route {
  network: string;
  netmask: string;
  gateway: string;
}

function routesOf(subnet: Subnet, version: 4 | 6): Route[] {
  const routes: Route[] = [];
  if (subnet.gateway_ip)
    routes.push({
      network: version === 4 ? '0.0.0.0' : '::',
      netmask: version === 4 ? '0.0.0.0' : '::',
      gateway: subnet.gateway_ip,
    });
  for (const r of subnet.host_routes ?? []) {
    const [net = '', len = '0'] = r.destination.split('/');
    routes.push({ network: net, netmask: netmaskOf(Number(len), version), gateway: r.nexthop });
  }
  return routes;
}

/**
 * OpenStack's network_data.json for a guest: one `link` per NIC (type 'ovs',
 * its MAC, MTU and port id), one `network` per fixed IP — DHCP when the
 * subnet serves it ('ipv4_dhcp', 'ipv6_dhcp'/'ipv6_slaac'), else static with
 * address, mask and routes — and the subnets' DNS servers as `services`.
 */
export function networkData(nics: GuestNic[]): {
  links: Record<string, unknown>[];
  networks: Record<string, unknown>[];
  services: { type: 'dns'; address: string }[];
} {
  const links: Record<string, unknown>[] = [];
  const networks: Record<string, unknown>[] = [];
  const dns = new Set<string>();
  for (const nic of nics) {
    const link = tapName(nic.port.id);
    links.push({
      id: link,
      vif_id: nic.port.id,
      type: 'ovs',
      mtu: nic.network?.mtu ?? null,
      ethernet_mac_address: nic.port.mac_address,
    });
    for (const ip of nic.port.fixed_ips) {
      const subnet = nic.subnets.get(ip.subnet_id);
      const version: 4 | 6 = isIP(ip.ip_address) === 6 ? 6 : 4;
      const id = `network${networks.length}`;
      const base = { id, link, network_id: nic.port.network_id };
      if (!subnet) {
        networks.push({ ...base, type: version === 4 ? 'ipv4_dhcp' : 'ipv6_dhcp' });
        continue;
      }
      for (const d of subnet.dns_nameservers ?? []) dns.add(d);
      const services = (subnet.dns_nameservers ?? []).map((address) => ({ type: 'dns', address }));
      const v6mode = subnet.ipv6_address_mode;
      if (version === 6 && (v6mode === 'slaac' || v6mode === 'dhcpv6-stateless')) {
        networks.push({ ...base, type: v6mode === 'slaac' ? 'ipv6_slaac' : 'ipv6_dhcpv6-stateless' });
        continue;
      }
      if (subnet.enable_dhcp) {
        networks.push({ ...base, type: version === 4 ? 'ipv4_dhcp' : 'ipv6_dhcpv6-stateful' });
        continue;
      }
      const prefix = Number(subnet.cidr.split('/')[1] ?? (version === 4 ? 32 : 128));
      networks.push({
        ...base,
        type: version === 4 ? 'ipv4' : 'ipv6',
        ip_address: ip.ip_address,
        netmask: netmaskOf(prefix, version),
        routes: routesOf(subnet, version),
        services,
      });
    }
  }
  return { links, networks, services: [...dns].map((address) => ({ type: 'dns', address })) };
}

import type { SubnetRow } from '../db/schema.js';
import { standardView } from './standard-attrs.js';

export function subnetView(s: SubnetRow, subnetpoolId: string | null = null) {
  return {
    id: s.id,
    name: s.name,
    network_id: s.networkId,
    ip_version: s.ipVersion,
    cidr: s.cidr,
    gateway_ip: s.gatewayIp,
    allocation_pools: s.allocationPools.map((p) => ({ start: p.start, end: p.end })),
    dns_nameservers: s.dnsNameservers,
    host_routes: s.hostRoutes.map((r) => ({ destination: r.destination, nexthop: r.nexthop })),
    enable_dhcp: s.enableDhcp,
    ipv6_ra_mode: s.ipv6RaMode,
    ipv6_address_mode: s.ipv6AddressMode,
    subnetpool_id: subnetpoolId,
    segment_id: null,
    service_types: [],
    ...standardView(s),
  };
}

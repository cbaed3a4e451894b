import type { NetworkRow } from '../db/schema.js';
import { standardView } from './standard-attrs.js';

/** The Neutron view of a network; provider:* attributes only for admins (as Neutron's policy). */
export function networkView(n: NetworkRow, subnetIds: string[], isAdmin: boolean) {
  return {
    id: n.id,
    name: n.name,
    admin_state_up: n.adminStateUp,
    status: 'ACTIVE',
    subnets: subnetIds,
    shared: n.shared,
    'router:external': n.external,
    mtu: n.mtu,
    port_security_enabled: n.portSecurityEnabled,
    availability_zone_hints: n.availabilityZoneHints,
    availability_zones: ['nova'],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    l2_adjacency: true,
    is_default: false,
    ...(isAdmin
      ? {
          'provider:network_type': n.networkType,
          'provider:physical_network': n.physicalNetwork,
          'provider:segmentation_id': n.segmentationId,
        }
      : {}),
    ...standardView(n),
  };
}

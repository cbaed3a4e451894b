import type { AddressPair } from '../db/schema.js';
import { standardView } from './standard-attrs.js';

export interface PortViewInput {
  id: string;
  projectId: string;
  name: string;
  description: string;
  tags: string[];
  revisionNumber: number;
  createdAt: Date;
  updatedAt: Date;
  networkId: string;
  macAddress: string;
  adminStateUp: boolean;
  status: string;
  deviceId: string;
  deviceOwner: string;
  portSecurityEnabled: boolean;
  allowedAddressPairs: AddressPair[];
  bindingHostId: string;
  bindingProfile: Record<string, unknown>;
  bindingVnicType: string;
  fixedIps: { subnetId: string; ipAddress: string }[];
  securityGroupIds: string[];
}

/**
 * The status a port gets from its binding: Neutron-owned ports (router, DHCP, FIP) and bound
 * ports are ACTIVE, unbound ones DOWN, and a port that is administratively down is DOWN.
 */
export function portStatusOf(p: {
  adminStateUp: boolean;
  bindingHostId: string;
  deviceOwner: string;
}): string {
  if (!p.adminStateUp) return 'DOWN';
  if (p.deviceOwner.startsWith('network:')) return 'ACTIVE';
  return p.bindingHostId ? 'ACTIVE' : 'DOWN';
}

/** The Neutron view of a port; binding:* attributes only for admin (and service) callers. */
export function portView(p: PortViewInput, withBinding: boolean) {
  const bound = p.bindingHostId !== '';
  return {
    id: p.id,
    name: p.name,
    network_id: p.networkId,
    mac_address: p.macAddress,
    admin_state_up: p.adminStateUp,
    status: p.status,
    device_id: p.deviceId,
    device_owner: p.deviceOwner,
    fixed_ips: p.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
    allowed_address_pairs: p.allowedAddressPairs.map((a) => ({
      ip_address: a.ip_address,
      mac_address: a.mac_address,
    })),
    security_groups: p.securityGroupIds,
    port_security_enabled: p.portSecurityEnabled,
    ip_allocation: 'immediate',
    ...(withBinding
      ? {
          'binding:host_id': p.bindingHostId,
          'binding:vif_type': bound ? 'ovs' : 'unbound',
          'binding:vif_details': bound
            ? { port_filter: true, connectivity: 'l2', bridge_name: 'br-int' }
            : {},
          'binding:vnic_type': p.bindingVnicType,
          'binding:profile': p.bindingProfile,
        }
      : {}),
    ...standardView(p),
  };
}

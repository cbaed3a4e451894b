/** The Neutron v2.0 resources as other Kumo services read them (a typed subset; extra fields pass through). */

export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

export interface Network {
  id: string;
  name: string;
  status: string;
  project_id: string;
  tenant_id: string;
  subnets: string[];
  shared: boolean;
  admin_state_up: boolean;
  mtu?: number;
  'router:external'?: boolean;
  port_security_enabled?: boolean;
  [attribute: string]: unknown;
}

export interface HostRoute {
  destination: string;
  nexthop: string;
}

export interface Subnet {
  id: string;
  name: string;
  network_id: string;
  project_id: string;
  tenant_id: string;
  cidr: string;
  ip_version: 4 | 6;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  dns_nameservers: string[];
  host_routes: HostRoute[];
  ipv6_address_mode?: string | null;
  ipv6_ra_mode?: string | null;
  [attribute: string]: unknown;
}

export interface Port {
  id: string;
  name: string;
  network_id: string;
  project_id: string;
  tenant_id: string;
  mac_address: string;
  fixed_ips: FixedIp[];
  device_id: string;
  device_owner: string;
  status: string;
  admin_state_up: boolean;
  security_groups: string[];
  port_security_enabled?: boolean;
  'binding:host_id'?: string;
  'binding:vif_type'?: string;
  'binding:vnic_type'?: string;
  'binding:vif_details'?: Record<string, unknown>;
  [attribute: string]: unknown;
}

/** The writable fields of a port (create and update); `project_id` only on create, by admins. */
export interface PortWrite {
  network_id?: string;
  project_id?: string;
  name?: string;
  fixed_ips?: Partial<FixedIp>[];
  mac_address?: string;
  device_id?: string;
  device_owner?: string;
  admin_state_up?: boolean;
  security_groups?: string[];
  port_security_enabled?: boolean;
  'binding:host_id'?: string;
  'binding:profile'?: Record<string, unknown>;
  description?: string;
  [attribute: string]: unknown;
}

export interface SecurityGroupRule {
  id: string;
  security_group_id: string;
  project_id: string;
  tenant_id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description?: string;
  [attribute: string]: unknown;
}

export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  project_id: string;
  tenant_id: string;
  security_group_rules: SecurityGroupRule[];
  stateful?: boolean;
  [attribute: string]: unknown;
}

export interface FloatingIp {
  id: string;
  floating_ip_address: string;
  floating_network_id: string;
  router_id: string | null;
  port_id: string | null;
  fixed_ip_address: string | null;
  status: string;
  project_id: string;
  tenant_id: string;
  description?: string;
  [attribute: string]: unknown;
}

/** A project's Neutron quota limits by resource (network, subnet, port, security_group, …); -1 is unlimited. */
export type NetworkQuota = Record<string, number>;

/** A list filter: repeated keys for arrays (Neutron ORs them). */
export type NetworkQuery = Record<string, string | number | boolean | readonly string[] | undefined>;

import { sql } from 'drizzle-orm';
import { boolean, index, inet, integer, jsonb, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { network, standardColumns } from './columns.js';

export interface AllocationPool {
  start: string;
  end: string;
}
export interface HostRoute {
  destination: string;
  nexthop: string;
}
export interface AddressPair {
  ip_address: string;
  mac_address: string;
}

/** Neutron networks. Tunnel networks get a unique segmentation id (VNI) per type. */
export const networks = network.table(
  'networks',
  {
    ...standardColumns(),
    adminStateUp: boolean('admin_state_up').notNull().default(true),
    shared: boolean('shared').notNull().default(false),
    external: boolean('external').notNull().default(false),
    mtu: integer('mtu').notNull(),
    portSecurityEnabled: boolean('port_security_enabled').notNull().default(true),
    networkType: text('network_type').notNull(),
    physicalNetwork: text('physical_network'),
    segmentationId: integer('segmentation_id'),
    availabilityZoneHints: text('availability_zone_hints').array().notNull().default(sql`'{}'::text[]`),
  },
  (t) => [
    index('networks_project_idx').on(t.projectId),
    uniqueIndex('networks_segment_uq').on(t.networkType, t.segmentationId),
    index('networks_name_idx').on(t.name),
  ],
);

/** Neutron subnets (IPv4 or IPv6) of a network. `ipamCursor` is where the next address search starts. */
export const subnets = network.table(
  'subnets',
  {
    ...standardColumns(),
    networkId: text('network_id')
      .notNull()
      .references(() => networks.id, { onDelete: 'cascade' }),
    ipVersion: integer('ip_version').notNull(),
    cidr: text('cidr').notNull(),
    gatewayIp: text('gateway_ip'),
    enableDhcp: boolean('enable_dhcp').notNull().default(true),
    ipv6RaMode: text('ipv6_ra_mode'),
    ipv6AddressMode: text('ipv6_address_mode'),
    dnsNameservers: text('dns_nameservers').array().notNull().default(sql`'{}'::text[]`),
    hostRoutes: jsonb('host_routes').$type<HostRoute[]>().notNull().default([]),
    allocationPools: jsonb('allocation_pools').$type<AllocationPool[]>().notNull().default([]),
    ipamCursor: inet('ipam_cursor'),
  },
  (t) => [index('subnets_network_idx').on(t.networkId), index('subnets_project_idx').on(t.projectId)],
);

/** Neutron ports. The MAC is unique per network. */
export const ports = network.table(
  'ports',
  {
    ...standardColumns(),
    networkId: text('network_id')
      .notNull()
      .references(() => networks.id, { onDelete: 'cascade' }),
    macAddress: text('mac_address').notNull(),
    adminStateUp: boolean('admin_state_up').notNull().default(true),
    /** ACTIVE/DOWN/BUILD: set on writes from the binding; the OVN side may refine it from OVN's `up`. */
    status: text('status').notNull().default('DOWN'),
    deviceId: text('device_id').notNull().default(''),
    deviceOwner: text('device_owner').notNull().default(''),
    portSecurityEnabled: boolean('port_security_enabled').notNull().default(true),
    allowedAddressPairs: jsonb('allowed_address_pairs').$type<AddressPair[]>().notNull().default([]),
    bindingHostId: text('binding_host_id').notNull().default(''),
    bindingProfile: jsonb('binding_profile').$type<Record<string, unknown>>().notNull().default({}),
    bindingVnicType: text('binding_vnic_type').notNull().default('normal'),
  },
  (t) => [
    uniqueIndex('ports_mac_uq').on(t.networkId, t.macAddress),
    index('ports_project_idx').on(t.projectId),
    index('ports_device_idx').on(t.deviceId),
    index('ports_network_idx').on(t.networkId, t.id),
  ],
);

/**
 * IPAM: one row per address handed out. The primary key (subnet, address) is the last guard
 * against handing one address out twice.
 */
export const ipAllocations = network.table(
  'ip_allocations',
  {
    subnetId: text('subnet_id')
      .notNull()
      .references(() => subnets.id, { onDelete: 'cascade' }),
    ipAddress: inet('ip_address').notNull(),
    portId: text('port_id')
      .notNull()
      .references(() => ports.id, { onDelete: 'cascade' }),
    networkId: text('network_id').notNull(),
    /** Order of the address in the port's fixed_ips. */
    position: integer('position').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.subnetId, t.ipAddress] }),
    index('ip_allocations_port_idx').on(t.portId),
    index('ip_allocations_ip_idx').on(t.ipAddress),
  ],
);

/** The security groups of a port (no foreign key to security_groups: that table is another module's). */
export const portSecurityGroups = network.table(
  'port_security_groups',
  {
    portId: text('port_id')
      .notNull()
      .references(() => ports.id, { onDelete: 'cascade' }),
    securityGroupId: text('security_group_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.portId, t.securityGroupId] }),
    index('port_security_groups_sg_idx').on(t.securityGroupId),
  ],
);

/** Per-project quota overrides (a missing row = the default; -1 = unlimited). */
export const quotas = network.table(
  'quotas',
  {
    projectId: text('project_id').notNull(),
    resource: text('resource').notNull(),
    limit: integer('limit').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.resource] })],
);

export type NetworkRow = typeof networks.$inferSelect;
export type SubnetRow = typeof subnets.$inferSelect;
export type PortRow = typeof ports.$inferSelect;

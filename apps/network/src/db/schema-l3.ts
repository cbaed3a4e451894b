import { boolean, index, jsonb, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { network, standardColumns } from './columns.js';

export interface RouterRoute {
  destination: string;
  nexthop: string;
}

/** Neutron routers. The gateway is a port (device_owner network:router_gateway) on an external network. */
export const routers = network.table(
  'routers',
  {
    ...standardColumns(),
    adminStateUp: boolean('admin_state_up').notNull().default(true),
    gwNetworkId: text('gw_network_id'),
    gwPortId: text('gw_port_id'),
    enableSnat: boolean('enable_snat').notNull().default(true),
    routes: jsonb('routes').$type<RouterRoute[]>().notNull().default([]),
    availabilityZoneHints: text('availability_zone_hints').array().notNull().default([]),
  },
  (t) => [index('routers_project_idx').on(t.projectId)],
);

/** A router's interfaces: one row per port attached by add_router_interface. */
export const routerPorts = network.table(
  'router_ports',
  {
    portId: text('port_id').primaryKey(),
    routerId: text('router_id')
      .notNull()
      .references(() => routers.id, { onDelete: 'cascade' }),
    networkId: text('network_id').notNull(),
  },
  (t) => [index('router_ports_router_idx').on(t.routerId), index('router_ports_network_idx').on(t.networkId)],
);

/** Neutron floating IPs: an address on an external network held by a port (device_owner network:floatingip). */
export const floatingIps = network.table(
  'floating_ips',
  {
    ...standardColumns(),
    floatingNetworkId: text('floating_network_id').notNull(),
    floatingPortId: text('floating_port_id').notNull(),
    floatingIpAddress: text('floating_ip_address').notNull(),
    portId: text('port_id'),
    fixedIpAddress: text('fixed_ip_address'),
    routerId: text('router_id'),
  },
  (t) => [
    index('floating_ips_project_idx').on(t.projectId),
    index('floating_ips_port_idx').on(t.portId),
    index('floating_ips_router_idx').on(t.routerId),
    uniqueIndex('floating_ips_fixed_uq').on(t.portId, t.fixedIpAddress),
  ],
);

import type { routers } from '../db/schema-l3.js';
import { standardView } from './standard-attrs.js';

export type RouterRow = typeof routers.$inferSelect;

/** A router with the addresses of its gateway port. */
export interface RouterRecord extends RouterRow {
  gatewayIps: { subnetId: string; ipAddress: string }[];
}

/** Neutron's router view (router, ext-gw-mode, extraroute, availability zones, standard attributes). */
export function routerView(r: RouterRecord) {
  return {
    id: r.id,
    name: r.name,
    ...standardView(r),
    admin_state_up: r.adminStateUp,
    status: 'ACTIVE',
    external_gateway_info: r.gwNetworkId
      ? {
          network_id: r.gwNetworkId,
          enable_snat: r.enableSnat,
          external_fixed_ips: r.gatewayIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
        }
      : null,
    routes: r.routes,
    distributed: false,
    ha: false,
    availability_zone_hints: r.availabilityZoneHints,
    availability_zones: ['nova'],
    flavor_id: null,
  };
}

/** The body of add_router_interface / remove_router_interface answers. */
export function interfaceInfo(
  router: Pick<RouterRow, 'id' | 'projectId'>,
  port: { id: string; networkId: string; fixedIps: { subnetId: string }[] },
) {
  const subnetIds = [...new Set(port.fixedIps.map((f) => f.subnetId))];
  return {
    id: router.id,
    tenant_id: router.projectId,
    project_id: router.projectId,
    network_id: port.networkId,
    port_id: port.id,
    subnet_id: subnetIds[0] ?? null,
    subnet_ids: subnetIds,
  };
}

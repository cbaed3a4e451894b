import { ovsMap, ovsSet } from '@kumo/ovsdb';
import { cidrString, parseCidr, parseIp } from '../domain/ip.js';
import type { FloatingIpModel, RouterModel } from './model.js';
import { type DesiredRow, lrName, lrpName, lsName, type Placement } from './nb-rows.js';

export interface RouterMappingOptions {
  /** Chassis names that may host gateway router ports, most preferred first. */
  gatewayChassis: readonly string[];
}

const inRouter = (column: string): Placement => ({
  table: 'Logical_Router',
  column,
  parent: { rid: 'lr' },
  required: true,
});

const normCidr = (s: string) => {
  const c = parseCidr(s);
  return c ? cidrString(c) : s;
};

/**
 * Logical_Router `neutron-<id>` with an LRP `lrp-<port id>` per interface, the gateway LRP bound to
 * gateway chassis (priority falls with the list order), the default route via the external subnet's
 * gateway plus the extra routes, and one SNAT rule per internal IPv4 CIDR when SNAT is on.
 */
export function mapRouter(router: RouterModel, opts: RouterMappingOptions): DesiredRow[] {
  const name = lrName(router.id);
  const rows: DesiredRow[] = [
    {
      table: 'Logical_Router',
      rid: 'lr',
      columns: {
        name,
        enabled: ovsSet(router.adminStateUp),
        options: ovsMap({ always_learn_from_arp_request: 'false', dynamic_neigh_routers: 'true' }),
        external_ids: ovsMap({ 'neutron:router_name': router.name, 'neutron:router_id': router.id }),
      },
    },
  ];
  for (const itf of router.interfaces) {
    rows.push({
      table: 'Logical_Router_Port',
      rid: `lrp:${itf.portId}`,
      columns: {
        name: lrpName(itf.portId),
        mac: itf.macAddress.toLowerCase(),
        networks: ovsSet(...itf.ips.map((ip) => `${ip.ipAddress}/${ip.prefixLength}`)),
        options: ovsMap({}),
        enabled: ovsSet(),
        external_ids: ovsMap({
          'neutron:router_name': router.id,
          'neutron:network_name': lsName(itf.networkId),
          'neutron:subnet_ids': itf.ips.map((ip) => ip.subnetId).join(' '),
        }),
      },
      parents: [inRouter('ports')],
    });
  }
  const gw = router.gateway;
  if (gw && gw.ips.length > 0) {
    const lrp = `lrp:${gw.portId}`;
    rows.push({
      table: 'Logical_Router_Port',
      rid: lrp,
      columns: {
        name: lrpName(gw.portId),
        mac: gw.macAddress.toLowerCase(),
        networks: ovsSet(...gw.ips.map((ip) => `${ip.ipAddress}/${ip.prefixLength}`)),
        options: ovsMap({}),
        enabled: ovsSet(),
        external_ids: ovsMap({
          'neutron:router_name': router.id,
          'neutron:network_name': lsName(gw.networkId),
          'neutron:is_ext_gw': 'True',
          'neutron:subnet_ids': gw.ips.map((ip) => ip.subnetId).join(' '),
        }),
      },
      parents: [inRouter('ports')],
    });
    opts.gatewayChassis.forEach((chassis, i) => {
      rows.push({
        table: 'Gateway_Chassis',
        rid: `gwc:${gw.portId}:${chassis}`,
        columns: {
          name: `${lrpName(gw.portId)}_${chassis}`,
          chassis_name: chassis,
          priority: opts.gatewayChassis.length - i,
          external_ids: ovsMap({}),
        },
        parents: [
          { table: 'Logical_Router_Port', column: 'gateway_chassis', parent: { rid: lrp }, required: true },
        ],
      });
    });
    for (const ip of gw.ips) {
      if (!ip.gatewayIp) continue;
      const v6 = parseIp(ip.gatewayIp)?.version === 6;
      rows.push({
        table: 'Logical_Router_Static_Route',
        rid: `route:default:${ip.subnetId}`,
        columns: {
          ip_prefix: v6 ? '::/0' : '0.0.0.0/0',
          nexthop: ip.gatewayIp,
          external_ids: ovsMap({ 'neutron:is_ext_gw': 'true', 'neutron:subnet_id': ip.subnetId }),
        },
        parents: [inRouter('static_routes')],
      });
    }
    const external4 = gw.ips.find((ip) => parseIp(ip.ipAddress)?.version === 4);
    if (gw.enableSnat && external4) {
      const cidrs = new Set<string>();
      for (const itf of router.interfaces) {
        for (const ip of itf.ips) if (parseCidr(ip.cidr)?.version === 4) cidrs.add(normCidr(ip.cidr));
      }
      for (const cidr of cidrs) {
        rows.push({
          table: 'NAT',
          rid: `snat:${cidr}`,
          columns: {
            type: 'snat',
            external_ip: external4.ipAddress,
            logical_ip: cidr,
            logical_port: ovsSet(),
            external_mac: ovsSet(),
            external_ids: ovsMap({ 'neutron:router_name': name }),
          },
          parents: [inRouter('nat')],
        });
      }
    }
  }
  for (const r of router.routes) {
    const dest = normCidr(r.destination);
    rows.push({
      table: 'Logical_Router_Static_Route',
      rid: `route:${dest},${r.nexthop}`,
      columns: { ip_prefix: dest, nexthop: r.nexthop, external_ids: ovsMap({}) },
      parents: [inRouter('static_routes')],
    });
  }
  return rows;
}

/** The dnat_and_snat rule of an associated floating IP, on its router (centralized on the gateway chassis). */
export function mapFloatingIp(fip: FloatingIpModel): DesiredRow[] {
  if (!fip.routerId || !fip.portId || !fip.fixedIpAddress) return [];
  return [
    {
      table: 'NAT',
      rid: 'nat',
      columns: {
        type: 'dnat_and_snat',
        external_ip: fip.floatingIpAddress,
        logical_ip: fip.fixedIpAddress,
        logical_port: ovsSet(fip.portId),
        external_mac: ovsSet(),
        external_ids: ovsMap({
          'neutron:fip_id': fip.id,
          'neutron:fip_port_id': fip.portId,
          'neutron:router_name': lrName(fip.routerId),
        }),
      },
      parents: [
        { table: 'Logical_Router', column: 'nat', parent: { name: lrName(fip.routerId) }, required: true },
      ],
    },
  ];
}

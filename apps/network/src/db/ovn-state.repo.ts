import { asc, eq, inArray, type SQL } from 'drizzle-orm';
import type {
  FloatingIpModel,
  NetModel,
  NetworkType,
  OvnModels,
  OvnStateSource,
  PortModel,
  RouterModel,
  SecurityGroupModel,
  SubnetModel,
} from '../ovn/model.js';
import type { Executor } from './database.js';
import { ipAllocations, networks, portSecurityGroups, ports, subnets } from './schema.js';
import { floatingIps, routerPorts, routers } from './schema-l3.js';
import { securityGroupRules, securityGroups } from './schema-security.js';

/**
 * The OVN mapping's view of the Neutron state, read from PostgreSQL: one object by id (a per-object
 * sync) or everything (the full reconcile). Each loader takes an optional filter so both paths share
 * one query shape; `all()` costs a fixed number of queries, whatever the object count.
 */
export function dbOvnSource(db: Executor): OvnStateSource {
  const one = <T>(items: T[]): T | undefined => items[0];
  return {
    network: async (id) => one(await loadNetworks(db, eq(networks.id, id))),
    port: async (id) => one(await loadPorts(db, eq(ports.id, id))),
    securityGroup: async (id) => one(await loadSecurityGroups(db, eq(securityGroups.id, id))),
    router: async (id) => one(await loadRouters(db, eq(routers.id, id))),
    floatingIp: async (id) => one(await loadFloatingIps(db, eq(floatingIps.id, id))),
    all: async (): Promise<OvnModels> => ({
      networks: await loadNetworks(db),
      ports: await loadPorts(db),
      securityGroups: await loadSecurityGroups(db),
      routers: await loadRouters(db),
      floatingIps: await loadFloatingIps(db),
    }),
  };
}

const groupBy = <T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> => {
  const m = new Map<K, T[]>();
  for (const i of items) {
    const k = key(i);
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  }
  return m;
};

/** `10.0.0.5/32` (inet text of a host) → `10.0.0.5`. */
const hostOf = (inet: string): string => inet.replace(/\/(32|128)$/, '');
const prefixOf = (cidr: string): number => Number(cidr.split('/')[1]);

function subnetModel(s: typeof subnets.$inferSelect): SubnetModel {
  return {
    id: s.id,
    networkId: s.networkId,
    cidr: s.cidr,
    ipVersion: s.ipVersion === 6 ? 6 : 4,
    gatewayIp: s.gatewayIp,
    enableDhcp: s.enableDhcp,
    dnsNameservers: s.dnsNameservers,
    hostRoutes: s.hostRoutes,
    ipv6AddressMode: (s.ipv6AddressMode as SubnetModel['ipv6AddressMode']) ?? null,
  };
}

async function loadNetworks(db: Executor, where?: SQL): Promise<NetModel[]> {
  const nets = await db.select().from(networks).where(where);
  if (!nets.length) return [];
  const subs = await db
    .select()
    .from(subnets)
    .where(
      where
        ? inArray(
            subnets.networkId,
            nets.map((n) => n.id),
          )
        : undefined,
    )
    .orderBy(asc(subnets.createdAt), asc(subnets.id));
  const byNet = groupBy(subs, (s) => s.networkId);
  return nets.map((n) => ({
    id: n.id,
    name: n.name,
    projectId: n.projectId,
    mtu: n.mtu,
    external: n.external,
    networkType: n.networkType as NetworkType,
    physicalNetwork: n.physicalNetwork,
    adminStateUp: n.adminStateUp,
    subnets: (byNet.get(n.id) ?? []).map(subnetModel),
  }));
}

type FixedIp = { portId: string; subnetId: string; ipAddress: string };

async function fixedIpsOf(db: Executor, portIds: string[] | undefined): Promise<Map<string, FixedIp[]>> {
  const rows = await db
    .select({
      portId: ipAllocations.portId,
      subnetId: ipAllocations.subnetId,
      ipAddress: ipAllocations.ipAddress,
    })
    .from(ipAllocations)
    .where(portIds ? inArray(ipAllocations.portId, portIds) : undefined)
    .orderBy(asc(ipAllocations.portId), asc(ipAllocations.position));
  return groupBy(
    rows.map((r) => ({ ...r, ipAddress: hostOf(r.ipAddress) })),
    (r) => r.portId,
  );
}

async function loadPorts(db: Executor, where?: SQL): Promise<PortModel[]> {
  const rows = await db.select().from(ports).where(where);
  if (!rows.length) return [];
  const ids = where ? rows.map((p) => p.id) : undefined;
  const ips = await fixedIpsOf(db, ids);
  const sgs = groupBy(
    await db
      .select()
      .from(portSecurityGroups)
      .where(ids ? inArray(portSecurityGroups.portId, ids) : undefined),
    (r) => r.portId,
  );
  return rows.map((p) => ({
    id: p.id,
    networkId: p.networkId,
    projectId: p.projectId,
    macAddress: p.macAddress,
    fixedIps: (ips.get(p.id) ?? []).map(({ subnetId, ipAddress }) => ({ subnetId, ipAddress })),
    deviceOwner: p.deviceOwner,
    deviceId: p.deviceId,
    adminStateUp: p.adminStateUp,
    portSecurityEnabled: p.portSecurityEnabled,
    securityGroupIds: (sgs.get(p.id) ?? []).map((r) => r.securityGroupId).sort(),
    allowedAddressPairs: p.allowedAddressPairs.map((a) => ({
      ipAddress: a.ip_address,
      macAddress: a.mac_address,
    })),
    hostId: p.bindingHostId || null,
    name: p.name,
  }));
}

async function loadSecurityGroups(db: Executor, where?: SQL): Promise<SecurityGroupModel[]> {
  const groups = await db.select().from(securityGroups).where(where);
  if (!groups.length) return [];
  const rules = groupBy(
    await db
      .select()
      .from(securityGroupRules)
      .where(
        where
          ? inArray(
              securityGroupRules.securityGroupId,
              groups.map((g) => g.id),
            )
          : undefined,
      )
      .orderBy(asc(securityGroupRules.id)),
    (r) => r.securityGroupId,
  );
  return groups.map((g) => ({
    id: g.id,
    projectId: g.projectId,
    name: g.name,
    stateful: g.stateful,
    rules: (rules.get(g.id) ?? []).map((r) => ({
      id: r.id,
      direction: r.direction === 'egress' ? 'egress' : 'ingress',
      ethertype: r.ethertype === 'IPv6' ? 'IPv6' : 'IPv4',
      protocol: r.protocol,
      portRangeMin: r.portRangeMin,
      portRangeMax: r.portRangeMax,
      remoteIpPrefix: r.normalizedCidr ?? r.remoteIpPrefix,
      remoteGroupId: r.remoteGroupId,
    })),
  }));
}

async function loadRouters(db: Executor, where?: SQL): Promise<RouterModel[]> {
  const rows = await db.select().from(routers).where(where);
  if (!rows.length) return [];
  const routerIds = rows.map((r) => r.id);
  const ifaceRows = await db
    .select()
    .from(routerPorts)
    .where(where ? inArray(routerPorts.routerId, routerIds) : undefined);
  const portIds = [
    ...ifaceRows.map((i) => i.portId),
    ...rows.flatMap((r) => (r.gwPortId ? [r.gwPortId] : [])),
  ];
  const portRows = portIds.length ? await db.select().from(ports).where(inArray(ports.id, portIds)) : [];
  const portById = new Map(portRows.map((p) => [p.id, p]));
  const ips = portIds.length ? await fixedIpsOf(db, portIds) : new Map<string, FixedIp[]>();
  const subnetIds = [...new Set([...ips.values()].flat().map((i) => i.subnetId))];
  const subnetRows = subnetIds.length
    ? await db.select().from(subnets).where(inArray(subnets.id, subnetIds))
    : [];
  const subnetById = new Map(subnetRows.map((s) => [s.id, s]));
  const ifacesByRouter = groupBy(ifaceRows, (i) => i.routerId);
  return rows.map((r) => {
    const gwPort = r.gwPortId ? portById.get(r.gwPortId) : undefined;
    return {
      id: r.id,
      name: r.name,
      adminStateUp: r.adminStateUp,
      gateway:
        gwPort && r.gwNetworkId
          ? {
              networkId: r.gwNetworkId,
              portId: gwPort.id,
              macAddress: gwPort.macAddress,
              ips: (ips.get(gwPort.id) ?? []).flatMap((i) => {
                const s = subnetById.get(i.subnetId);
                return s
                  ? [
                      {
                        subnetId: s.id,
                        ipAddress: i.ipAddress,
                        prefixLength: prefixOf(s.cidr),
                        gatewayIp: s.gatewayIp,
                      },
                    ]
                  : [];
              }),
              enableSnat: r.enableSnat,
            }
          : null,
      interfaces: (ifacesByRouter.get(r.id) ?? []).flatMap((i) => {
        const p = portById.get(i.portId);
        if (!p) return [];
        return [
          {
            portId: p.id,
            networkId: p.networkId,
            macAddress: p.macAddress,
            ips: (ips.get(p.id) ?? []).flatMap((a) => {
              const s = subnetById.get(a.subnetId);
              return s
                ? [{ subnetId: s.id, ipAddress: a.ipAddress, prefixLength: prefixOf(s.cidr), cidr: s.cidr }]
                : [];
            }),
          },
        ];
      }),
      routes: r.routes,
    };
  });
}

async function loadFloatingIps(db: Executor, where?: SQL): Promise<FloatingIpModel[]> {
  const rows = await db.select().from(floatingIps).where(where);
  return rows.map((f) => ({
    id: f.id,
    floatingIpAddress: f.floatingIpAddress,
    floatingNetworkId: f.floatingNetworkId,
    routerId: f.routerId,
    portId: f.portId,
    fixedIpAddress: f.fixedIpAddress,
  }));
}

/**
 * The desired state the OVN mapping works from: plain Neutron objects, independent of the database
 * schema. The DB-backed OvnStateSource (written by the service) fills these from PostgreSQL; tests use
 * an in-memory one.
 */

export type NetworkType = 'geneve' | 'vxlan' | 'flat';

export interface SubnetModel {
  id: string;
  networkId: string;
  cidr: string;
  ipVersion: 4 | 6;
  gatewayIp: string | null;
  enableDhcp: boolean;
  dnsNameservers: string[];
  hostRoutes: { destination: string; nexthop: string }[];
  ipv6AddressMode: 'slaac' | 'dhcpv6-stateful' | 'dhcpv6-stateless' | null;
}

export interface NetModel {
  id: string;
  name: string;
  projectId: string;
  mtu: number;
  external: boolean;
  networkType: NetworkType;
  physicalNetwork?: string | null;
  adminStateUp: boolean;
  subnets: SubnetModel[];
}

export interface PortModel {
  id: string;
  networkId: string;
  projectId: string;
  macAddress: string;
  fixedIps: { subnetId: string; ipAddress: string }[];
  deviceOwner: string;
  deviceId: string;
  adminStateUp: boolean;
  portSecurityEnabled: boolean;
  securityGroupIds: string[];
  allowedAddressPairs: { ipAddress: string; macAddress?: string | null }[];
  hostId: string | null;
  name?: string;
}

export interface SecurityGroupRuleModel {
  id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** A protocol name (tcp, udp, icmp, ipv6-icmp, …), a number as a string, or null = any. */
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
}

export interface SecurityGroupModel {
  id: string;
  projectId: string;
  name?: string;
  stateful: boolean;
  rules: SecurityGroupRuleModel[];
}

export interface RouterModel {
  id: string;
  name: string;
  adminStateUp: boolean;
  gateway: {
    networkId: string;
    portId: string;
    macAddress: string;
    /** gatewayIp: the external subnet's gateway (the default route's next hop), null when it has none. */
    ips: { subnetId: string; ipAddress: string; prefixLength: number; gatewayIp: string | null }[];
    enableSnat: boolean;
  } | null;
  interfaces: {
    portId: string;
    networkId: string;
    macAddress: string;
    ips: { subnetId: string; ipAddress: string; prefixLength: number; cidr: string }[];
  }[];
  routes: { destination: string; nexthop: string }[];
}

export interface FloatingIpModel {
  id: string;
  floatingIpAddress: string;
  floatingNetworkId: string;
  routerId: string | null;
  portId: string | null;
  fixedIpAddress: string | null;
}

export interface OvnModels {
  networks: NetModel[];
  ports: PortModel[];
  securityGroups: SecurityGroupModel[];
  routers: RouterModel[];
  floatingIps: FloatingIpModel[];
}

/** Reads the current Neutron state; `undefined` = the object no longer exists. */
export interface OvnStateSource {
  network(id: string): Promise<NetModel | undefined>;
  port(id: string): Promise<PortModel | undefined>;
  securityGroup(id: string): Promise<SecurityGroupModel | undefined>;
  router(id: string): Promise<RouterModel | undefined>;
  floatingIp(id: string): Promise<FloatingIpModel | undefined>;
  all(): Promise<OvnModels>;
}

/** A source answering from a fixed snapshot (used by the full reconcile, after one all()). */
export function snapshotSource(models: OvnModels): OvnStateSource {
  const index = <T extends { id: string }>(items: T[]) => new Map(items.map((i) => [i.id, i]));
  const nets = index(models.networks);
  const ports = index(models.ports);
  const sgs = index(models.securityGroups);
  const routers = index(models.routers);
  const fips = index(models.floatingIps);
  return {
    network: async (id) => nets.get(id),
    port: async (id) => ports.get(id),
    securityGroup: async (id) => sgs.get(id),
    router: async (id) => routers.get(id),
    floatingIp: async (id) => fips.get(id),
    all: async () => models,
  };
}

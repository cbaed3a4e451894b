import type {
  FloatingIpModel,
  NetModel,
  OvnModels,
  OvnStateSource,
  PortModel,
  RouterModel,
  SecurityGroupModel,
} from './model.js';

/** An in-memory OvnStateSource for tests: mutate the maps, then request syncs. */
export class MemoryOvnSource implements OvnStateSource {
  readonly networks = new Map<string, NetModel>();
  readonly ports = new Map<string, PortModel>();
  readonly securityGroups = new Map<string, SecurityGroupModel>();
  readonly routers = new Map<string, RouterModel>();
  readonly floatingIps = new Map<string, FloatingIpModel>();

  async network(id: string) {
    return structuredClone(this.networks.get(id));
  }
  async port(id: string) {
    return structuredClone(this.ports.get(id));
  }
  async securityGroup(id: string) {
    return structuredClone(this.securityGroups.get(id));
  }
  async router(id: string) {
    return structuredClone(this.routers.get(id));
  }
  async floatingIp(id: string) {
    return structuredClone(this.floatingIps.get(id));
  }
  async all(): Promise<OvnModels> {
    return structuredClone({
      networks: [...this.networks.values()],
      ports: [...this.ports.values()],
      securityGroups: [...this.securityGroups.values()],
      routers: [...this.routers.values()],
      floatingIps: [...this.floatingIps.values()],
    });
  }
}

export const NET = '11111111-0000-0000-0000-000000000001';
export const EXT = '11111111-0000-0000-0000-0000000000e1';
export const SG = '22222222-0000-0000-0000-000000000001';
export const VM1 = '33333333-0000-0000-0000-000000000001';
export const VM2 = '33333333-0000-0000-0000-000000000002';
export const RIF = '33333333-0000-0000-0000-0000000000a1';
export const RGW = '33333333-0000-0000-0000-0000000000a2';
export const FIPPORT = '33333333-0000-0000-0000-0000000000a3';
export const ROUTER = '44444444-0000-0000-0000-000000000001';
export const FIP = '55555555-0000-0000-0000-000000000001';

/** A sample cloud: tenant + flat external network, a group, 2 VM ports, a router with SNAT and a FIP. */
export function fillSample(
  src: MemoryOvnSource,
  vmHosts: readonly [string, string] = ['chassis-a', 'chassis-a'],
): void {
  src.networks.set(NET, {
    id: NET,
    name: 'private',
    projectId: 'p1',
    mtu: 1442,
    external: false,
    networkType: 'geneve',
    adminStateUp: true,
    subnets: [
      {
        id: 'sub-private',
        networkId: NET,
        cidr: '10.0.0.0/24',
        ipVersion: 4,
        gatewayIp: '10.0.0.1',
        enableDhcp: true,
        dnsNameservers: ['10.0.0.2'],
        hostRoutes: [],
        ipv6AddressMode: null,
      },
    ],
  });
  src.networks.set(EXT, {
    id: EXT,
    name: 'public',
    projectId: 'admin',
    mtu: 1500,
    external: true,
    networkType: 'flat',
    physicalNetwork: 'physnet1',
    adminStateUp: true,
    subnets: [
      {
        id: 'sub-public',
        networkId: EXT,
        cidr: '172.24.4.0/24',
        ipVersion: 4,
        gatewayIp: '172.24.4.1',
        enableDhcp: false,
        dnsNameservers: [],
        hostRoutes: [],
        ipv6AddressMode: null,
      },
    ],
  });
  src.securityGroups.set(SG, {
    id: SG,
    projectId: 'p1',
    stateful: true,
    rules: [
      {
        id: 'r-eg4',
        direction: 'egress',
        ethertype: 'IPv4',
        protocol: null,
        portRangeMin: null,
        portRangeMax: null,
        remoteIpPrefix: null,
        remoteGroupId: null,
      },
      {
        id: 'r-icmp',
        direction: 'ingress',
        ethertype: 'IPv4',
        protocol: 'icmp',
        portRangeMin: null,
        portRangeMax: null,
        remoteIpPrefix: '0.0.0.0/0',
        remoteGroupId: null,
      },
      {
        id: 'r-ssh',
        direction: 'ingress',
        ethertype: 'IPv4',
        protocol: 'tcp',
        portRangeMin: 22,
        portRangeMax: 22,
        remoteIpPrefix: null,
        remoteGroupId: null,
      },
      {
        id: 'r-self',
        direction: 'ingress',
        ethertype: 'IPv4',
        protocol: null,
        portRangeMin: null,
        portRangeMax: null,
        remoteIpPrefix: null,
        remoteGroupId: SG,
      },
    ],
  });
  const vm = (id: string, n: number, hostId: string) => ({
    id,
    networkId: NET,
    projectId: 'p1',
    macAddress: `fa:16:3e:00:00:0${n}`,
    fixedIps: [{ subnetId: 'sub-private', ipAddress: `10.0.0.${10 + n}` }],
    deviceOwner: 'compute:nova',
    deviceId: `vm-${n}`,
    adminStateUp: true,
    portSecurityEnabled: true,
    securityGroupIds: [SG],
    allowedAddressPairs: [],
    hostId,
  });
  src.ports.set(VM1, vm(VM1, 1, vmHosts[0]));
  src.ports.set(VM2, vm(VM2, 2, vmHosts[1]));
  const infra = (
    id: string,
    networkId: string,
    owner: string,
    mac: string,
    subnetId: string,
    ip: string,
  ) => ({
    id,
    networkId,
    projectId: owner === 'network:router_interface' ? 'p1' : '',
    macAddress: mac,
    fixedIps: [{ subnetId, ipAddress: ip }],
    deviceOwner: owner,
    deviceId: owner === 'network:floatingip' ? FIP : ROUTER,
    adminStateUp: true,
    portSecurityEnabled: false,
    securityGroupIds: [],
    allowedAddressPairs: [],
    hostId: null,
  });
  src.ports.set(
    RIF,
    infra(RIF, NET, 'network:router_interface', 'fa:16:3e:00:01:01', 'sub-private', '10.0.0.1'),
  );
  src.ports.set(
    RGW,
    infra(RGW, EXT, 'network:router_gateway', 'fa:16:3e:00:01:02', 'sub-public', '172.24.4.10'),
  );
  src.ports.set(
    FIPPORT,
    infra(FIPPORT, EXT, 'network:floatingip', 'fa:16:3e:00:01:03', 'sub-public', '172.24.4.20'),
  );
  src.routers.set(ROUTER, {
    id: ROUTER,
    name: 'router1',
    adminStateUp: true,
    gateway: {
      networkId: EXT,
      portId: RGW,
      macAddress: 'fa:16:3e:00:01:02',
      ips: [{ subnetId: 'sub-public', ipAddress: '172.24.4.10', prefixLength: 24, gatewayIp: '172.24.4.1' }],
      enableSnat: true,
    },
    interfaces: [
      {
        portId: RIF,
        networkId: NET,
        macAddress: 'fa:16:3e:00:01:01',
        ips: [{ subnetId: 'sub-private', ipAddress: '10.0.0.1', prefixLength: 24, cidr: '10.0.0.0/24' }],
      },
    ],
    routes: [],
  });
  src.floatingIps.set(FIP, {
    id: FIP,
    floatingIpAddress: '172.24.4.20',
    floatingNetworkId: EXT,
    routerId: ROUTER,
    portId: VM1,
    fixedIpAddress: '10.0.0.11',
  });
}

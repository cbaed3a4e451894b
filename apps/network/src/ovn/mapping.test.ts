import { mapRecord, setItems, type Value } from '@kumo/ovsdb';
import { describe, expect, it } from 'vitest';
import { dhcpOptions, dhcpServerMac, mapNetwork } from './mapping-network.js';
import { mapPort, portSecurity } from './mapping-port.js';
import { mapFloatingIp, mapRouter } from './mapping-router.js';
import { mapDropGroup, mapSecurityGroup, ruleMatch } from './mapping-security-group.js';
import type { NetModel, PortModel, RouterModel, SecurityGroupRuleModel, SubnetModel } from './model.js';
import type { DesiredRow } from './nb-rows.js';

const subnet = (over: Partial<SubnetModel> = {}): SubnetModel => ({
  id: 'sub-1',
  networkId: 'net-1',
  cidr: '10.0.0.0/24',
  ipVersion: 4,
  gatewayIp: '10.0.0.1',
  enableDhcp: true,
  dnsNameservers: [],
  hostRoutes: [],
  ipv6AddressMode: null,
  ...over,
});

const net = (over: Partial<NetModel> = {}): NetModel => ({
  id: 'net-1',
  name: 'private',
  projectId: 'p1',
  mtu: 1442,
  external: false,
  networkType: 'geneve',
  adminStateUp: true,
  subnets: [subnet()],
  ...over,
});

const port = (over: Partial<PortModel> = {}): PortModel => ({
  id: 'port-1',
  networkId: 'net-1',
  projectId: 'p1',
  macAddress: 'FA:16:3E:00:00:01',
  fixedIps: [{ subnetId: 'sub-1', ipAddress: '10.0.0.5' }],
  deviceOwner: 'compute:nova',
  deviceId: 'vm-1',
  adminStateUp: true,
  portSecurityEnabled: true,
  securityGroupIds: ['aaaa-bbbb'],
  allowedAddressPairs: [],
  hostId: 'host-a',
  ...over,
});

const rule = (over: Partial<SecurityGroupRuleModel> = {}): SecurityGroupRuleModel => ({
  id: 'r1',
  direction: 'ingress',
  ethertype: 'IPv4',
  protocol: null,
  portRangeMin: null,
  portRangeMax: null,
  remoteIpPrefix: null,
  remoteGroupId: null,
  ...over,
});

const one = (rows: DesiredRow[], table: string) => rows.find((r) => r.table === table) as DesiredRow;
const strs = (v: Value | undefined) => setItems(v).map(String);

describe('network mapping', () => {
  it('maps a tenant network to neutron-<id> with DHCP options per DHCP subnet', () => {
    const rows = mapNetwork(
      net({ subnets: [subnet(), subnet({ id: 'sub-2', cidr: '10.1.0.0/24', enableDhcp: false })] }),
    );
    expect(rows.map((r) => `${r.table}:${r.rid}`)).toEqual(['Logical_Switch:ls', 'DHCP_Options:dhcp:sub-1']);
    expect(one(rows, 'Logical_Switch').columns.name).toBe('neutron-net-1');
    const dhcp = one(rows, 'DHCP_Options');
    expect(dhcp.columns.cidr).toBe('10.0.0.0/24');
    expect(mapRecord(dhcp.columns.options)).toEqual({
      server_id: '10.0.0.1',
      server_mac: dhcpServerMac('sub-1'),
      lease_time: '43200',
      mtu: '1442',
      router: '10.0.0.1',
    });
  });

  it('adds a localnet port for a flat provider network', () => {
    const rows = mapNetwork(
      net({ external: true, networkType: 'flat', physicalNetwork: 'physnet1', subnets: [] }),
    );
    const ln = one(rows, 'Logical_Switch_Port');
    expect(ln.columns.type).toBe('localnet');
    expect(mapRecord(ln.columns.options).network_name).toBe('physnet1');
    expect(strs(ln.columns.addresses)).toEqual(['unknown']);
  });

  it('writes DNS servers and classless static routes including the default route', () => {
    const o = dhcpOptions(
      net(),
      subnet({
        dnsNameservers: ['8.8.8.8', '1.1.1.1'],
        hostRoutes: [{ destination: '192.168.5.0/24', nexthop: '10.0.0.9' }],
      }),
    );
    expect(o.dns_server).toBe('{8.8.8.8, 1.1.1.1}');
    expect(o.classless_static_route).toBe('{192.168.5.0/24,10.0.0.9, 0.0.0.0/0,10.0.0.1}');
  });

  it('gives IPv6 DHCP options only to DHCPv6 subnets', () => {
    const v6 = subnet({ id: 's6', cidr: 'fd00::/64', ipVersion: 6, gatewayIp: 'fd00::1' });
    expect(mapNetwork(net({ subnets: [{ ...v6, ipv6AddressMode: 'slaac' }] }))).toHaveLength(1);
    const rows = mapNetwork(net({ subnets: [{ ...v6, ipv6AddressMode: 'dhcpv6-stateless' }] }));
    expect(mapRecord(one(rows, 'DHCP_Options').columns.options)).toEqual({
      server_id: dhcpServerMac('s6'),
      dhcpv6_stateless: 'true',
    });
  });
});

describe('port mapping', () => {
  it('maps a VM port: addresses, port security, requested chassis, groups and DHCP', () => {
    const [lsp] = mapPort(port(), net());
    expect(lsp?.columns.name).toBe('port-1');
    expect(strs(lsp?.columns.addresses)).toEqual(['fa:16:3e:00:00:01 10.0.0.5']);
    expect(strs(lsp?.columns.port_security)).toEqual(['fa:16:3e:00:00:01 10.0.0.5']);
    expect(mapRecord(lsp?.columns.options)['requested-chassis']).toBe('host-a');
    expect(mapRecord(lsp?.columns.external_ids)['neutron:cidrs']).toBe('10.0.0.5/24');
    expect(lsp?.parents?.map((p) => ('name' in p.parent ? p.parent.name : ''))).toEqual([
      'neutron-net-1',
      'pg_aaaa_bbbb',
      'neutron_pg_drop',
    ]);
    expect(lsp?.refs?.dhcpv4_options).toEqual([{ owner: 'network:net-1', rid: 'dhcp:sub-1' }]);
  });

  it('adds allowed address pairs to port security, grouped by MAC', () => {
    const p = port({
      allowedAddressPairs: [
        { ipAddress: '10.0.0.100' },
        { ipAddress: '10.0.1.0/24', macAddress: 'fa:16:3e:aa:aa:aa' },
      ],
    });
    expect(portSecurity(p)).toEqual([
      'fa:16:3e:00:00:01 10.0.0.5 10.0.0.100',
      'fa:16:3e:aa:aa:aa 10.0.1.0/24',
    ]);
  });

  it('without port security: no port security, "unknown" address, no groups', () => {
    const [lsp] = mapPort(port({ portSecurityEnabled: false }), net());
    expect(strs(lsp?.columns.port_security)).toEqual([]);
    expect(strs(lsp?.columns.addresses)).toContain('unknown');
    expect(lsp?.parents).toHaveLength(1);
  });

  it('maps router interface and gateway ports to router-type LSPs; floating IP ports get none', () => {
    const [itf] = mapPort(port({ deviceOwner: 'network:router_interface' }), net());
    expect(itf?.columns.type).toBe('router');
    expect(strs(itf?.columns.addresses)).toEqual(['router']);
    expect(mapRecord(itf?.columns.options)).toEqual({ 'router-port': 'lrp-port-1' });
    const [gw] = mapPort(port({ deviceOwner: 'network:router_gateway' }), net());
    expect(mapRecord(gw?.columns.options)['nat-addresses']).toBe('router');
    expect(mapPort(port({ deviceOwner: 'network:floatingip' }), net())).toEqual([]);
  });

  it('disables the port when it or its network is administratively down', () => {
    expect(strs(mapPort(port({ adminStateUp: false }), net())[0]?.columns.enabled)).toEqual(['false']);
    expect(strs(mapPort(port(), net({ adminStateUp: false }))[0]?.columns.enabled)).toEqual(['false']);
  });
});

describe('security group mapping', () => {
  const pg = 'pg_x';
  it.each([
    [rule(), 'outport == @pg_x && ip4'],
    [rule({ direction: 'egress', ethertype: 'IPv6' }), 'inport == @pg_x && ip6'],
    [
      rule({ protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '192.168.1.7/24' }),
      'outport == @pg_x && ip4 && ip4.src == 192.168.1.0/24 && tcp && tcp.dst == 22',
    ],
    [
      rule({ direction: 'egress', protocol: '17', portRangeMin: 1000, portRangeMax: 2000 }),
      'inport == @pg_x && ip4 && udp && udp.dst >= 1000 && udp.dst <= 2000',
    ],
    [
      rule({ protocol: 'icmp', portRangeMin: 8, portRangeMax: 0 }),
      'outport == @pg_x && ip4 && icmp4 && icmp4.type == 8 && icmp4.code == 0',
    ],
    [rule({ ethertype: 'IPv6', protocol: 'ipv6-icmp' }), 'outport == @pg_x && ip6 && icmp6'],
    [rule({ remoteGroupId: 'a-b' }), 'outport == @pg_x && ip4 && ip4.src == $pg_a_b_ip4'],
    [rule({ protocol: 'gre' }), 'outport == @pg_x && ip4 && ip.proto == 47'],
  ])('rule %# → %s', (r, match) => {
    expect(ruleMatch(pg, r)).toBe(match);
  });

  it('skips rules it cannot express', () => {
    expect(ruleMatch(pg, rule({ protocol: 'bogus' }))).toBeNull();
    expect(ruleMatch(pg, rule({ remoteIpPrefix: 'fd00::/8' }))).toBeNull();
  });

  it('maps a group to a port group with allow-related or allow-stateless ACLs', () => {
    const rows = mapSecurityGroup({
      id: 's-1',
      projectId: 'p',
      stateful: true,
      rules: [rule(), rule({ id: 'r2', protocol: 'nope' })],
    });
    expect(rows.map((r) => r.rid)).toEqual(['pg', 'rule:r1']);
    expect(one(rows, 'ACL').columns).toMatchObject({
      priority: 1002,
      direction: 'to-lport',
      action: 'allow-related',
    });
    const stateless = mapSecurityGroup({ id: 's-1', projectId: 'p', stateful: false, rules: [rule()] });
    expect(one(stateless, 'ACL').columns.action).toBe('allow-stateless');
  });

  it('the drop group drops IP both ways at 1001 and lets DHCP requests out', () => {
    const rows = mapDropGroup();
    expect(rows.filter((r) => r.columns.action === 'drop').map((r) => r.columns.priority)).toEqual([
      1001, 1001,
    ]);
    expect(rows.some((r) => String(r.columns.match).includes('udp.dst == 67'))).toBe(true);
  });
});

describe('router mapping', () => {
  const router: RouterModel = {
    id: 'r-1',
    name: 'router1',
    adminStateUp: true,
    gateway: {
      networkId: 'ext',
      portId: 'gwport',
      macAddress: 'fa:16:3e:00:00:99',
      ips: [{ subnetId: 'ext-sub', ipAddress: '172.24.4.10', prefixLength: 24, gatewayIp: '172.24.4.1' }],
      enableSnat: true,
    },
    interfaces: [
      {
        portId: 'if1',
        networkId: 'net-1',
        macAddress: 'fa:16:3e:00:00:11',
        ips: [{ subnetId: 'sub-1', ipAddress: '10.0.0.1', prefixLength: 24, cidr: '10.0.0.0/24' }],
      },
    ],
    routes: [{ destination: '192.168.9.0/24', nexthop: '10.0.0.50' }],
  };

  it('maps router ports, gateway chassis, routes and SNAT', () => {
    const rows = mapRouter(router, { gatewayChassis: ['ch-a', 'ch-b'] });
    const by = (t: string) => rows.filter((r) => r.table === t);
    expect(one(rows, 'Logical_Router').columns.name).toBe('neutron-r-1');
    expect(by('Logical_Router_Port').map((r) => [r.columns.name, strs(r.columns.networks)])).toEqual([
      ['lrp-if1', ['10.0.0.1/24']],
      ['lrp-gwport', ['172.24.4.10/24']],
    ]);
    expect(by('Gateway_Chassis').map((r) => [r.columns.chassis_name, r.columns.priority])).toEqual([
      ['ch-a', 2],
      ['ch-b', 1],
    ]);
    expect(
      by('Logical_Router_Static_Route').map((r) => `${r.columns.ip_prefix} via ${r.columns.nexthop}`),
    ).toEqual(['0.0.0.0/0 via 172.24.4.1', '192.168.9.0/24 via 10.0.0.50']);
    expect(by('NAT').map((r) => r.columns)).toMatchObject([
      { type: 'snat', external_ip: '172.24.4.10', logical_ip: '10.0.0.0/24' },
    ]);
  });

  it('without SNAT or gateway: no NAT, no default route', () => {
    const noSnat = mapRouter(
      { ...router, gateway: { ...router.gateway!, enableSnat: false } },
      { gatewayChassis: [] },
    );
    expect(noSnat.some((r) => r.table === 'NAT')).toBe(false);
    const noGw = mapRouter({ ...router, gateway: null }, { gatewayChassis: ['x'] });
    expect(noGw.map((r) => r.table).sort()).toEqual([
      'Logical_Router',
      'Logical_Router_Port',
      'Logical_Router_Static_Route',
    ]);
  });

  it('maps an associated floating IP to dnat_and_snat on its router', () => {
    const fip = {
      id: 'f',
      floatingIpAddress: '172.24.4.20',
      floatingNetworkId: 'ext',
      routerId: 'r-1',
      portId: 'port-1',
      fixedIpAddress: '10.0.0.5',
    };
    const [nat] = mapFloatingIp(fip);
    expect(nat?.columns).toMatchObject({
      type: 'dnat_and_snat',
      external_ip: '172.24.4.20',
      logical_ip: '10.0.0.5',
    });
    expect(nat?.parents?.[0]).toMatchObject({
      table: 'Logical_Router',
      parent: { name: 'neutron-r-1' },
      required: true,
    });
    expect(mapFloatingIp({ ...fip, portId: null, routerId: null, fixedIpAddress: null })).toEqual([]);
  });
});

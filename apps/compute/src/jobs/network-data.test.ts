import type { Subnet } from '@kumo/network';
import { describe, expect, it } from 'vitest';
import { netmaskOf, networkData, tapName } from './network-data.js';

const subnet = (o: Partial<Subnet>): Subnet => ({
  id: 'sub',
  name: '',
  network_id: 'net',
  project_id: 'p',
  tenant_id: 'p',
  cidr: '10.0.0.0/24',
  ip_version: 4,
  gateway_ip: '10.0.0.1',
  enable_dhcp: true,
  dns_nameservers: [],
  host_routes: [],
  ...o,
});

const port = {
  id: '0123456789abcdef-port',
  mac_address: 'fa:16:3e:00:00:01',
  network_id: 'net',
  fixed_ips: [{ subnet_id: 'sub', ip_address: '10.0.0.5' }],
};

describe('network_data.json', () => {
  it('names links as Nova names taps', () => {
    expect(tapName('0123456789abcdef')).toBe('tap0123456789a');
  });

  it('masks prefixes', () => {
    expect(netmaskOf(24, 4)).toBe('255.255.255.0');
    expect(netmaskOf(0, 4)).toBe('0.0.0.0');
    expect(netmaskOf(32, 4)).toBe('255.255.255.255');
    expect(netmaskOf(20, 4)).toBe('255.255.240.0');
    expect(netmaskOf(64, 6)).toBe('ffff:ffff:ffff:ffff:0:0:0:0');
  });

  it('describes a DHCP subnet as ipv4_dhcp with its DNS servers as services', () => {
    const nd = networkData([
      {
        port,
        network: { id: 'net', mtu: 1442 },
        subnets: new Map([['sub', subnet({ dns_nameservers: ['10.0.0.53'] })]]),
      },
    ]);
    expect(nd).toEqual({
      links: [
        {
          id: 'tap0123456789a',
          vif_id: port.id,
          type: 'ovs',
          mtu: 1442,
          ethernet_mac_address: port.mac_address,
        },
      ],
      networks: [{ id: 'network0', type: 'ipv4_dhcp', link: 'tap0123456789a', network_id: 'net' }],
      services: [{ type: 'dns', address: '10.0.0.53' }],
    });
  });

  it('gives a static address, mask and routes when the subnet has no DHCP', () => {
    const nd = networkData([
      {
        port,
        subnets: new Map([
          [
            'sub',
            subnet({
              enable_dhcp: false,
              host_routes: [{ destination: '192.168.0.0/16', nexthop: '10.0.0.254' }],
            }),
          ],
        ]),
      },
    ]);
    expect(nd.links[0]!.mtu).toBeNull();
    expect(nd.networks).toEqual([
      {
        id: 'network0',
        type: 'ipv4',
        link: 'tap0123456789a',
        network_id: 'net',
        ip_address: '10.0.0.5',
        netmask: '255.255.255.0',
        routes: [
          { network: '0.0.0.0', netmask: '0.0.0.0', gateway: '10.0.0.1' },
          { network: '192.168.0.0', netmask: '255.255.0.0', gateway: '10.0.0.254' },
        ],
        services: [],
      },
    ]);
  });

  it('numbers networks across NICs and knows IPv6 SLAAC', () => {
    const v6 = subnet({
      id: 'v6',
      cidr: 'fd00::/64',
      ip_version: 6,
      ipv6_address_mode: 'slaac',
      gateway_ip: 'fd00::1',
    });
    const nd = networkData([
      { port, subnets: new Map([['sub', subnet({})]]) },
      {
        port: { ...port, id: 'second-port-id', fixed_ips: [{ subnet_id: 'v6', ip_address: 'fd00::5' }] },
        subnets: new Map([['v6', v6]]),
      },
    ]);
    expect(nd.networks.map((n) => [n.id, n.type, n.link])).toEqual([
      ['network0', 'ipv4_dhcp', 'tap0123456789a'],
      ['network1', 'ipv6_slaac', 'tapsecond-port'],
    ]);
  });
});

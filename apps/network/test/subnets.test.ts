import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkHarness, startNetwork } from './harness.js';

let h: NetworkHarness;
beforeAll(async () => {
  h = await startNetwork();
});
afterAll(async () => {
  await h?.close();
});

type J = Record<string, unknown>;
const err = (r: { json(): unknown }) =>
  (r.json() as { NeutronError: { type: string; message: string } }).NeutronError;

async function net(token = h.demoToken): Promise<string> {
  const r = await h.call('POST', '/v2.0/networks', { token, body: { network: { name: 'n' } } });
  return (r.json() as { network: { id: string } }).network.id;
}
const subnet = (networkId: string, body: J, token = h.demoToken) =>
  h.call('POST', '/v2.0/subnets', { token, body: { subnet: { network_id: networkId, ...body } } });

describe('subnets', () => {
  it('IPv4 defaults: gateway first address, pool the rest minus network/broadcast', async () => {
    const n = await net();
    const r = await subnet(n, { ip_version: 4, cidr: '10.0.0.0/24', dns_nameservers: ['8.8.8.8'] });
    expect(r.statusCode).toBe(201);
    expect((r.json() as { subnet: J }).subnet).toMatchObject({
      cidr: '10.0.0.0/24',
      gateway_ip: '10.0.0.1',
      allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.254' }],
      enable_dhcp: true,
      dns_nameservers: ['8.8.8.8'],
      host_routes: [],
      ipv6_ra_mode: null,
      subnetpool_id: null,
      service_types: [],
      revision_number: 1,
    });
    const shown = (await h.call('GET', `/v2.0/networks/${n}`, { token: h.demoToken })).json() as {
      network: { subnets: string[] };
    };
    expect(shown.network.subnets).toHaveLength(1);
  });

  it('no gateway, gateway in the middle, IPv6 with SLAAC', async () => {
    const n = await net();
    const a = (await subnet(n, { ip_version: 4, cidr: '10.1.0.0/29', gateway_ip: null })).json() as {
      subnet: J;
    };
    expect(a.subnet).toMatchObject({
      gateway_ip: null,
      allocation_pools: [{ start: '10.1.0.1', end: '10.1.0.6' }],
    });
    const b = (await subnet(n, { ip_version: 4, cidr: '10.2.0.0/29', gateway_ip: '10.2.0.3' })).json() as {
      subnet: J;
    };
    expect(b.subnet.allocation_pools).toEqual([
      { start: '10.2.0.1', end: '10.2.0.2' },
      { start: '10.2.0.4', end: '10.2.0.6' },
    ]);
    const c = await subnet(n, {
      ip_version: 6,
      cidr: '2001:DB8::/64',
      ipv6_ra_mode: 'slaac',
      ipv6_address_mode: 'slaac',
    });
    expect(c.statusCode).toBe(201);
    expect((c.json() as { subnet: J }).subnet).toMatchObject({
      cidr: '2001:db8::/64',
      gateway_ip: '2001:db8::1',
      allocation_pools: [{ start: '2001:db8::2', end: '2001:db8::ffff:ffff:ffff:ffff' }],
    });
  });

  it('every bad input of the issue is a Neutron 4xx', async () => {
    const n = await net();
    const cases: [J, number, string?][] = [
      [{ ip_version: 4, cidr: '10.0.0.0/33' }, 400],
      [{ ip_version: 4, cidr: 'banana' }, 400],
      [{ ip_version: 4, cidr: '10.0.0.5/24' }, 400],
      [{ ip_version: 6, cidr: '10.0.0.0/24' }, 400],
      [{ ip_version: 4, cidr: '0.0.0.0/0' }, 400],
      [{ ip_version: 4, cidr: '10.3.0.0/24', gateway_ip: '10.9.0.1' }, 400],
      [{ ip_version: 4, cidr: '10.3.0.0/24', gateway_ip: 'x' }, 400],
      [
        {
          ip_version: 4,
          cidr: '10.3.0.0/24',
          allocation_pools: [
            { start: '10.3.0.10', end: '10.3.0.20' },
            { start: '10.3.0.15', end: '10.3.0.30' },
          ],
        },
        409,
        'OverlappingAllocationPools',
      ],
      [
        { ip_version: 4, cidr: '10.3.0.0/24', allocation_pools: [{ start: '10.3.0.10', end: '10.4.0.20' }] },
        400,
        'OutOfBoundsAllocationPool',
      ],
      [
        { ip_version: 4, cidr: '10.3.0.0/24', allocation_pools: [{ start: '10.3.0.20', end: '10.3.0.10' }] },
        400,
        'InvalidAllocationPool',
      ],
      [
        { ip_version: 4, cidr: '10.3.0.0/24', allocation_pools: [{ start: '10.3.0.1', end: '10.3.0.10' }] },
        409,
        'GatewayConflictWithAllocationPools',
      ],
      [{ ip_version: 4, cidr: '10.3.0.0/24', allocation_pools: [{ start: '10.3.0.2' }] }, 400],
      [{ ip_version: 4, cidr: '10.3.0.0/24', dns_nameservers: ['8.8.8.8', '8.8.8.8'] }, 400],
      [
        {
          ip_version: 4,
          cidr: '10.3.0.0/24',
          host_routes: [{ destination: '10.20.0.0/33', nexthop: '10.3.0.1' }],
        },
        400,
      ],
      [{ ip_version: 4, cidr: '10.3.0.0/24', ipv6_ra_mode: 'slaac' }, 400],
      [{ ip_version: 6, cidr: '2001:db8::/80', ipv6_address_mode: 'slaac' }, 400],
      [{ ip_version: 5, cidr: '10.3.0.0/24' }, 400],
      [{ cidr: '10.3.0.0/24' }, 400],
    ];
    for (const [body, status, type] of cases) {
      const r = await subnet(n, body);
      expect(r.statusCode, `${JSON.stringify(body)} → ${r.body}`).toBe(status);
      if (type) expect(err(r).type).toBe(type);
    }
    const missing = await subnet('no-such-net', { ip_version: 4, cidr: '10.0.0.0/24' });
    expect(missing.statusCode).toBe(404);
  });

  it('overlapping CIDR on the same network is a 400 that names the overlap', async () => {
    const n = await net();
    expect((await subnet(n, { ip_version: 4, cidr: '10.5.0.0/16' })).statusCode).toBe(201);
    const r = await subnet(n, { ip_version: 4, cidr: '10.5.3.0/24' });
    expect(r.statusCode).toBe(400);
    expect(err(r).message).toContain('overlaps with another subnet');
    // another network may reuse it
    expect((await subnet(await net(), { ip_version: 4, cidr: '10.5.3.0/24' })).statusCode).toBe(201);
  });

  it('updates gateway, pools, dns, routes, dhcp; read-only attributes refused', async () => {
    const n = await net();
    const s = (
      (
        await subnet(n, {
          ip_version: 4,
          cidr: '10.6.0.0/24',
          allocation_pools: [{ start: '10.6.0.10', end: '10.6.0.20' }],
        })
      ).json() as { subnet: J }
    ).subnet;
    const r = await h.call('PUT', `/v2.0/subnets/${s.id}`, {
      token: h.demoToken,
      body: {
        subnet: {
          gateway_ip: '10.6.0.2',
          dns_nameservers: ['7.8.8.8', '7.8.4.4'],
          host_routes: [{ destination: '10.20.0.0/32', nexthop: '10.100.1.2' }],
          enable_dhcp: false,
          name: 'renamed',
        },
      },
    });
    expect(r.statusCode).toBe(200);
    expect((r.json() as { subnet: J }).subnet).toMatchObject({
      gateway_ip: '10.6.0.2',
      enable_dhcp: false,
      revision_number: 2,
      name: 'renamed',
    });
    const conflict = await h.call('PUT', `/v2.0/subnets/${s.id}`, {
      token: h.demoToken,
      body: { subnet: { gateway_ip: '10.6.0.15' } },
    });
    expect(conflict.statusCode).toBe(409);
    const ro = await h.call('PUT', `/v2.0/subnets/${s.id}`, {
      token: h.demoToken,
      body: { subnet: { cidr: '10.7.0.0/24' } },
    });
    expect(ro.statusCode).toBe(400);
  });

  it('delete: 409 while a port holds an address; network delete cascades subnets', async () => {
    const n = await net();
    const s = ((await subnet(n, { ip_version: 4, cidr: '10.8.0.0/24' })).json() as { subnet: J }).subnet;
    const p = await h.call('POST', '/v2.0/ports', { token: h.demoToken, body: { port: { network_id: n } } });
    expect(p.statusCode).toBe(201);
    const del = await h.call('DELETE', `/v2.0/subnets/${s.id}`, { token: h.demoToken });
    expect(del.statusCode).toBe(409);
    expect(err(del).type).toBe('SubnetInUse');
    const nd = await h.call('DELETE', `/v2.0/networks/${n}`, { token: h.demoToken });
    expect(nd.statusCode).toBe(409);
    expect(err(nd).message).toContain('There are one or more ports still in use on the network');
    const pid = (p.json() as { port: { id: string } }).port.id;
    expect((await h.call('DELETE', `/v2.0/ports/${pid}`, { token: h.demoToken })).statusCode).toBe(204);
    expect((await h.call('DELETE', `/v2.0/networks/${n}`, { token: h.demoToken })).statusCode).toBe(204);
    expect((await h.call('GET', `/v2.0/subnets/${s.id}`, { token: h.demoToken })).statusCode).toBe(404);
  });

  it('SLAAC subnets can be deleted under their ports; the network cannot', async () => {
    const n = await net();
    const s = (
      (
        await subnet(n, {
          ip_version: 6,
          cidr: '2001:db8:1::/64',
          ipv6_ra_mode: 'slaac',
          ipv6_address_mode: 'slaac',
        })
      ).json() as { subnet: J }
    ).subnet;
    const p = (
      await h.call('POST', '/v2.0/ports', { token: h.demoToken, body: { port: { network_id: n } } })
    ).json() as {
      port: { id: string; mac_address: string; fixed_ips: { ip_address: string }[] };
    };
    const mac = p.port.mac_address.split(':').map((x) => Number.parseInt(x, 16));
    const iid = [(mac[0]! ^ 2).toString(16), mac[1]!.toString(16).padStart(2, '0')].join('');
    expect(p.port.fixed_ips[0]!.ip_address.startsWith('2001:db8:1:0:')).toBe(true);
    expect(p.port.fixed_ips[0]!.ip_address).toContain(`${Number.parseInt(iid, 16).toString(16)}:`);
    expect((await h.call('DELETE', `/v2.0/subnets/${s.id}`, { token: h.demoToken })).statusCode).toBe(204);
    const after = (await h.call('GET', `/v2.0/ports/${p.port.id}`, { token: h.demoToken })).json() as {
      port: { fixed_ips: unknown[] };
    };
    expect(after.port.fixed_ips).toEqual([]);
    expect((await h.call('DELETE', `/v2.0/networks/${n}`, { token: h.demoToken })).statusCode).toBe(409);
  });
});

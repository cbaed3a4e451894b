import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkHarness, startNetwork } from './harness.js';

let h: NetworkHarness;
let other: { projectId: string; token: string };
beforeAll(async () => {
  h = await startNetwork();
  other = await h.tenant('port-other');
});
afterAll(async () => {
  await h?.close();
});

type Port = {
  id: string;
  mac_address: string;
  status: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  security_groups: string[];
  allowed_address_pairs: { ip_address: string; mac_address: string }[];
  revision_number: number;
} & Record<string, unknown>;
const err = (r: { json(): unknown }) =>
  (r.json() as { NeutronError: { type: string; message: string } }).NeutronError;

async function netWithSubnet(cidr: string, extra: Record<string, unknown> = {}, token = h.demoToken) {
  const n = (await h.call('POST', '/v2.0/networks', { token, body: { network: { name: 'n' } } })).json() as {
    network: { id: string };
  };
  const s = await h.call('POST', '/v2.0/subnets', {
    token,
    body: { subnet: { network_id: n.network.id, ip_version: 4, cidr, ...extra } },
  });
  if (s.statusCode !== 201) throw new Error(s.body);
  return { networkId: n.network.id, subnetId: (s.json() as { subnet: { id: string } }).subnet.id };
}
async function port(body: Record<string, unknown>, token = h.demoToken) {
  return h.call('POST', '/v2.0/ports', { token, body: { port: body } });
}
const portOf = (r: { json(): unknown }) => (r.json() as { port: Port }).port;

describe('ports', () => {
  it('creates with an address, a fa:16:3e MAC, the default security group, DOWN until bound', async () => {
    const { networkId, subnetId } = await netWithSubnet('10.10.0.0/24');
    const r = await port({ network_id: networkId, name: 'p1' });
    expect(r.statusCode).toBe(201);
    const p = portOf(r);
    expect(p.mac_address).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
    expect(p.fixed_ips).toEqual([{ subnet_id: subnetId, ip_address: '10.10.0.2' }]);
    expect(p.security_groups).toHaveLength(1);
    expect(p).toMatchObject({
      status: 'DOWN',
      admin_state_up: true,
      port_security_enabled: true,
      device_owner: '',
      ip_allocation: 'immediate',
    });
    expect(p['binding:host_id']).toBeUndefined(); // members do not see bindings
    const bound = await h.call('PUT', `/v2.0/ports/${p.id}`, {
      token: h.adminToken,
      body: { port: { 'binding:host_id': 'host-1' } },
    });
    expect(portOf(bound)).toMatchObject({
      status: 'ACTIVE',
      'binding:host_id': 'host-1',
      'binding:vif_type': 'ovs',
      'binding:vnic_type': 'normal',
      revision_number: 2,
    });
    const denied = await h.call('PUT', `/v2.0/ports/${p.id}`, {
      token: h.demoToken,
      body: { port: { 'binding:host_id': 'h' } },
    });
    expect(denied.statusCode).toBe(403);
  });

  it('specific IPs: taken 409, outside 400, exhausted 409', async () => {
    const { networkId, subnetId } = await netWithSubnet('10.11.0.0/29');
    const a = await port({ network_id: networkId, fixed_ips: [{ ip_address: '10.11.0.5' }] });
    expect(portOf(a).fixed_ips[0]!.ip_address).toBe('10.11.0.5');
    const taken = await port({
      network_id: networkId,
      fixed_ips: [{ subnet_id: subnetId, ip_address: '10.11.0.5' }],
    });
    expect(taken.statusCode).toBe(409);
    expect(err(taken).type).toBe('IpAddressAlreadyAllocated');
    const outside = await port({
      network_id: networkId,
      fixed_ips: [{ subnet_id: subnetId, ip_address: '10.12.0.5' }],
    });
    expect(outside.statusCode).toBe(400);
    const nowhere = await port({ network_id: networkId, fixed_ips: [{ ip_address: '10.12.0.5' }] });
    expect(nowhere.statusCode).toBe(400);
    const bcast = await port({ network_id: networkId, fixed_ips: [{ ip_address: '10.11.0.7' }] });
    expect(bcast.statusCode).toBe(400);
    // pool .2-.6 minus .5: four more addresses, then exhaustion
    for (let i = 0; i < 4; i++) expect((await port({ network_id: networkId })).statusCode).toBe(201);
    const full = await port({ network_id: networkId });
    expect(full.statusCode).toBe(409);
    expect(err(full).type).toBe('IpAddressGenerationFailure');
  });

  it('50 concurrent creates on one subnet get 50 distinct addresses', async () => {
    const { networkId } = await netWithSubnet('10.12.0.0/24');
    const rs = await Promise.all(Array.from({ length: 50 }, () => port({ network_id: networkId })));
    expect(rs.map((r) => r.statusCode)).toEqual(Array(50).fill(201));
    const ips = rs.map((r) => portOf(r).fixed_ips[0]!.ip_address);
    expect(new Set(ips).size).toBe(50);
    const macs = rs.map((r) => portOf(r).mac_address);
    expect(new Set(macs).size).toBe(50);
  });

  it('releases addresses on delete and re-allocates on fixed_ips update', async () => {
    const { networkId, subnetId } = await netWithSubnet('10.13.0.0/24');
    const s2 = await h.call('POST', '/v2.0/subnets', {
      token: h.demoToken,
      body: { subnet: { network_id: networkId, ip_version: 4, cidr: '10.14.0.0/24' } },
    });
    const subnet2 = (s2.json() as { subnet: { id: string } }).subnet.id;
    const p = portOf(
      await port({ network_id: networkId, fixed_ips: [{ subnet_id: subnetId }, { subnet_id: subnet2 }] }),
    );
    expect(p.fixed_ips.map((f) => f.subnet_id)).toEqual([subnetId, subnet2]);
    const one = portOf(
      await h.call('PUT', `/v2.0/ports/${p.id}`, {
        token: h.demoToken,
        body: { port: { fixed_ips: [{ subnet_id: subnetId }] } },
      }),
    );
    expect(one.fixed_ips).toEqual([p.fixed_ips[0]]);
    const two = portOf(
      await h.call('PUT', `/v2.0/ports/${p.id}`, {
        token: h.demoToken,
        body: {
          port: { fixed_ips: [{ subnet_id: subnetId }, { subnet_id: subnet2, ip_address: '10.14.0.50' }] },
        },
      }),
    );
    expect(two.fixed_ips).toEqual([p.fixed_ips[0], { subnet_id: subnet2, ip_address: '10.14.0.50' }]);
    expect((await h.call('DELETE', `/v2.0/ports/${p.id}`, { token: h.demoToken })).statusCode).toBe(204);
    const again = await port({ network_id: networkId, fixed_ips: [{ ip_address: '10.14.0.50' }] });
    expect(again.statusCode).toBe(201);
  });

  it('MAC: user-defined, unique per network (409)', async () => {
    const { networkId } = await netWithSubnet('10.15.0.0/24');
    const p = portOf(await port({ network_id: networkId, mac_address: 'FA:16:3E:00:00:01' }));
    expect(p.mac_address).toBe('fa:16:3e:00:00:01');
    const dup = await port({ network_id: networkId, mac_address: 'fa:16:3e:00:00:01' });
    expect(dup.statusCode).toBe(409);
    expect(err(dup).type).toBe('MacAddressInUse');
    expect((await port({ network_id: networkId, mac_address: 'zz' })).statusCode).toBe(400);
    expect((await port({ network_id: networkId, mac_address: '01:00:5e:00:00:01' })).statusCode).toBe(400);
  });

  it('port security, security groups and allowed address pairs', async () => {
    const { networkId } = await netWithSubnet('10.16.0.0/24');
    const none = portOf(await port({ network_id: networkId, security_groups: [] }));
    expect(none.security_groups).toEqual([]);
    const off = await port({ network_id: networkId, port_security_enabled: false });
    expect(portOf(off)).toMatchObject({ port_security_enabled: false, security_groups: [] });
    const bad = await port({
      network_id: networkId,
      port_security_enabled: false,
      security_groups: [none.id],
    });
    expect(bad.statusCode).toBe(400);
    const withSg = portOf(await port({ network_id: networkId }));
    const disable = await h.call('PUT', `/v2.0/ports/${withSg.id}`, {
      token: h.demoToken,
      body: { port: { port_security_enabled: false } },
    });
    expect(disable.statusCode).toBe(409);
    const both = await h.call('PUT', `/v2.0/ports/${withSg.id}`, {
      token: h.demoToken,
      body: { port: { port_security_enabled: false, security_groups: [] } },
    });
    expect(both.statusCode).toBe(200);
    const pairs = portOf(
      await port({
        network_id: networkId,
        allowed_address_pairs: [
          { ip_address: '10.16.0.0/24' },
          { ip_address: '10.16.0.99', mac_address: 'fa:16:3e:aa:bb:cc' },
        ],
      }),
    );
    expect(pairs.allowed_address_pairs).toEqual([
      { ip_address: '10.16.0.0/24', mac_address: pairs.mac_address },
      { ip_address: '10.16.0.99', mac_address: 'fa:16:3e:aa:bb:cc' },
    ]);
    const unknownSg = await port({ network_id: networkId, security_groups: ['nope'] });
    expect(unknownSg.statusCode).toBe(404);
  });

  it("other tenants' ports and networks are 404; router interface ports cannot be deleted directly", async () => {
    const { networkId } = await netWithSubnet('10.17.0.0/24');
    const p = portOf(await port({ network_id: networkId }));
    expect((await h.call('GET', `/v2.0/ports/${p.id}`, { token: other.token })).statusCode).toBe(404);
    expect((await h.call('DELETE', `/v2.0/ports/${p.id}`, { token: other.token })).statusCode).toBe(404);
    const onTheirs = await port({ network_id: networkId }, other.token);
    expect(onTheirs.statusCode).toBe(404);
    expect(err(onTheirs).type).toBe('NetworkNotFound');
    const ri = portOf(
      await port({ network_id: networkId, device_owner: 'network:router_interface', device_id: 'r1' }),
    );
    const del = await h.call('DELETE', `/v2.0/ports/${ri.id}`, { token: h.demoToken });
    expect(del.statusCode).toBe(409);
  });

  it('stays fast with 10,000 addresses allocated in a subnet', async () => {
    const { networkId, subnetId } = await netWithSubnet('10.128.0.0/16');
    const first = portOf(await port({ network_id: networkId }));
    // 10,000 allocations written straight into the table (held by the first port), the cursor reset
    const client = new pg.Client({ connectionString: h.databaseUrl });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO network.ip_allocations (subnet_id, ip_address, port_id, network_id, position)
         SELECT $1, '10.128.0.0'::inet + g, $2, $3, 1 FROM generate_series(3, 10002) g`,
        [subnetId, first.id, networkId],
      );
      await client.query(`UPDATE network.subnets SET ipam_cursor = '10.128.0.2' WHERE id = $1`, [subnetId]);
    } finally {
      await client.end();
    }
    const t0 = performance.now();
    const p = portOf(await port({ network_id: networkId }));
    const ms = performance.now() - t0;
    expect(p.fixed_ips[0]!.ip_address).toBe('10.128.39.19'); // 10.128.0.0 + 10003
    expect(ms).toBeLessThan(500);
  });
});

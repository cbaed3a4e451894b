import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkFixture, startNetworkFixture } from './network-fixture.js';

// The nova-network proxy APIs (< 2.36) Tempest's compute tests use, forwarded to the real network service.
let f: NetworkFixture;
let net: { id: string; subnetId: string; name: string };
let server: string;
let publicNet: string;

beforeAll(async () => {
  f = await startNetworkFixture();
  net = await f.makeNetwork(f.h.demoToken, { name: 'private', cidr: '10.5.0.0/24' });
  // an external network (the floating IP pool) and a router joining it to the private subnet
  const { network } = await f.neutron<{ network: { id: string } }>('POST', '/networks', {
    body: { network: { name: 'public', 'router:external': true } },
  });
  publicNet = network.id;
  await f.neutron('POST', '/subnets', {
    body: { subnet: { network_id: publicNet, ip_version: 4, cidr: '172.24.4.0/24' } },
  });
  const { router } = await f.neutron<{ router: { id: string } }>('POST', '/routers', {
    token: f.h.demoToken,
    body: { router: { name: 'r', external_gateway_info: { network_id: publicNet } } },
  });
  await f.neutron('PUT', `/routers/${router.id}/add_router_interface`, {
    token: f.h.demoToken,
    body: { subnet_id: net.subnetId },
  });
  server = await f.boot([{ uuid: net.id }]);
}, 120_000);
afterAll(async () => {
  await f?.close();
});

const call = (method: string, url: string, body?: unknown, mv = '2.1') =>
  f.h.call(method, url, { token: f.h.demoToken, body, microversion: mv });

describe('os-security-groups and os-security-group-rules', () => {
  it('create, show, list, update, delete in Nova shapes', async () => {
    const created = await call('POST', '/v2.1/os-security-groups', {
      security_group: { name: 'web', description: 'web servers' },
    });
    expect(created.statusCode, created.body).toBe(200);
    const sg = created.json().security_group;
    expect(sg).toMatchObject({ name: 'web', description: 'web servers', rules: [] });
    expect(typeof sg.tenant_id).toBe('string');

    const rule = await call('POST', '/v2.1/os-security-group-rules', {
      security_group_rule: { parent_group_id: sg.id, ip_protocol: 'tcp', from_port: 22, to_port: 22 },
    });
    expect(rule.statusCode, rule.body).toBe(200);
    expect(rule.json().security_group_rule).toMatchObject({
      parent_group_id: sg.id,
      ip_protocol: 'tcp',
      from_port: 22,
      to_port: 22,
      ip_range: { cidr: '0.0.0.0/0' },
      group: {},
    });
    const icmp = await call('POST', '/v2.1/os-security-group-rules', {
      security_group_rule: { parent_group_id: sg.id, ip_protocol: 'icmp', from_port: -1, to_port: -1 },
    });
    expect(icmp.statusCode, icmp.body).toBe(200);
    expect(icmp.json().security_group_rule).toMatchObject({ from_port: -1, to_port: -1 });
    const peer = (
      await call('POST', '/v2.1/os-security-groups', { security_group: { name: 'peer', description: '' } })
    ).json().security_group;
    const byGroup = await call('POST', '/v2.1/os-security-group-rules', {
      security_group_rule: {
        parent_group_id: sg.id,
        ip_protocol: 'udp',
        from_port: 53,
        to_port: 53,
        group_id: peer.id,
      },
    });
    expect(byGroup.json().security_group_rule).toMatchObject({
      group: { name: 'peer', tenant_id: sg.tenant_id },
      ip_range: {},
    });

    const shown = (await call('GET', `/v2.1/os-security-groups/${sg.id}`)).json().security_group;
    expect(shown.rules.map((r: { id: string }) => r.id).sort()).toEqual(
      [
        rule.json().security_group_rule.id,
        icmp.json().security_group_rule.id,
        byGroup.json().security_group_rule.id,
      ].sort(),
    );
    const list = (await call('GET', '/v2.1/os-security-groups')).json().security_groups as { name: string }[];
    expect(list.map((g) => g.name)).toEqual(expect.arrayContaining(['default', 'web', 'peer']));

    const upd = await call('PUT', `/v2.1/os-security-groups/${sg.id}`, {
      security_group: { name: 'web2', description: 'd2' },
    });
    expect(upd.statusCode, upd.body).toBe(200);
    expect(upd.json().security_group).toMatchObject({ name: 'web2', description: 'd2' });

    expect(
      (await call('DELETE', `/v2.1/os-security-group-rules/${icmp.json().security_group_rule.id}`))
        .statusCode,
    ).toBe(202);
    expect((await call('DELETE', `/v2.1/os-security-groups/${sg.id}`)).statusCode).toBe(202);
    expect((await call('GET', `/v2.1/os-security-groups/${sg.id}`)).statusCode).toBe(404);
  });

  it('keeps a name with leading and trailing spaces as given (Nova checks it stripped)', async () => {
    const name = ' spaced group ';
    const r = await call('POST', '/v2.1/os-security-groups', { security_group: { name, description: '' } });
    expect(r.json().security_group.name).toBe(name);
    const id = r.json().security_group.id;
    expect((await call('GET', `/v2.1/os-security-groups/${id}`)).json().security_group.name).toBe(name);
  });

  it('refuses bad input as Nova does', async () => {
    const missing = 'f3c3e0f2-0000-4000-8000-000000000003';
    const sg = (
      await call('POST', '/v2.1/os-security-groups', { security_group: { name: 'x', description: 'y' } })
    ).json().security_group;
    const cases: [string, string, unknown, number][] = [
      ['POST', '/v2.1/os-security-groups', { security_group: { name: '', description: 'd' } }, 400],
      ['POST', '/v2.1/os-security-groups', { security_group: { name: ' ', description: 'd' } }, 400],
      [
        'POST',
        '/v2.1/os-security-groups',
        { security_group: { name: 'n'.repeat(260), description: 'd' } },
        400,
      ],
      [
        'POST',
        '/v2.1/os-security-groups',
        { security_group: { name: 'n', description: 'd'.repeat(260) } },
        400,
      ],
      ['GET', `/v2.1/os-security-groups/${missing}`, undefined, 404],
      ['DELETE', `/v2.1/os-security-groups/${missing}`, undefined, 404],
      [
        'PUT',
        `/v2.1/os-security-groups/${missing}`,
        { security_group: { name: 'a', description: 'b' } },
        404,
      ],
      [
        'POST',
        '/v2.1/os-security-group-rules',
        { security_group_rule: { parent_group_id: missing, ip_protocol: 'tcp', from_port: 22, to_port: 22 } },
        404,
      ],
      [
        'POST',
        '/v2.1/os-security-group-rules',
        {
          security_group_rule: {
            parent_group_id: 'not-a-uuid',
            ip_protocol: 'tcp',
            from_port: 22,
            to_port: 22,
          },
        },
        400,
      ],
      [
        'POST',
        '/v2.1/os-security-group-rules',
        { security_group_rule: { parent_group_id: sg.id, ip_protocol: '999-x', from_port: 22, to_port: 22 } },
        400,
      ],
      [
        'POST',
        '/v2.1/os-security-group-rules',
        {
          security_group_rule: { parent_group_id: sg.id, ip_protocol: 'tcp', from_port: 65536, to_port: 22 },
        },
        400,
      ],
      [
        'POST',
        '/v2.1/os-security-group-rules',
        { security_group_rule: { parent_group_id: sg.id, ip_protocol: 'tcp', from_port: 22, to_port: 21 } },
        400,
      ],
      ['DELETE', `/v2.1/os-security-group-rules/${missing}`, undefined, 404],
    ];
    for (const [method, url, body, status] of cases) {
      const res = await call(method, url, body);
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)?.slice(0, 120)}: ${res.body}`).toBe(
        status,
      );
    }
    // a duplicate rule and the default group's delete are 400 (Neutron's 409 as Nova reports it)
    const r = {
      security_group_rule: { parent_group_id: sg.id, ip_protocol: 'tcp', from_port: 80, to_port: 80 },
    };
    expect((await call('POST', '/v2.1/os-security-group-rules', r)).statusCode).toBe(200);
    expect((await call('POST', '/v2.1/os-security-group-rules', r)).statusCode).toBe(400);
    const def = (
      (await call('GET', '/v2.1/os-security-groups')).json().security_groups as { id: string; name: string }[]
    ).find((g) => g.name === 'default')!;
    expect((await call('DELETE', `/v2.1/os-security-groups/${def.id}`)).statusCode).toBe(400);
  });

  it('is gone from 2.36', async () => {
    expect((await call('GET', '/v2.1/os-security-groups', undefined, '2.36')).statusCode).toBe(404);
    expect((await call('GET', '/v2.1/os-floating-ips', undefined, '2.36')).statusCode).toBe(404);
    expect((await call('GET', '/v2.1/os-networks', undefined, '2.36')).statusCode).toBe(404);
    expect((await call('GET', '/v2.1/os-tenant-networks', undefined, '2.36')).statusCode).toBe(404);
  });
});

describe('os-floating-ips', () => {
  it('allocates from a pool, associates with a server, shows it in addresses, disassociates, releases', async () => {
    const pools = (await call('GET', '/v2.1/os-floating-ip-pools')).json().floating_ip_pools;
    expect(pools).toEqual([{ name: 'public' }]);
    const created = await call('POST', '/v2.1/os-floating-ips', { pool: 'public' });
    expect(created.statusCode, created.body).toBe(200);
    const fip = created.json().floating_ip;
    expect(fip).toMatchObject({ pool: 'public', instance_id: null, fixed_ip: null });
    expect(fip.ip).toMatch(/^172\.24\.4\./);
    expect((await call('GET', `/v2.1/os-floating-ips/${fip.id}`)).json().floating_ip).toEqual(fip);
    expect((await call('GET', '/v2.1/os-floating-ips')).json().floating_ips).toContainEqual(fip);

    const add = await call('POST', `/v2.1/servers/${server}/action`, { addFloatingIp: { address: fip.ip } });
    expect(add.statusCode, add.body).toBe(202);
    const shown = (await call('GET', `/v2.1/os-floating-ips/${fip.id}`)).json().floating_ip;
    expect(shown.instance_id).toBe(server);
    const addrs = (await call('GET', `/v2.1/servers/${server}`)).json().server.addresses.private;
    expect(
      addrs.map((a: { addr: string; 'OS-EXT-IPS:type': string }) => [a.addr, a['OS-EXT-IPS:type']]),
    ).toEqual([
      [shown.fixed_ip, 'fixed'],
      [fip.ip, 'floating'],
    ]);

    // a second floating IP on the same fixed IP is refused
    const other = (await call('POST', '/v2.1/os-floating-ips', { pool: publicNet })).json().floating_ip;
    const again = await call('POST', `/v2.1/servers/${server}/action`, {
      addFloatingIp: { address: other.ip },
    });
    expect(again.statusCode).toBe(400);

    const rm = await call('POST', `/v2.1/servers/${server}/action`, {
      removeFloatingIp: { address: fip.ip },
    });
    expect(rm.statusCode, rm.body).toBe(202);
    expect((await call('GET', `/v2.1/os-floating-ips/${fip.id}`)).json().floating_ip.instance_id).toBeNull();
    const rmAgain = await call('POST', `/v2.1/servers/${server}/action`, {
      removeFloatingIp: { address: fip.ip },
    });
    expect(rmAgain.statusCode).toBe(409);
    expect((await call('DELETE', `/v2.1/os-floating-ips/${fip.id}`)).statusCode).toBe(202);
    expect((await call('DELETE', `/v2.1/os-floating-ips/${other.id}`)).statusCode).toBe(202);
    expect((await call('GET', `/v2.1/os-floating-ips/${fip.id}`)).statusCode).toBe(404);
  });

  it('refuses bad input', async () => {
    expect((await call('POST', '/v2.1/os-floating-ips', { pool: 'non_exist_pool' })).statusCode).toBe(404);
    expect(
      (await call('DELETE', '/v2.1/os-floating-ips/f3c3e0f2-0000-4000-8000-000000000004')).statusCode,
    ).toBe(404);
    const act = (body: unknown) => call('POST', `/v2.1/servers/${server}/action`, body);
    expect((await act({ addFloatingIp: { address: '0.0.0.0' } })).statusCode).toBe(404);
    expect((await act({ removeFloatingIp: { address: '0.0.0.0' } })).statusCode).toBe(404);
    expect((await act({ addFloatingIp: { address: '' } })).statusCode).toBe(400);
    expect(
      (
        await call(
          'POST',
          `/v2.1/servers/${server}/action`,
          { addFloatingIp: { address: '1.2.3.4' } },
          '2.44',
        )
      ).statusCode,
    ).toBe(404);
  });
});

describe('os-networks and os-tenant-networks', () => {
  it('list and show the networks the caller sees', async () => {
    const tenant = (await call('GET', '/v2.1/os-tenant-networks')).json().networks;
    expect(tenant).toContainEqual({ id: net.id, label: 'private', cidr: '10.5.0.0/24' });
    const one = await call('GET', `/v2.1/os-tenant-networks/${net.id}`);
    expect(one.json().network).toEqual({ id: net.id, label: 'private', cidr: '10.5.0.0/24' });
    const nets = (await call('GET', '/v2.1/os-networks')).json().networks;
    expect(nets.find((n: { id: string }) => n.id === net.id)).toMatchObject({
      label: 'private',
      cidr: '10.5.0.0/24',
    });
    expect((await call('GET', `/v2.1/os-networks/${net.id}`)).json().network.id).toBe(net.id);
    expect((await call('GET', '/v2.1/os-networks/f3c3e0f2-0000-4000-8000-000000000005')).statusCode).toBe(
      404,
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkFixture, startNetworkFixture } from './network-fixture.js';

// Interface attach/detach (os-interface) and the server's security groups, on a real network service.
let f: NetworkFixture;
let net: { id: string; subnetId: string; name: string };
let other: { id: string; subnetId: string; name: string };
let server: string;

beforeAll(async () => {
  f = await startNetworkFixture();
  net = await f.makeNetwork(f.h.demoToken, { name: 'first', cidr: '10.3.0.0/24' });
  other = await f.makeNetwork(f.h.demoToken, { name: 'extra', cidr: '10.4.0.0/24' });
  server = await f.boot([{ uuid: net.id }]);
}, 120_000);
afterAll(async () => {
  await f?.close();
});

const call = (method: string, url: string, body?: unknown, mv = '2.70') =>
  f.h.call(method, url, { token: f.h.demoToken, body, microversion: mv });

async function waitUntil(what: string, ok: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('os-interface', () => {
  it('lists the boot NIC', async () => {
    const res = await call('GET', `/v2.1/servers/${server}/os-interface`);
    expect(res.statusCode).toBe(200);
    const [iface] = res.json().interfaceAttachments;
    expect(iface).toMatchObject({ net_id: net.id, port_state: 'ACTIVE', tag: null });
    expect(iface.fixed_ips[0]).toMatchObject({ subnet_id: net.subnetId });
    const one = await call('GET', `/v2.1/servers/${server}/os-interface/${iface.port_id}`);
    expect(one.json().interfaceAttachment).toEqual(iface);
  });

  it('attaches a NIC on a network (with a fixed IP and a tag), hot-plugged on the host, then detaches it', async () => {
    const res = await call('POST', `/v2.1/servers/${server}/os-interface`, {
      interfaceAttachment: { net_id: other.id, fixed_ips: [{ ip_address: '10.4.0.42' }], tag: 'data' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const a = res.json().interfaceAttachment;
    expect(a).toMatchObject({
      net_id: other.id,
      fixed_ips: [{ subnet_id: other.subnetId, ip_address: '10.4.0.42' }],
      port_state: 'ACTIVE',
      tag: 'data',
    });
    expect(await f.port(a.port_id)).toMatchObject({ device_id: server, 'binding:host_id': f.h.hosts[0]!.id });
    const dom = await f.h.hosts[0]!.drivers.compute.status(server);
    expect(dom.interfaces.map((i) => i.vif)).toContain(a.port_id);
    const s = (await call('GET', `/v2.1/servers/${server}`)).json().server;
    expect(s.addresses.extra).toEqual([
      { version: 4, addr: '10.4.0.42', 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': a.mac_addr },
    ]);
    const list = (await call('GET', `/v2.1/servers/${server}/os-interface`)).json().interfaceAttachments;
    expect(list.map((i: { port_id: string }) => i.port_id)).toContain(a.port_id);
    const actions = (await call('GET', `/v2.1/servers/${server}/os-instance-actions`)).json().instanceActions;
    expect(actions.map((x: { action: string }) => x.action)).toContain('attach_interface');

    const del = await call('DELETE', `/v2.1/servers/${server}/os-interface/${a.port_id}`);
    expect(del.statusCode).toBe(202);
    await waitUntil('detach', async () => {
      const l = (await call('GET', `/v2.1/servers/${server}/os-interface`)).json().interfaceAttachments;
      return !l.some((i: { port_id: string }) => i.port_id === a.port_id);
    });
    await f.neutron('GET', `/ports/${a.port_id}`, { expect: 404 });
    await waitUntil('addresses', async () => {
      const srv = (await call('GET', `/v2.1/servers/${server}`)).json().server;
      return srv.addresses.extra === undefined;
    });
    expect((await f.h.hosts[0]!.drivers.compute.status(server)).interfaces.map((i) => i.vif)).not.toContain(
      a.port_id,
    );
  });

  it("attaches the user's port and only unbinds it on detach", async () => {
    const { port } = await f.neutron<{ port: { id: string } }>('POST', '/ports', {
      token: f.h.demoToken,
      body: { port: { network_id: other.id } },
    });
    const res = await call('POST', `/v2.1/servers/${server}/os-interface`, {
      interfaceAttachment: { port_id: port.id },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().interfaceAttachment.port_id).toBe(port.id);
    // in use now
    const again = await call('POST', `/v2.1/servers/${server}/os-interface`, {
      interfaceAttachment: { port_id: port.id },
    });
    expect(again.statusCode).toBe(409);
    expect((await call('DELETE', `/v2.1/servers/${server}/os-interface/${port.id}`)).statusCode).toBe(202);
    await waitUntil('unbound', async () => (await f.port(port.id)).device_id === '');
    expect(await f.port(port.id)).toMatchObject({ device_owner: '', 'binding:host_id': '' });
  });

  it('refuses bad attach requests', async () => {
    const missing = 'f3c3e0f2-0000-4000-8000-000000000002';
    const cases: [unknown, number][] = [
      [{ interfaceAttachment: { port_id: missing } }, 404],
      [{ interfaceAttachment: { net_id: missing } }, 404],
      [{ interfaceAttachment: { port_id: missing, net_id: net.id } }, 400],
      [{ interfaceAttachment: { fixed_ips: [{ ip_address: '10.3.0.9' }] } }, 400],
      [{ interfaceAttachment: { net_id: 'x' } }, 400],
      [{ interfaceAttachment: { bogus: 1 } }, 400],
      [{}, 400],
    ];
    for (const [body, status] of cases) {
      const res = await call('POST', `/v2.1/servers/${server}/os-interface`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
    }
    expect((await call('DELETE', `/v2.1/servers/${server}/os-interface/${missing}`)).statusCode).toBe(404);
    expect((await call('GET', `/v2.1/servers/${server}/os-interface/${missing}`)).statusCode).toBe(404);
  });
});

describe('addFixedIp / removeFixedIp (< 2.44) and os-virtual-interfaces', () => {
  it('adds an address to the port on the network and removes it again', async () => {
    const act = (body: unknown, mv = '2.1') => call('POST', `/v2.1/servers/${server}/action`, body, mv);
    const before = (await call('GET', `/v2.1/servers/${server}/ips`, undefined, '2.1')).json().addresses
      .first;
    expect(before).toHaveLength(1);
    expect((await act({ addFixedIp: { networkId: net.id } })).statusCode).toBe(202);
    const after = (await call('GET', `/v2.1/servers/${server}/ips`, undefined, '2.1')).json().addresses.first;
    expect(after).toHaveLength(2);
    const added = after.find((a: { addr: string }) => a.addr !== before[0].addr).addr;
    expect((await act({ removeFixedIp: { address: added } })).statusCode).toBe(202);
    expect(
      (await call('GET', `/v2.1/servers/${server}/ips`, undefined, '2.1')).json().addresses.first,
    ).toEqual(before);
    expect((await act({ removeFixedIp: { address: '10.99.0.1' } })).statusCode).toBe(400);
    expect((await act({ addFixedIp: { networkId: net.id } }, '2.44')).statusCode).toBe(404);
  });

  it('virtual interfaces are a nova-network API: 400 with Neutron, 404 from 2.44', async () => {
    expect(
      (await call('GET', `/v2.1/servers/${server}/os-virtual-interfaces`, undefined, '2.1')).statusCode,
    ).toBe(400);
    expect(
      (await call('GET', `/v2.1/servers/${server}/os-virtual-interfaces`, undefined, '2.44')).statusCode,
    ).toBe(404);
    const missing = 'f3c3e0f2-0000-4000-8000-0000000000aa';
    expect(
      (await call('GET', `/v2.1/servers/${missing}/os-virtual-interfaces`, undefined, '2.1')).statusCode,
    ).toBe(404);
  });
});

describe('the NICs survive a rebuild', () => {
  it('redefines the domain with the same interfaces', async () => {
    const before = (await f.h.hosts[0]!.drivers.compute.status(server)).interfaces;
    expect(before.length).toBeGreaterThan(0);
    const res = await call(
      'POST',
      `/v2.1/servers/${server}/action`,
      { rebuild: { imageRef: f.imageId } },
      '2.1',
    );
    expect(res.statusCode, res.body).toBe(202);
    await f.h.waitForServer(server, 'ACTIVE');
    expect((await f.h.hosts[0]!.drivers.compute.status(server)).interfaces).toEqual(before);
  });
});

describe('server security groups', () => {
  it('addSecurityGroup / removeSecurityGroup change the ports and the server view', async () => {
    await f.neutron('POST', '/security-groups', {
      token: f.h.demoToken,
      body: { security_group: { name: 'ssh' } },
    });
    const add = await call(
      'POST',
      `/v2.1/servers/${server}/action`,
      { addSecurityGroup: { name: 'ssh' } },
      '2.1',
    );
    expect(add.statusCode, add.body).toBe(202);
    const groups = (await call('GET', `/v2.1/servers/${server}/os-security-groups`, undefined, '2.1')).json()
      .security_groups as { name: string }[];
    expect(groups.map((g) => g.name).sort()).toEqual(['default', 'ssh']);
    const view = (await call('GET', `/v2.1/servers/${server}`)).json().server;
    expect(view.security_groups).toEqual([{ name: 'default' }, { name: 'ssh' }]);

    const rm = await call(
      'POST',
      `/v2.1/servers/${server}/action`,
      { removeSecurityGroup: { name: 'ssh' } },
      '2.1',
    );
    expect(rm.statusCode).toBe(202);
    const rmAgain = await call(
      'POST',
      `/v2.1/servers/${server}/action`,
      { removeSecurityGroup: { name: 'ssh' } },
      '2.1',
    );
    expect(rmAgain.statusCode).toBe(400);
    const unknown = await call(
      'POST',
      `/v2.1/servers/${server}/action`,
      { addSecurityGroup: { name: 'nope' } },
      '2.1',
    );
    expect(unknown.statusCode).toBe(404);
    // the last group removed: Nova's view has no security_groups key at all (Tempest checks it)
    const last = await call(
      'POST',
      `/v2.1/servers/${server}/action`,
      { removeSecurityGroup: { name: 'default' } },
      '2.1',
    );
    expect(last.statusCode).toBe(202);
    expect((await call('GET', `/v2.1/servers/${server}`)).json().server).not.toHaveProperty(
      'security_groups',
    );
  });
});

import { DriverError } from '@kumo/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkFixture, startNetworkFixture } from './network-fixture.js';

// Servers on networks, with a real network service and fake hosts: ports created/bound by the build saga,
// addresses, config drive network_data.json, delete and compensation.
let f: NetworkFixture;
let net: { id: string; subnetId: string; name: string };

beforeAll(async () => {
  f = await startNetworkFixture();
  net = await f.makeNetwork(f.h.demoToken, { name: 'private', cidr: '10.1.0.0/24', dns: ['10.1.0.53'] });
}, 120_000);
afterAll(async () => {
  await f?.close();
});

type Server = Record<string, unknown> & { addresses: Record<string, Record<string, unknown>[]> };
const show = async (id: string, mv = '2.37') =>
  (await f.h.call('GET', `/v2.1/servers/${id}`, { token: f.h.demoToken, microversion: mv })).json()
    .server as Server;

describe('booting on networks', () => {
  it('creates a port bound to the host before the domain starts; addresses show its IP', async () => {
    let spec: Record<string, unknown> | undefined;
    const host = f.h.hosts[0]!;
    host.drivers.failOn.ensureDomain = (args) => {
      spec = args[0] as Record<string, unknown>;
      return undefined;
    };
    const id = await f.boot([{ uuid: net.id }]);
    delete host.drivers.failOn.ensureDomain;
    const port = (await f.portsOf(id))[0] as { id: string; mac_address: string; fixed_ips: unknown };
    expect(port).toMatchObject({
      network_id: net.id,
      device_id: id,
      device_owner: 'compute:nova',
      'binding:host_id': host.id,
    });
    const ip = (port.fixed_ips as { ip_address: string }[])[0]!.ip_address;
    expect(ip).toMatch(/^10\.1\.0\./);

    const s = await show(id);
    expect(s.addresses).toEqual({
      private: [
        { version: 4, addr: ip, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': port.mac_address },
      ],
    });
    const ips = await f.h.call('GET', `/v2.1/servers/${id}/ips`, { token: f.h.demoToken });
    expect(ips.json()).toEqual({ addresses: { private: [{ version: 4, addr: ip }] } });
    const byNet = await f.h.call('GET', `/v2.1/servers/${id}/ips/private`, { token: f.h.demoToken });
    expect(byNet.json()).toEqual({ private: [{ version: 4, addr: ip }] });
    expect((await f.h.call('GET', `/v2.1/servers/${id}/ips/nope`, { token: f.h.demoToken })).statusCode).toBe(
      404,
    );
    // the list shows the cached addresses (no network call per server)
    const list = await f.h.call('GET', '/v2.1/servers/detail', { token: f.h.demoToken });
    const listed = (list.json().servers as Server[]).find((x) => x.id === id)!;
    expect(listed.addresses).toEqual(s.addresses);

    // the host plugged the VIF (vif id = port id) and the domain has the NIC
    const vifs = await host.drivers.network.listVifs();
    expect(vifs.find((v) => v.vif === port.id)).toMatchObject({ instance: id, mac: port.mac_address });
    const dom = await host.drivers.compute.status(id);
    expect(dom.interfaces).toEqual([{ vif: port.id, mac: port.mac_address }]);

    // config drive network_data.json in OpenStack's format
    const nd = (spec!.configDrive as { networkData: Record<string, unknown[]> }).networkData;
    expect(nd.links).toEqual([
      {
        id: `tap${port.id.slice(0, 11)}`,
        vif_id: port.id,
        type: 'ovs',
        mtu: expect.any(Number),
        ethernet_mac_address: port.mac_address,
      },
    ]);
    expect(nd.networks).toEqual([
      { id: 'network0', type: 'ipv4_dhcp', link: `tap${port.id.slice(0, 11)}`, network_id: net.id },
    ]);
    expect(nd.services).toEqual([{ type: 'dns', address: '10.1.0.53' }]);

    await f.deleteAndWait(id);
    expect(await f.portsOf(id)).toEqual([]);
    await f.neutron('GET', `/ports/${port.id}`, { expect: 404 });
    expect(await host.drivers.network.listVifs()).toEqual([]);
  });

  it('binds a given port (--nic port-id) and only unbinds it on delete', async () => {
    const { port } = await f.neutron<{ port: { id: string; mac_address: string } }>('POST', '/ports', {
      token: f.h.demoToken,
      body: { port: { network_id: net.id, name: 'mine' } },
    });
    const id = await f.boot([{ port: port.id }]);
    expect(await f.port(port.id)).toMatchObject({ device_id: id, 'binding:host_id': f.h.hosts[0]!.id });
    expect(Object.keys((await show(id)).addresses)).toEqual(['private']);

    // the port is now in use: another server cannot take it
    const again = await f.create({ networks: [{ port: port.id }] });
    expect(again.statusCode).toBe(409);
    expect(again.json().conflictingRequest.message).toMatch(/still in use/);

    await f.deleteAndWait(id);
    expect(await f.port(port.id)).toMatchObject({ device_id: '', device_owner: '', 'binding:host_id': '' });
  });

  it('boots with two NICs in the requested order', async () => {
    const other = await f.makeNetwork(f.h.demoToken, { name: 'second', cidr: '10.2.0.0/24' });
    let spec: { interfaces: { vif: string }[] } | undefined;
    const host = f.h.hosts[0]!;
    host.drivers.failOn.ensureDomain = (args) => {
      spec = args[0] as typeof spec;
      return undefined;
    };
    const id = await f.boot([{ uuid: other.id }, { uuid: net.id, fixed_ip: '10.1.0.77' }]);
    delete host.drivers.failOn.ensureDomain;
    const s = await show(id);
    expect(Object.keys(s.addresses).sort()).toEqual(['private', 'second']);
    expect(s.addresses.private![0]!.addr).toBe('10.1.0.77');
    const ports = await f.portsOf(id);
    const first = ports.find((p) => p.network_id === other.id)!;
    expect(spec!.interfaces.map((i) => i.vif)).toEqual([
      first.id,
      ports.find((p) => p.network_id === net.id)!.id,
    ]);
    await f.deleteAndWait(id);
    expect(await f.portsOf(id)).toEqual([]);
  });

  it('refuses bad networks and ports with Nova errors, before creating anything', async () => {
    const missing = 'f3c3e0f2-0000-4000-8000-000000000001';
    const cases: [unknown, number, RegExp][] = [
      [[{ uuid: missing }], 400, new RegExp(`Network ${missing} could not be found`)],
      [[{ port: missing }], 400, new RegExp(`Port id ${missing} could not be found`)],
      [[{ uuid: 'nope' }], 400, /network uuid is not in proper format/],
      [[{ uuid: net.id, fixed_ip: '10.1.0.300' }], 400, /Invalid fixed IP address/],
      [[{}], 400, /missing 'uuid'/],
    ];
    for (const [networks, status, re] of cases) {
      const res = await f.create({ networks });
      expect(res.statusCode, JSON.stringify(networks)).toBe(status);
      expect(JSON.stringify(res.json()), JSON.stringify(networks)).toMatch(re);
    }
    // another project's port is not found for this one
    const { port } = await f.neutron<{ port: { id: string } }>('POST', '/ports', {
      body: { port: { network_id: (await f.makeNetwork(f.h.adminToken, { cidr: '10.9.0.0/24' })).id } },
    });
    const res = await f.create({ networks: [{ port: port.id }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().badRequest.message).toMatch(/could not be found/);
    // a fixed IP already in use
    const { port: used } = await f.neutron<{ port: { fixed_ips: { ip_address: string }[] } }>(
      'POST',
      '/ports',
      { token: f.h.demoToken, body: { port: { network_id: net.id } } },
    );
    const taken = await f.create({ networks: [{ uuid: net.id, fixed_ip: used.fixed_ips[0]!.ip_address }] });
    expect(taken.statusCode).toBe(400);
    expect(taken.json().badRequest.message).toMatch(/already in use/);
  });

  it('resolves auto and absent networks (before 2.37) to the single usable network', async () => {
    // the demo project now has several networks: ambiguous
    const res = await f.create({ networks: 'auto' });
    expect(res.statusCode).toBe(409);
    expect(res.json().conflictingRequest.message).toMatch(/Multiple possible networks found/);
    const before = await f.create({}, { mv: '2.1' });
    expect(before.statusCode).toBe(409);
    // admin's project has exactly one network
    const res2 = await f.create({ networks: 'auto' }, { token: f.h.adminToken });
    expect(res2.statusCode, res2.body).toBe(202);
    const id = res2.json().server.id as string;
    await f.h.waitForServer(id, 'ACTIVE');
    expect((await f.portsOf(id)).length).toBe(1);
    await f.deleteAndWait(id, f.h.adminToken);
    // 'none' boots without NICs
    const none = await f.boot('none');
    expect((await show(none)).addresses).toEqual({});
    await f.deleteAndWait(none);
  });

  it('a build that fails after its port was created leaves no port behind', async () => {
    const host = f.h.hosts[0]!;
    host.drivers.failOn.startDomain = new DriverError('internal', 'injected: qemu died on start');
    try {
      const res = await f.create({ networks: [{ uuid: net.id }] });
      expect(res.statusCode).toBe(202);
      const id = res.json().server.id as string;
      const until = Date.now() + 15_000;
      let s = await show(id);
      while (s.status !== 'ERROR' && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
        s = await show(id);
      }
      expect(s.status).toBe('ERROR');
      expect(await f.portsOf(id)).toEqual([]);
      expect((await host.drivers.network.listVifs()).filter((v) => v.instance === id)).toEqual([]);
      await f.deleteAndWait(id);
    } finally {
      delete host.drivers.failOn.startDomain;
    }
  });

  it('security_groups of the request go to the ports; unknown names are 400', async () => {
    const { security_group: sg } = await f.neutron<{ security_group: { id: string } }>(
      'POST',
      '/security-groups',
      { token: f.h.demoToken, body: { security_group: { name: 'web' } } },
    );
    const bad = await f.create({ networks: [{ uuid: net.id }], security_groups: [{ name: 'nope' }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().badRequest.message).toMatch(/Security group nope not found/);
    const id = await f.boot([{ uuid: net.id }], { extra: { security_groups: [{ name: 'web' }] } });
    const [port] = await f.portsOf(id);
    expect(port?.security_groups).toEqual([sg.id]);
    expect((await show(id)).security_groups).toEqual([{ name: 'web' }]);
    await f.deleteAndWait(id);
  });
});

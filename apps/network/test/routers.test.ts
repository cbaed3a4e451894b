import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkHarness, startNetwork } from './harness.js';

let h: NetworkHarness;
let extNet: string;
let extSubnet: string;
const synced: string[] = [];
beforeAll(async () => {
  h = await startNetwork({ sync: { request: (kind, id) => synced.push(`${kind}:${id}`) } });
  const ext = await net(h.adminToken, 'public', { 'router:external': true });
  extNet = ext;
  extSubnet = await subnet(h.adminToken, ext, '172.24.4.0/24');
});
afterAll(async () => {
  await h?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON bodies
type Json = Record<string, any>;
const errOf = (body: string) => (JSON.parse(body) as Json).NeutronError as { type: string; message: string };

async function net(token: string, name: string, extra: Json = {}): Promise<string> {
  const r = await h.call('POST', '/v2.0/networks', { token, body: { network: { name, ...extra } } });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().network.id;
}
async function subnet(token: string, networkId: string, cidr: string, extra: Json = {}): Promise<string> {
  const r = await h.call('POST', '/v2.0/subnets', {
    token,
    body: { subnet: { network_id: networkId, cidr, ip_version: cidr.includes(':') ? 6 : 4, ...extra } },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().subnet.id;
}
async function router(token: string, body: Json = {}): Promise<Json> {
  const r = await h.call('POST', '/v2.0/routers', { token, body: { router: { name: 'r', ...body } } });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().router;
}
const iface = (token: string, id: string, action: 'add' | 'remove', body: Json) =>
  h.call('PUT', `/v2.0/routers/${id}/${action}_router_interface`, { token, body });

describe('routers', () => {
  it('CRUD with the Neutron view', async () => {
    const r = await router(h.demoToken, { admin_state_up: false, description: 'd' });
    expect(r).toMatchObject({
      name: 'r',
      description: 'd',
      admin_state_up: false,
      status: 'ACTIVE',
      external_gateway_info: null,
      routes: [],
      distributed: false,
      ha: false,
      project_id: h.demoProjectId,
      tenant_id: h.demoProjectId,
      flavor_id: null,
      tags: [],
    });
    const up = await h.call('PUT', `/v2.0/routers/${r.id}`, {
      token: h.demoToken,
      body: { router: { name: 'r2', admin_state_up: true } },
    });
    expect(up.statusCode, up.body).toBe(200);
    expect(up.json().router).toMatchObject({
      name: 'r2',
      admin_state_up: true,
      revision_number: r.revision_number + 1,
    });
    const list = await h.call('GET', '/v2.0/routers?name=r2', { token: h.demoToken });
    expect((list.json().routers as Json[]).map((x) => x.id)).toEqual([r.id]);
    const del = await h.call('DELETE', `/v2.0/routers/${r.id}`, { token: h.demoToken });
    expect(del.statusCode).toBe(204);
    for (const [m, body] of [
      ['GET', undefined],
      ['PUT', { router: { name: 'x' } }],
      ['DELETE', undefined],
    ] as const) {
      const g = await h.call(m, `/v2.0/routers/${r.id}`, { token: h.demoToken, body });
      expect(g.statusCode).toBe(404);
      expect(errOf(g.body).type).toBe('RouterNotFound');
    }
  });

  it("hides other tenants' routers; admin creates for a project", async () => {
    const t = await h.tenant('rt-other');
    const r = await router(t.token);
    const g = await h.call('GET', `/v2.0/routers/${r.id}`, { token: h.demoToken });
    expect(g.statusCode).toBe(404);
    const a = await h.call('POST', '/v2.0/routers', {
      token: h.adminToken,
      body: { router: { project_id: t.projectId } },
    });
    expect(a.statusCode).toBe(201);
    expect(a.json().router.project_id).toBe(t.projectId);
  });

  it('gateway: set with SNAT default, explicit SNAT (admin), fixed IP, clear', async () => {
    const r = await router(h.demoToken, { external_gateway_info: { network_id: extNet } });
    expect(r.external_gateway_info).toMatchObject({ network_id: extNet, enable_snat: true });
    expect(r.external_gateway_info.external_fixed_ips).toHaveLength(1);
    expect(r.external_gateway_info.external_fixed_ips[0].subnet_id).toBe(extSubnet);
    const noSnat = await h.call('PUT', `/v2.0/routers/${r.id}`, {
      token: h.demoToken,
      body: { router: { external_gateway_info: { network_id: extNet, enable_snat: false } } },
    });
    expect(noSnat.statusCode).toBe(403);
    const adminNoSnat = await h.call('PUT', `/v2.0/routers/${r.id}`, {
      token: h.adminToken,
      body: { router: { external_gateway_info: { network_id: extNet, enable_snat: false } } },
    });
    expect(adminNoSnat.statusCode, adminNoSnat.body).toBe(200);
    expect(adminNoSnat.json().router.external_gateway_info).toMatchObject({
      network_id: extNet,
      enable_snat: false,
    });
    // the same address is kept when only SNAT changes
    expect(adminNoSnat.json().router.external_gateway_info.external_fixed_ips).toEqual(
      r.external_gateway_info.external_fixed_ips,
    );
    const cleared = await h.call('PUT', `/v2.0/routers/${r.id}`, {
      token: h.demoToken,
      body: { router: { external_gateway_info: {} } },
    });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json().router.external_gateway_info).toBeNull();
    // admin: a chosen address
    const fixed = await h.call('POST', '/v2.0/routers', {
      token: h.adminToken,
      body: {
        router: {
          external_gateway_info: {
            network_id: extNet,
            external_fixed_ips: [{ subnet_id: extSubnet, ip_address: '172.24.4.200' }],
          },
        },
      },
    });
    expect(fixed.statusCode, fixed.body).toBe(201);
    expect(fixed.json().router.external_gateway_info.external_fixed_ips).toEqual([
      { subnet_id: extSubnet, ip_address: '172.24.4.200' },
    ]);
    // that address is taken now: 409
    const taken = await h.call('POST', '/v2.0/routers', {
      token: h.adminToken,
      body: {
        router: {
          external_gateway_info: { network_id: extNet, external_fixed_ips: [{ ip_address: '172.24.4.200' }] },
        },
      },
    });
    expect(taken.statusCode).toBe(409);
    // non-admin may not choose
    const mine = await h.call('POST', '/v2.0/routers', {
      token: h.demoToken,
      body: {
        router: {
          external_gateway_info: { network_id: extNet, external_fixed_ips: [{ ip_address: '172.24.4.201' }] },
        },
      },
    });
    expect(mine.statusCode).toBe(403);
    // deleting a router with a gateway releases the address
    expect(
      (await h.call('DELETE', `/v2.0/routers/${fixed.json().router.id}`, { token: h.adminToken })).statusCode,
    ).toBe(204);
    const again = await h.call('POST', '/v2.0/routers', {
      token: h.adminToken,
      body: {
        router: {
          external_gateway_info: { network_id: extNet, external_fixed_ips: [{ ip_address: '172.24.4.200' }] },
        },
      },
    });
    expect(again.statusCode, again.body).toBe(201);
  });

  it('gateway errors: unknown network 404, not external 400', async () => {
    const r = await router(h.demoToken);
    const unknown = await h.call('PUT', `/v2.0/routers/${r.id}`, {
      token: h.demoToken,
      body: { router: { external_gateway_info: { network_id: r.id } } },
    });
    expect(unknown.statusCode).toBe(404);
    const own = await net(h.demoToken, 'internal');
    await subnet(h.demoToken, own, '10.9.0.0/24');
    const notExt = await h.call('PUT', `/v2.0/routers/${r.id}`, {
      token: h.demoToken,
      body: { router: { external_gateway_info: { network_id: own } } },
    });
    expect(notExt.statusCode).toBe(400);
  });

  it('interfaces by subnet: gateway address, duplicates and overlaps 400, in use 409, remove', async () => {
    const r = await router(h.demoToken);
    const n1 = await net(h.demoToken, 'i1');
    const s1 = await subnet(h.demoToken, n1, '10.10.1.0/24');
    const n2 = await net(h.demoToken, 'i2');
    const s2 = await subnet(h.demoToken, n2, '10.10.1.0/24');
    const n3 = await net(h.demoToken, 'i3');
    const s3 = await subnet(h.demoToken, n3, '10.10.3.0/24');
    const add = await iface(h.demoToken, r.id, 'add', { subnet_id: s1 });
    expect(add.statusCode, add.body).toBe(200);
    const info = add.json();
    expect(info).toMatchObject({
      id: r.id,
      subnet_id: s1,
      subnet_ids: [s1],
      network_id: n1,
      project_id: h.demoProjectId,
    });
    expect(typeof info.port_id).toBe('string');
    expect((await iface(h.demoToken, r.id, 'add', { subnet_id: s1 })).statusCode).toBe(400);
    const overlap = await iface(h.demoToken, r.id, 'add', { subnet_id: s2 });
    expect(overlap.statusCode).toBe(400);
    expect(errOf(overlap.body).message).toContain('overlaps');
    expect((await iface(h.demoToken, r.id, 'add', { subnet_id: s3 })).statusCode).toBe(200);
    expect((await iface(h.demoToken, r.id, 'add', {})).statusCode).toBe(400);
    expect((await iface(h.demoToken, r.id, 'add', { subnet_id: s1, port_id: info.port_id })).statusCode).toBe(
      400,
    );
    expect((await iface(h.demoToken, r.id, 'add', { subnet_id: randomUUID() })).statusCode).toBe(404);
    const inUse = await h.call('DELETE', `/v2.0/routers/${r.id}`, { token: h.demoToken });
    expect(inUse.statusCode).toBe(409);
    expect(errOf(inUse.body).type).toBe('RouterInUse');
    // subnet delete while the router holds its gateway address: 409
    const subDel = await h.call('DELETE', `/v2.0/subnets/${s1}`, { token: h.demoToken });
    expect(subDel.statusCode).toBe(409);
    const rm = await iface(h.demoToken, r.id, 'remove', { subnet_id: s1 });
    expect(rm.statusCode, rm.body).toBe(200);
    expect(rm.json()).toMatchObject({ id: r.id, subnet_id: s1, port_id: info.port_id });
    const rm2 = await iface(h.demoToken, r.id, 'remove', { subnet_id: s1 });
    expect(rm2.statusCode).toBe(404);
    expect(errOf(rm2.body).type).toBe('RouterInterfaceNotFoundForSubnet');
    const rm3 = await iface(h.demoToken, r.id, 'remove', { port_id: randomUUID() });
    expect(rm3.statusCode).toBe(404);
    expect((await iface(h.demoToken, r.id, 'remove', { subnet_id: s3 })).statusCode).toBe(200);
    expect((await h.call('DELETE', `/v2.0/routers/${r.id}`, { token: h.demoToken })).statusCode).toBe(204);
  });

  it('tells the OVN side about the router and the ports it creates and deletes', async () => {
    synced.length = 0;
    const r = await router(h.demoToken, { external_gateway_info: { network_id: extNet } });
    const gwPorts = await h.call('GET', `/v2.0/ports?device_id=${r.id}&device_owner=network:router_gateway`, {
      token: h.adminToken,
    });
    const gw = (gwPorts.json().ports as Json[])[0]!;
    expect(gw).toMatchObject({ network_id: extNet, device_owner: 'network:router_gateway', project_id: '' });
    expect(synced).toEqual([`router:${r.id}`, `port:${gw.id}`]);
    const n = await net(h.demoToken, 'sync');
    const s = await subnet(h.demoToken, n, '10.70.0.0/24');
    synced.length = 0;
    const add = (await iface(h.demoToken, r.id, 'add', { subnet_id: s })).json();
    expect(synced).toEqual([`router:${r.id}`, `port:${add.port_id}`]);
    synced.length = 0;
    await iface(h.demoToken, r.id, 'remove', { subnet_id: s });
    expect(synced).toEqual([`router:${r.id}`, `port:${add.port_id}`]);
    synced.length = 0;
    expect((await h.call('DELETE', `/v2.0/routers/${r.id}`, { token: h.demoToken })).statusCode).toBe(204);
    expect(synced).toEqual([`router:${r.id}`, `port:${gw.id}`]);
    const left = await h.call('GET', `/v2.0/ports?device_id=${r.id}`, { token: h.adminToken });
    expect(left.json().ports).toEqual([]);
  });

  it('a router port cannot be deleted through the port API (409)', async () => {
    const r = await router(h.demoToken);
    const n = await net(h.demoToken, 'protected');
    const s = await subnet(h.demoToken, n, '10.71.0.0/24');
    const add = (await iface(h.demoToken, r.id, 'add', { subnet_id: s })).json();
    const del = await h.call('DELETE', `/v2.0/ports/${add.port_id}`, { token: h.demoToken });
    expect(del.statusCode).toBe(409);
  });

  it('concurrent interface adds of one subnet: exactly one wins', async () => {
    const r = await router(h.demoToken);
    const n = await net(h.demoToken, 'race');
    const s = await subnet(h.demoToken, n, '10.72.0.0/24');
    const all = await Promise.all(
      Array.from({ length: 5 }, () => iface(h.demoToken, r.id, 'add', { subnet_id: s })),
    );
    const codes = all.map((x) => x.statusCode).sort();
    expect(codes[0]).toBe(200);
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    for (const c of codes.slice(1)) expect([400, 409]).toContain(c);
  });

  it('a subnet without a gateway cannot be an interface (400)', async () => {
    const r = await router(h.demoToken);
    const n = await net(h.demoToken, 'nogw');
    const s = await subnet(h.demoToken, n, '10.20.0.0/24', { gateway_ip: null });
    const add = await iface(h.demoToken, r.id, 'add', { subnet_id: s });
    expect(add.statusCode).toBe(400);
  });

  it('interfaces by port: must be unbound, device becomes the router, removal deletes the port', async () => {
    const r = await router(h.demoToken);
    const n = await net(h.demoToken, 'byport');
    await subnet(h.demoToken, n, '10.30.0.0/24');
    const p = await h.call('POST', '/v2.0/ports', { token: h.demoToken, body: { port: { network_id: n } } });
    expect(p.statusCode, p.body).toBe(201);
    const portId = p.json().port.id as string;
    const add = await iface(h.demoToken, r.id, 'add', { port_id: portId });
    expect(add.statusCode, add.body).toBe(200);
    expect(add.json().port_id).toBe(portId);
    const shown = (await h.call('GET', `/v2.0/ports/${portId}`, { token: h.demoToken })).json().port;
    expect(shown).toMatchObject({ device_id: r.id, device_owner: 'network:router_interface' });
    const listed = (await h.call('GET', `/v2.0/ports?device_id=${r.id}`, { token: h.demoToken })).json()
      .ports as Json[];
    expect(listed.map((x) => x.id)).toEqual([portId]);
    const r2 = await router(h.demoToken);
    const busy = await iface(h.demoToken, r2.id, 'add', { port_id: portId });
    expect(busy.statusCode).toBe(409);
    const rm = await iface(h.demoToken, r.id, 'remove', { port_id: portId });
    expect(rm.statusCode, rm.body).toBe(200);
    expect((await h.call('GET', `/v2.0/ports/${portId}`, { token: h.demoToken })).statusCode).toBe(404);
  });

  it('extra routes: nexthop must be on a connected subnet and not the router itself', async () => {
    const r = await router(h.demoToken);
    const n = await net(h.demoToken, 'routes');
    const s = await subnet(h.demoToken, n, '10.40.0.0/24');
    expect((await iface(h.demoToken, r.id, 'add', { subnet_id: s })).statusCode).toBe(200);
    const routes = [
      { destination: '192.168.50.0/24', nexthop: '10.40.0.2' },
      { destination: '192.168.51.0/24', nexthop: '10.40.0.3' },
    ];
    const ok = await h.call('PUT', `/v2.0/routers/${r.id}`, {
      token: h.demoToken,
      body: { router: { routes } },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().router.routes).toEqual(routes);
    const bad: Json[] = [
      [{ destination: '192.168.52.0/24', nexthop: '10.99.0.1' }],
      [{ destination: '192.168.52.0/24', nexthop: '10.40.0.1' }],
      [{ destination: '192.168.52.1/24', nexthop: '10.40.0.2' }],
      [{ destination: 'x', nexthop: '10.40.0.2' }],
      [{ destination: '192.168.52.0/24' }],
      [{ destination: '2001:db8::/64', nexthop: '10.40.0.2' }],
    ];
    for (const b of bad) {
      const res = await h.call('PUT', `/v2.0/routers/${r.id}`, {
        token: h.demoToken,
        body: { router: { routes: b } },
      });
      expect(res.statusCode, `${JSON.stringify(b)} ${res.body}`).toBe(400);
    }
    // an interface a route needs cannot go
    const rm = await iface(h.demoToken, r.id, 'remove', { subnet_id: s });
    expect(rm.statusCode).toBe(409);
    const cleared = await h.call('PUT', `/v2.0/routers/${r.id}`, {
      token: h.demoToken,
      body: { router: { routes: null } },
    });
    expect(cleared.json().router.routes).toEqual([]);
    expect((await iface(h.demoToken, r.id, 'remove', { subnet_id: s })).statusCode).toBe(200);
  });

  it('enforces the router quota', async () => {
    const t = await h.tenant('rt-quota');
    const q = await h.call('PUT', `/v2.0/quotas/${t.projectId}`, {
      token: h.adminToken,
      body: { quota: { router: 1 } },
    });
    expect(q.statusCode, q.body).toBe(200);
    await router(t.token);
    const over = await h.call('POST', '/v2.0/routers', { token: t.token, body: { router: {} } });
    expect(over.statusCode).toBe(409);
    expect(errOf(over.body).type).toBe('OverQuota');
  });

  it('hostile bodies are 4xx, never 500', async () => {
    const r = await router(h.demoToken);
    const bodies: unknown[] = [
      null,
      [],
      'x',
      { router: null },
      { router: { name: 5 } },
      { router: { admin_state_up: 'maybe' } },
      { router: { external_gateway_info: 'x' } },
      { router: { external_gateway_info: { enable_snat: false } } },
      { router: { external_gateway_info: { network_id: 7 } } },
      { router: { external_gateway_info: { network_id: extNet, external_fixed_ips: 'x' } } },
      { router: { routes: 'x' } },
      { router: { routes: [1] } },
      { router: { distributed: true } },
      { router: { bogus: 1 } },
    ];
    for (const body of bodies) {
      for (const [m, url] of [
        ['POST', '/v2.0/routers'],
        ['PUT', `/v2.0/routers/${r.id}`],
      ] as const) {
        const res = await h.call(m, url, { token: h.demoToken, payload: JSON.stringify(body) });
        expect(res.statusCode, `${m} ${JSON.stringify(body)} ${res.body}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${m} ${JSON.stringify(body)} ${res.body}`).toBeLessThan(500);
      }
    }
    for (const body of [
      null,
      [],
      { subnet_id: 5 },
      { port_id: '' },
      { subnet_id: 'nope' },
      { port_id: 'nope' },
    ]) {
      for (const a of ['add', 'remove'] as const) {
        const res = await h.call('PUT', `/v2.0/routers/${r.id}/${a}_router_interface`, {
          token: h.demoToken,
          payload: JSON.stringify(body),
        });
        expect(res.statusCode, `${a} ${JSON.stringify(body)} ${res.body}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${a} ${JSON.stringify(body)} ${res.body}`).toBeLessThan(500);
      }
    }
    const unknown = await h.call('PUT', `/v2.0/routers/${randomUUID()}/add_router_interface`, {
      token: h.demoToken,
      body: { subnet_id: randomUUID() },
    });
    expect(unknown.statusCode).toBe(404);
  });
});

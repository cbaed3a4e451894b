import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkHarness, startNetwork } from './harness.js';

// biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON bodies
type Json = Record<string, any>;
const errOf = (body: string) => (JSON.parse(body) as Json).NeutronError as { type: string; message: string };

let h: NetworkHarness;
let extNet: string;
let priv: { net: string; subnet: string };
let routerId: string;
const synced: string[] = [];

beforeAll(async () => {
  h = await startNetwork({ sync: { request: (kind, id) => synced.push(`${kind}:${id}`) } });
  extNet = await net(h.adminToken, 'public', { 'router:external': true });
  await subnet(h.adminToken, extNet, '172.24.4.0/24');
  priv = await privateNet(h.demoToken, 'fip-net', '10.50.0.0/24');
  const r = await h.call('POST', '/v2.0/routers', {
    token: h.demoToken,
    body: { router: { name: 'fip-r', external_gateway_info: { network_id: extNet } } },
  });
  expect(r.statusCode, r.body).toBe(201);
  routerId = r.json().router.id;
  const i = await h.call('PUT', `/v2.0/routers/${routerId}/add_router_interface`, {
    token: h.demoToken,
    body: { subnet_id: priv.subnet },
  });
  expect(i.statusCode, i.body).toBe(200);
});
afterAll(async () => {
  await h?.close();
});

async function net(token: string, name: string, extra: Json = {}): Promise<string> {
  const r = await h.call('POST', '/v2.0/networks', { token, body: { network: { name, ...extra } } });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().network.id;
}
async function subnet(token: string, networkId: string, cidr: string): Promise<string> {
  const r = await h.call('POST', '/v2.0/subnets', {
    token,
    body: { subnet: { network_id: networkId, cidr, ip_version: cidr.includes(':') ? 6 : 4 } },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().subnet.id;
}
async function privateNet(token: string, name: string, cidr: string) {
  const n = await net(token, name);
  return { net: n, subnet: await subnet(token, n, cidr) };
}
async function port(token: string, networkId: string, extra: Json = {}): Promise<Json> {
  const r = await h.call('POST', '/v2.0/ports', {
    token,
    body: { port: { network_id: networkId, ...extra } },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().port;
}
const createFip = (token: string, body: Json) =>
  h.call('POST', '/v2.0/floatingips', { token, body: { floatingip: body } });
const updateFip = (token: string, id: string, body: Json) =>
  h.call('PUT', `/v2.0/floatingips/${id}`, { token, body: { floatingip: body } });

describe('floating IPs', () => {
  it('create unassociated, show, list, delete releases the address', async () => {
    const c = await createFip(h.demoToken, { floating_network_id: extNet, description: 'd' });
    expect(c.statusCode, c.body).toBe(201);
    const fip = c.json().floatingip as Json;
    expect(fip).toMatchObject({
      floating_network_id: extNet,
      port_id: null,
      fixed_ip_address: null,
      router_id: null,
      status: 'DOWN',
      description: 'd',
      project_id: h.demoProjectId,
      tenant_id: h.demoProjectId,
      port_details: null,
    });
    expect(fip.floating_ip_address).toMatch(/^172\.24\.4\.\d+$/);
    expect(synced).toContain(`floating_ip:${fip.id}`);
    const shown = await h.call('GET', `/v2.0/floatingips/${fip.id}`, { token: h.demoToken });
    expect(shown.json().floatingip).toEqual(fip);
    const list = await h.call('GET', `/v2.0/floatingips?floating_ip_address=${fip.floating_ip_address}`, {
      token: h.demoToken,
    });
    expect((list.json().floatingips as Json[]).map((f) => f.id)).toEqual([fip.id]);
    const down = await h.call('GET', '/v2.0/floatingips?status=ACTIVE', { token: h.demoToken });
    expect((down.json().floatingips as Json[]).some((f) => f.id === fip.id)).toBe(false);
    expect((await h.call('DELETE', `/v2.0/floatingips/${fip.id}`, { token: h.demoToken })).statusCode).toBe(
      204,
    );
    expect((await h.call('GET', `/v2.0/floatingips/${fip.id}`, { token: h.demoToken })).statusCode).toBe(404);
    // admin may ask for that exact address again
    const again = await createFip(h.adminToken, {
      floating_network_id: extNet,
      floating_ip_address: fip.floating_ip_address,
    });
    expect(again.statusCode, again.body).toBe(201);
    const mine = await createFip(h.demoToken, {
      floating_network_id: extNet,
      floating_ip_address: '172.24.4.250',
    });
    expect(mine.statusCode).toBe(403);
  });

  it('associate on create, re-associate, disassociate', async () => {
    const p0 = await port(h.demoToken, priv.net);
    const p1 = await port(h.demoToken, priv.net);
    const c = await createFip(h.demoToken, { floating_network_id: extNet, port_id: p0.id });
    expect(c.statusCode, c.body).toBe(201);
    const fip = c.json().floatingip as Json;
    expect(fip).toMatchObject({
      port_id: p0.id,
      fixed_ip_address: p0.fixed_ips[0].ip_address,
      router_id: routerId,
      status: 'ACTIVE',
    });
    expect(fip.port_details).toMatchObject({ network_id: priv.net, mac_address: p0.mac_address });
    const re = await updateFip(h.demoToken, fip.id, { port_id: p1.id });
    expect(re.statusCode, re.body).toBe(200);
    expect(re.json().floatingip).toMatchObject({
      port_id: p1.id,
      fixed_ip_address: p1.fixed_ips[0].ip_address,
      router_id: routerId,
    });
    const dis = await updateFip(h.demoToken, fip.id, { port_id: null });
    expect(dis.json().floatingip).toMatchObject({
      port_id: null,
      fixed_ip_address: null,
      router_id: null,
      status: 'DOWN',
    });
    expect(dis.json().floatingip.revision_number).toBe(fip.revision_number + 2);
  });

  it('one floating IP per fixed IP (409), and a chosen fixed IP must be the port’s (400)', async () => {
    const p = await port(h.demoToken, priv.net, {
      fixed_ips: [
        { subnet_id: priv.subnet, ip_address: '10.50.0.100' },
        { subnet_id: priv.subnet, ip_address: '10.50.0.101' },
      ],
    });
    const noChoice = await createFip(h.demoToken, { floating_network_id: extNet, port_id: p.id });
    expect(noChoice.statusCode).toBe(400);
    const a = await createFip(h.demoToken, {
      floating_network_id: extNet,
      port_id: p.id,
      fixed_ip_address: '10.50.0.100',
    });
    expect(a.statusCode, a.body).toBe(201);
    const dup = await createFip(h.demoToken, {
      floating_network_id: extNet,
      port_id: p.id,
      fixed_ip_address: '10.50.0.100',
    });
    expect(dup.statusCode).toBe(409);
    expect(errOf(dup.body).type).toBe('FloatingIPPortAlreadyAssociated');
    const notMine = await createFip(h.demoToken, {
      floating_network_id: extNet,
      port_id: p.id,
      fixed_ip_address: '10.50.0.7',
    });
    expect(notMine.statusCode).toBe(400);
    const other = await updateFip(h.demoToken, a.json().floatingip.id, {
      port_id: p.id,
      fixed_ip_address: '10.50.0.101',
    });
    expect(other.statusCode, other.body).toBe(200);
    expect(other.json().floatingip.fixed_ip_address).toBe('10.50.0.101');
    // concurrent associations of one fixed IP: exactly one wins
    const f1 = (await createFip(h.demoToken, { floating_network_id: extNet })).json().floatingip.id;
    const f2 = (await createFip(h.demoToken, { floating_network_id: extNet })).json().floatingip.id;
    const both = await Promise.all(
      [f1, f2].map((id) => updateFip(h.demoToken, id, { port_id: p.id, fixed_ip_address: '10.50.0.100' })),
    );
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 409]);
  });

  it('no router from the port’s subnet to the external network: 404', async () => {
    const lonely = await privateNet(h.demoToken, 'lonely', '10.60.0.0/24');
    const r = await h.call('POST', '/v2.0/routers', {
      token: h.demoToken,
      body: { router: { name: 'nogw' } },
    });
    await h.call('PUT', `/v2.0/routers/${r.json().router.id}/add_router_interface`, {
      token: h.demoToken,
      body: { subnet_id: lonely.subnet },
    });
    const p = await port(h.demoToken, lonely.net);
    const c = await createFip(h.demoToken, { floating_network_id: extNet, port_id: p.id });
    expect(c.statusCode).toBe(404);
    expect(errOf(c.body).type).toBe('ExternalGatewayForFloatingIPNotFound');
    const f = (await createFip(h.demoToken, { floating_network_id: extNet })).json().floatingip;
    const u = await updateFip(h.demoToken, f.id, { port_id: p.id });
    expect(u.statusCode).toBe(404);
  });

  it('association racing interface removal: never a floating IP through a missing interface', async () => {
    for (let i = 0; i < 4; i++) {
      const n = await privateNet(h.demoToken, `race${i}`, `10.8${i}.0.0/24`);
      const r = await h.call('POST', '/v2.0/routers', {
        token: h.demoToken,
        body: { router: { external_gateway_info: { network_id: extNet } } },
      });
      const rid = r.json().router.id as string;
      await h.call('PUT', `/v2.0/routers/${rid}/add_router_interface`, {
        token: h.demoToken,
        body: { subnet_id: n.subnet },
      });
      const p = await port(h.demoToken, n.net);
      const [fip, rm] = await Promise.all([
        createFip(h.demoToken, { floating_network_id: extNet, port_id: p.id }),
        h.call('PUT', `/v2.0/routers/${rid}/remove_router_interface`, {
          token: h.demoToken,
          body: { subnet_id: n.subnet },
        }),
      ]);
      const outcome = `${fip.statusCode}/${rm.statusCode}`;
      expect(['201/409', '404/200'], `${outcome} ${fip.body} ${rm.body}`).toContain(outcome);
    }
  });

  it('a private network is not a floating network (400); unknown network 404', async () => {
    const p = await port(h.demoToken, priv.net);
    const c = await createFip(h.demoToken, { floating_network_id: priv.net, port_id: p.id });
    expect(c.statusCode).toBe(400);
    const u = await createFip(h.demoToken, { floating_network_id: randomUUID() });
    expect(u.statusCode).toBe(404);
  });

  it('deleting the port disassociates its floating IP', async () => {
    const p = await port(h.demoToken, priv.net);
    const f = (await createFip(h.demoToken, { floating_network_id: extNet, port_id: p.id })).json()
      .floatingip;
    expect((await h.call('DELETE', `/v2.0/ports/${p.id}`, { token: h.demoToken })).statusCode).toBe(204);
    const shown = (await h.call('GET', `/v2.0/floatingips/${f.id}`, { token: h.demoToken })).json()
      .floatingip;
    expect(shown).toMatchObject({ port_id: null, fixed_ip_address: null, router_id: null });
  });

  it('the interface and gateway a floating IP needs cannot go (409)', async () => {
    const p = await port(h.demoToken, priv.net);
    const f = (await createFip(h.demoToken, { floating_network_id: extNet, port_id: p.id })).json()
      .floatingip;
    const rm = await h.call('PUT', `/v2.0/routers/${routerId}/remove_router_interface`, {
      token: h.demoToken,
      body: { subnet_id: priv.subnet },
    });
    expect(rm.statusCode).toBe(409);
    const gw = await h.call('PUT', `/v2.0/routers/${routerId}`, {
      token: h.demoToken,
      body: { router: { external_gateway_info: {} } },
    });
    expect(gw.statusCode).toBe(409);
    await updateFip(h.demoToken, f.id, { port_id: null });
  });

  it("other tenants: cannot see the floating IP (404) nor associate someone else's port", async () => {
    const t = await h.tenant('fip-other');
    const mine = (await createFip(h.demoToken, { floating_network_id: extNet })).json().floatingip;
    for (const [m, body] of [
      ['GET', undefined],
      ['PUT', { floatingip: { port_id: null } }],
      ['DELETE', undefined],
    ] as const) {
      const r = await h.call(m, `/v2.0/floatingips/${mine.id}`, { token: t.token, body });
      expect(r.statusCode).toBe(404);
    }
    const theirs = (await createFip(t.token, { floating_network_id: extNet })).json().floatingip;
    const p = await port(h.demoToken, priv.net);
    const steal = await updateFip(t.token, theirs.id, { port_id: p.id });
    expect(steal.statusCode).toBe(404);
    const list = await h.call('GET', '/v2.0/floatingips', { token: t.token });
    expect((list.json().floatingips as Json[]).map((x) => x.id)).toEqual([theirs.id]);
    const all = await h.call('GET', '/v2.0/floatingips', { token: h.adminToken });
    const ids = (all.json().floatingips as Json[]).map((x) => x.id);
    expect(ids).toContain(mine.id);
    expect(ids).toContain(theirs.id);
  });

  it('admin creates for a project; quota', async () => {
    const t = await h.tenant('fip-quota');
    const a = await createFip(h.adminToken, { floating_network_id: extNet, project_id: t.projectId });
    expect(a.statusCode).toBe(201);
    expect(a.json().floatingip.project_id).toBe(t.projectId);
    const q = await h.call('PUT', `/v2.0/quotas/${t.projectId}`, {
      token: h.adminToken,
      body: { quota: { floatingip: 1 } },
    });
    expect(q.statusCode, q.body).toBe(200);
    const over = await createFip(t.token, { floating_network_id: extNet });
    expect(over.statusCode).toBe(409);
    expect(errOf(over.body).type).toBe('OverQuota');
  });

  it('hostile bodies are 4xx, never 500', async () => {
    const f = (await createFip(h.demoToken, { floating_network_id: extNet })).json().floatingip;
    const bodies: unknown[] = [
      null,
      [],
      'x',
      { floatingip: null },
      { floatingip: {} },
      { floatingip: { floating_network_id: 5 } },
      { floatingip: { floating_network_id: extNet, port_id: 'nope' } },
      { floatingip: { floating_network_id: extNet, fixed_ip_address: '10.0.0.1' } },
      { floatingip: { floating_network_id: extNet, floating_ip_address: 'x' } },
      { floatingip: { floating_network_id: extNet, subnet_id: randomUUID() } },
      { floatingip: { floating_network_id: extNet, bogus: 1 } },
      { floatingip: { port_id: 7 } },
      { floatingip: { floating_network_id: extNet, description: 5 } },
    ];
    for (const body of bodies) {
      for (const [m, url] of [
        ['POST', '/v2.0/floatingips'],
        ['PUT', `/v2.0/floatingips/${f.id}`],
      ] as const) {
        if (m === 'PUT' && JSON.stringify(body) === '{"floatingip":{}}') continue; // a valid no-op update
        const res = await h.call(m, url, { token: h.demoToken, payload: JSON.stringify(body) });
        expect(res.statusCode, `${m} ${JSON.stringify(body)} ${res.body}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${m} ${JSON.stringify(body)} ${res.body}`).toBeLessThan(500);
      }
    }
    for (const q of ['?bogus=1', '?limit=x', '?sort_key=nope', '?status=true&limit=-1']) {
      const res = await h.call('GET', `/v2.0/floatingips${q}`, { token: h.demoToken });
      expect(res.statusCode, `${q} ${res.body}`).toBe(400);
    }
  });
});

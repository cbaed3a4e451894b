import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkHarness, startNetwork } from './harness.js';

let h: NetworkHarness;
let other: { projectId: string; token: string };
beforeAll(async () => {
  h = await startNetwork();
  other = await h.tenant('net-other');
});
afterAll(async () => {
  await h?.close();
});

const neutronError = (res: { json(): unknown }) =>
  (res.json() as { NeutronError: { type: string; message: string } }).NeutronError;

async function createNet(token: string, body: Record<string, unknown> = {}) {
  const r = await h.call('POST', '/v2.0/networks', { token, body: { network: { name: 'n', ...body } } });
  if (r.statusCode !== 201) throw new Error(`${r.statusCode} ${r.body}`);
  return (r.json() as { network: Record<string, unknown> }).network;
}

describe('versions and extensions', () => {
  it('GET / lists v2.0 without a token', async () => {
    const r = await h.call('GET', '/');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      versions: [
        { id: 'v2.0', status: 'CURRENT', links: [{ href: 'http://127.0.0.1:9696/v2.0/', rel: 'self' }] },
      ],
    });
    const v = await h.call('GET', '/v2.0/', { token: h.demoToken });
    expect((v.json() as { resources: { name: string }[] }).resources.map((x) => x.name)).toContain('port');
  });

  it('lists and shows extensions; unknown alias 404', async () => {
    const r = await h.call('GET', '/v2.0/extensions', { token: h.demoToken });
    const exts = (r.json() as { extensions: { alias: string }[] }).extensions;
    expect(exts.map((e) => e.alias)).toContain('quotas');
    const one = await h.call('GET', '/v2.0/extensions/net-mtu', { token: h.demoToken });
    expect(one.statusCode).toBe(200);
    expect((one.json() as { extension: { alias: string } }).extension.alias).toBe('net-mtu');
    const bad = await h.call('GET', '/v2.0/extensions/nope', { token: h.demoToken });
    expect(bad.statusCode).toBe(404);
    expect(neutronError(bad).type).toBe('ExtensionNotFound');
  });

  it('lists no agents (OVN has none) and does not claim the agent extension', async () => {
    const r = await h.call('GET', '/v2.0/agents', { token: h.demoToken });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ agents: [] });
    const ext = await h.call('GET', '/v2.0/extensions/agent', { token: h.demoToken });
    expect(ext.statusCode).toBe(404);
  });

  it('401 without a token, 404 unknown route, 405 wrong method, 400 malformed JSON', async () => {
    expect((await h.call('GET', '/v2.0/networks')).statusCode).toBe(401);
    const nf = await h.call('GET', '/v2.0/nothing', { token: h.demoToken });
    expect(nf.statusCode).toBe(404);
    expect(neutronError(nf)).toBeDefined();
    const m = await h.call('PATCH', '/v2.0/networks', { token: h.demoToken, body: {} });
    expect(m.statusCode).toBe(405);
    const bad = await h.call('POST', '/v2.0/networks', { token: h.demoToken, payload: '{"network": ' });
    expect(bad.statusCode).toBe(400);
    expect(neutronError(bad)).toBeDefined();
  });
});

describe('networks', () => {
  it('creates with Neutron defaults; provider attributes only for admins', async () => {
    const n = await createNet(h.demoToken, { description: 'd1' });
    expect(n).toMatchObject({
      status: 'ACTIVE',
      admin_state_up: true,
      shared: false,
      'router:external': false,
      mtu: 1442,
      port_security_enabled: true,
      subnets: [],
      description: 'd1',
      tenant_id: h.demoProjectId,
      project_id: h.demoProjectId,
      revision_number: 1,
      availability_zones: ['nova'],
    });
    expect(n['provider:network_type']).toBeUndefined();
    expect(String(n.created_at)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const a = await h.call('GET', `/v2.0/networks/${n.id}`, { token: h.adminToken });
    const an = (a.json() as { network: Record<string, unknown> }).network;
    expect(an['provider:network_type']).toBe('geneve');
    expect(an['provider:segmentation_id']).toEqual(expect.any(Number));
  });

  it('allocates distinct VNIs under concurrency', async () => {
    const nets = await Promise.all(Array.from({ length: 10 }, () => createNet(h.adminToken)));
    const vnis = nets.map((n) => n['provider:segmentation_id']);
    expect(new Set(vnis).size).toBe(10);
  });

  it('bulk create', async () => {
    const r = await h.call('POST', '/v2.0/networks', {
      token: h.demoToken,
      body: { networks: [{ name: 'a' }, { name: 'b' }] },
    });
    expect(r.statusCode).toBe(201);
    expect((r.json() as { networks: unknown[] }).networks).toHaveLength(2);
  });

  it('admin-only attributes: shared, router:external, provider → 403 for members', async () => {
    for (const body of [
      { shared: true },
      { 'router:external': true },
      { 'provider:network_type': 'vxlan' },
    ]) {
      const r = await h.call('POST', '/v2.0/networks', { token: h.demoToken, body: { network: body } });
      expect(r.statusCode).toBe(403);
    }
    const flat = await createNet(h.adminToken, {
      'provider:network_type': 'flat',
      'provider:physical_network': 'physnet1',
      'router:external': true,
    });
    expect(flat).toMatchObject({
      'provider:network_type': 'flat',
      'provider:segmentation_id': null,
      mtu: 1500,
    });
    const again = await h.call('POST', '/v2.0/networks', {
      token: h.adminToken,
      body: { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } },
    });
    expect(again.statusCode).toBe(409);
    const vlan = await h.call('POST', '/v2.0/networks', {
      token: h.adminToken,
      body: { network: { 'provider:network_type': 'vlan' } },
    });
    expect(vlan.statusCode).toBe(400);
  });

  it('mtu: writable, bounded', async () => {
    const n = await createNet(h.demoToken, { mtu: 1400 });
    expect(n.mtu).toBe(1400);
    const big = await h.call('PUT', `/v2.0/networks/${n.id}`, {
      token: h.demoToken,
      body: { network: { mtu: 9000 } },
    });
    expect(big.statusCode).toBe(400);
    const small = await h.call('PUT', `/v2.0/networks/${n.id}`, {
      token: h.demoToken,
      body: { network: { mtu: 10 } },
    });
    expect(small.statusCode).toBe(400);
    const ok = await h.call('PUT', `/v2.0/networks/${n.id}`, {
      token: h.demoToken,
      body: { network: { mtu: 1300 } },
    });
    expect((ok.json() as { network: { mtu: number; revision_number: number } }).network).toMatchObject({
      mtu: 1300,
      revision_number: 2,
    });
  });

  it("other tenants' networks are 404; shared and external ones are visible but read-only", async () => {
    const mine = await createNet(h.demoToken);
    for (const [m, body] of [
      ['GET', undefined],
      ['PUT', { network: { name: 'x' } }],
      ['DELETE', undefined],
    ] as const) {
      const r = await h.call(m, `/v2.0/networks/${mine.id}`, { token: other.token, body });
      expect(r.statusCode).toBe(404);
      expect(neutronError(r).type).toBe('NetworkNotFound');
    }
    const list = await h.call('GET', '/v2.0/networks', { token: other.token });
    expect((list.json() as { networks: { id: string }[] }).networks.map((n) => n.id)).not.toContain(mine.id);
    const shared = await createNet(h.adminToken, { shared: true });
    const ext = await createNet(h.adminToken, { 'router:external': true });
    const seen = (await h.call('GET', '/v2.0/networks', { token: other.token })).json() as {
      networks: { id: string }[];
    };
    expect(seen.networks.map((n) => n.id)).toEqual(expect.arrayContaining([shared.id, ext.id]));
    const upd = await h.call('PUT', `/v2.0/networks/${shared.id}`, {
      token: other.token,
      body: { network: { name: 'x' } },
    });
    expect(upd.statusCode).toBe(403);
  });

  it('If-Match revision_number → 412 on mismatch', async () => {
    const n = await createNet(h.demoToken);
    const bad = await h.call('PUT', `/v2.0/networks/${n.id}`, {
      token: h.demoToken,
      headers: { 'if-match': 'revision_number=7' },
      body: { network: { name: 'y' } },
    });
    expect(bad.statusCode).toBe(412);
    expect(neutronError(bad).type).toBe('RevisionNumberConstraintFailed');
    const good = await h.call('PUT', `/v2.0/networks/${n.id}`, {
      token: h.demoToken,
      headers: { 'if-match': 'revision_number=1' },
      body: { network: { name: 'y' } },
    });
    expect(good.statusCode).toBe(200);
    const del = await h.call('DELETE', `/v2.0/networks/${n.id}`, {
      token: h.demoToken,
      headers: { 'if-match': 'revision_number=1' },
    });
    expect(del.statusCode).toBe(412);
    expect(
      (
        await h.call('DELETE', `/v2.0/networks/${n.id}`, {
          token: h.demoToken,
          headers: { 'if-match': 'revision_number=2' },
        })
      ).statusCode,
    ).toBe(204);
  });

  it('bad input is a 400, unknown attributes too', async () => {
    for (const body of [
      { network: { name: 5 } },
      { network: { admin_state_up: 'maybe' } },
      { network: { bogus: 1 } },
      { network: 'x' },
      { networks: [] },
      {},
      { network: { availability_zone_hints: ['zone9'] } },
    ]) {
      const r = await h.call('POST', '/v2.0/networks', { token: h.demoToken, body });
      expect([400, 404], `${JSON.stringify(body)} → ${r.body}`).toContain(r.statusCode);
      expect(neutronError(r)).toBeDefined();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointUrlFormatOk } from '../src/routes/endpoints.routes.js';
import { ADMIN_PASSWORD, type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await startIdentity();
});
afterAll(async () => {
  await h?.close();
});

const admin = (method: string, url: string, body?: unknown) =>
  h.call(method, url, { token: h.adminToken, ...(body !== undefined ? { body } : {}) });
const long = 'x'.repeat(10_000);

async function newService(type = `type-${Math.random().toString(36).slice(2)}`, extra = {}) {
  const res = await admin('POST', '/v3/services', { service: { type, name: `svc-${type}`, ...extra } });
  expect(res.statusCode).toBe(201);
  return res.json().service as { id: string; type: string; name: string };
}

describe('regions', () => {
  it('creates, updates, shows, lists and deletes', async () => {
    const parent = await admin('POST', '/v3/regions', { region: { description: 'p' } });
    expect(parent.statusCode).toBe(201);
    const p = parent.json().region;
    expect(p.id).toMatch(/^[0-9a-f]{32}$/);
    expect(p).toMatchObject({ description: 'p', parent_region_id: null });
    expect(p.links.self).toContain(`/v3/regions/${p.id}`);

    const other = (await admin('POST', '/v3/regions', { region: { description: 'o' } })).json().region;
    const child = await admin('POST', '/v3/regions', {
      region: { description: 'c', parent_region_id: p.id, color: 'blue' },
    });
    expect(child.statusCode).toBe(201);
    const c = child.json().region;
    expect(c).toMatchObject({ parent_region_id: p.id, color: 'blue' });

    const upd = await admin('PATCH', `/v3/regions/${c.id}`, {
      region: { description: 'c2', parent_region_id: other.id },
    });
    expect(upd.statusCode).toBe(200);
    expect(upd.json().region).toMatchObject({ description: 'c2', parent_region_id: other.id, color: 'blue' });

    const shown = await admin('GET', `/v3/regions/${c.id}`);
    expect(shown.json().region).toEqual(upd.json().region);

    const filtered = await admin('GET', `/v3/regions?parent_region_id=${other.id}`);
    expect(filtered.json().regions.map((r: { id: string }) => r.id)).toEqual([c.id]);
    const all = await admin('GET', '/v3/regions');
    const ids = all.json().regions.map((r: { id: string }) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['RegionOne', p.id, other.id, c.id]));

    expect((await admin('DELETE', `/v3/regions/${c.id}`)).statusCode).toBe(204);
    expect((await admin('GET', `/v3/regions/${c.id}`)).statusCode).toBe(404);
    expect((await admin('DELETE', `/v3/regions/${c.id}`)).statusCode).toBe(404);
  });

  it('creates with a chosen id by POST and by PUT; a duplicate is 409', async () => {
    const byPost = await admin('POST', '/v3/regions', { region: { id: 'EU-West' } });
    expect(byPost.statusCode).toBe(201);
    expect(byPost.json().region).toMatchObject({ id: 'EU-West', description: '' });
    expect((await admin('POST', '/v3/regions', { region: { id: 'EU-West' } })).statusCode).toBe(409);

    const byPut = await admin('PUT', '/v3/regions/EU-East', { region: { description: 'east' } });
    expect(byPut.statusCode).toBe(201);
    expect(byPut.json().region.id).toBe('EU-East');
    expect((await admin('PUT', '/v3/regions/EU-East', { region: {} })).statusCode).toBe(409);
    const mismatch = await admin('PUT', '/v3/regions/EU-North', { region: { id: 'other' } });
    expect(mismatch.statusCode).toBe(400);
    const emptyId = await admin('POST', '/v3/regions', { region: { id: '' } });
    expect(emptyId.statusCode).toBe(201);
    expect(emptyId.json().region.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses a missing parent (404), a cycle (400) and bad input (400)', async () => {
    expect((await admin('POST', '/v3/regions', { region: { parent_region_id: 'nope' } })).statusCode).toBe(
      404,
    );
    const a = (await admin('POST', '/v3/regions', { region: {} })).json().region;
    const b = (await admin('POST', '/v3/regions', { region: { parent_region_id: a.id } })).json().region;
    const c = (await admin('POST', '/v3/regions', { region: { parent_region_id: b.id } })).json().region;
    expect(
      (await admin('PATCH', `/v3/regions/${a.id}`, { region: { parent_region_id: c.id } })).statusCode,
    ).toBe(400);
    expect(
      (await admin('PATCH', `/v3/regions/${a.id}`, { region: { parent_region_id: a.id } })).statusCode,
    ).toBe(400);
    expect(
      (await admin('PATCH', `/v3/regions/${a.id}`, { region: { parent_region_id: 'nope' } })).statusCode,
    ).toBe(404);
    expect((await admin('PATCH', `/v3/regions/${a.id}`, { region: {} })).statusCode).toBe(400);
    expect((await admin('PATCH', '/v3/regions/nope', { region: { description: 'x' } })).statusCode).toBe(404);
    for (const region of [
      { id: long },
      { description: long },
      { description: 42 },
      { parent_region_id: 7 },
      { id: 'a\u0000b' },
      { nested: 'a\u0000b' },
    ]) {
      const res = await admin('POST', '/v3/regions', { region });
      expect(res.statusCode, JSON.stringify(region).slice(0, 60)).toBe(400);
    }
    expect((await admin('POST', '/v3/regions', { nope: {} })).statusCode).toBe(400);
    expect((await admin('PUT', `/v3/regions/${'y'.repeat(300)}`, { region: {} })).statusCode).toBe(400);
    expect((await admin('GET', '/v3/regions/%00')).statusCode).toBe(404);
    expect((await admin('GET', '/v3/regions?parent_region_id=%00')).json().regions).toEqual([]);
  });

  it('deletes child regions with their parent, but not a region whose tree has endpoints (403)', async () => {
    const top = (await admin('POST', '/v3/regions', { region: {} })).json().region;
    const mid = (await admin('POST', '/v3/regions', { region: { parent_region_id: top.id } })).json().region;
    const svc = await newService();
    const ep = await admin('POST', '/v3/endpoints', {
      endpoint: { service_id: svc.id, interface: 'public', url: 'http://x:1/', region_id: mid.id },
    });
    expect(ep.statusCode).toBe(201);
    expect((await admin('DELETE', `/v3/regions/${top.id}`)).statusCode).toBe(403);
    expect((await admin('DELETE', `/v3/regions/${mid.id}`)).statusCode).toBe(403);
    expect((await admin('DELETE', `/v3/endpoints/${ep.json().endpoint.id}`)).statusCode).toBe(204);
    expect((await admin('DELETE', `/v3/regions/${top.id}`)).statusCode).toBe(204);
    expect((await admin('GET', `/v3/regions/${mid.id}`)).statusCode).toBe(404);
  });

  it('lets any user read regions but only an admin write them', async () => {
    expect((await h.call('GET', '/v3/regions', { token: h.demoToken })).statusCode).toBe(200);
    expect((await h.call('GET', '/v3/regions/RegionOne', { token: h.demoToken })).statusCode).toBe(200);
    const write = await h.call('POST', '/v3/regions', { token: h.demoToken, body: { region: {} } });
    expect(write.statusCode).toBe(403);
    expect(write.json().error.code).toBe(403);
    expect(
      (await h.call('PUT', '/v3/regions/x', { token: h.demoToken, body: { region: {} } })).statusCode,
    ).toBe(403);
    expect((await h.call('DELETE', '/v3/regions/RegionOne', { token: h.demoToken })).statusCode).toBe(403);
    expect((await h.call('GET', '/v3/regions')).statusCode).toBe(401);
  });
});

describe('services', () => {
  it('creates, updates, shows, filters and deletes', async () => {
    const created = await admin('POST', '/v3/services', {
      service: { type: 'compute-x', name: 'nova-x', description: 'Compute', color: 'red' },
    });
    expect(created.statusCode).toBe(201);
    const s = created.json().service;
    expect(s).toMatchObject({
      type: 'compute-x',
      name: 'nova-x',
      description: 'Compute',
      enabled: true,
      color: 'red',
    });
    expect(s.links.self).toContain(`/v3/services/${s.id}`);

    const bare = (await admin('POST', '/v3/services', { service: { type: 'bare' } })).json().service;
    expect(bare).toMatchObject({ type: 'bare', name: '', enabled: true });
    expect(bare).not.toHaveProperty('description');

    const upd = await admin('PATCH', `/v3/services/${s.id}`, {
      service: { description: 'C2', enabled: false },
    });
    expect(upd.statusCode).toBe(200);
    expect(upd.json().service).toMatchObject({
      description: 'C2',
      enabled: false,
      name: 'nova-x',
      color: 'red',
    });
    expect((await admin('GET', `/v3/services/${s.id}`)).json().service).toEqual(upd.json().service);

    const byType = await admin('GET', '/v3/services?type=compute-x');
    expect(byType.json().services.map((x: { id: string }) => x.id)).toEqual([s.id]);
    const byName = await admin('GET', '/v3/services?name=nova-x');
    expect(byName.json().services).toHaveLength(1);
    const all = await admin('GET', '/v3/services');
    expect(all.json().services.map((x: { type: string }) => x.type)).toEqual(
      expect.arrayContaining(['identity', 'compute-x', 'bare']),
    );

    expect((await admin('DELETE', `/v3/services/${s.id}`)).statusCode).toBe(204);
    expect((await admin('GET', `/v3/services/${s.id}`)).statusCode).toBe(404);
    expect((await admin('DELETE', `/v3/services/${s.id}`)).statusCode).toBe(404);
    expect((await admin('PATCH', `/v3/services/${s.id}`, { service: { name: 'x' } })).statusCode).toBe(404);
  });

  it('refuses bad input with 400', async () => {
    for (const service of [
      {},
      { type: '' },
      { type: 42 },
      { type: long },
      { type: 't', name: long },
      { type: 't', enabled: 'true' },
      { type: 't', name: 'a\u0000' },
    ]) {
      const res = await admin('POST', '/v3/services', { service });
      expect(res.statusCode, JSON.stringify(service).slice(0, 60)).toBe(400);
    }
    const s = await newService();
    expect((await admin('PATCH', `/v3/services/${s.id}`, { service: {} })).statusCode).toBe(400);
    expect((await admin('PATCH', `/v3/services/${s.id}`, { service: { id: 'other' } })).statusCode).toBe(400);
    expect((await admin('PATCH', `/v3/services/${s.id}`, { service: { enabled: 'False' } })).statusCode).toBe(
      400,
    );
    const malformed = await h.call('POST', '/v3/services', {
      token: h.adminToken,
      body: '{"service": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
  });

  it('deleting a service deletes its endpoints', async () => {
    const s = await newService();
    const ep = (
      await admin('POST', '/v3/endpoints', {
        endpoint: { service_id: s.id, interface: 'public', url: 'http://svc:1/' },
      })
    ).json().endpoint;
    expect((await admin('DELETE', `/v3/services/${s.id}`)).statusCode).toBe(204);
    expect((await admin('GET', `/v3/endpoints/${ep.id}`)).statusCode).toBe(404);
  });

  it('is for admins only', async () => {
    const demo = { token: h.demoToken };
    expect((await h.call('GET', '/v3/services', demo)).statusCode).toBe(403);
    expect(
      (await h.call('POST', '/v3/services', { ...demo, body: { service: { type: 'x' } } })).statusCode,
    ).toBe(403);
    const s = await newService();
    expect(
      (await h.call('PATCH', `/v3/services/${s.id}`, { ...demo, body: { service: { name: 'y' } } }))
        .statusCode,
    ).toBe(403);
    expect((await h.call('DELETE', `/v3/services/${s.id}`, demo)).statusCode).toBe(403);
  });
});

describe('endpoints', () => {
  it('creates with the legacy region (auto-created), updates, shows, filters, deletes', async () => {
    const s1 = await newService();
    const s2 = await newService();
    const created = await admin('POST', '/v3/endpoints', {
      endpoint: {
        service_id: s1.id,
        interface: 'public',
        url: 'http://compute:8774/v2.1/%(tenant_id)s',
        region: 'Legacy-1',
        enabled: true,
        note: 'extra',
      },
    });
    expect(created.statusCode).toBe(201);
    const e = created.json().endpoint;
    expect(e).toMatchObject({
      service_id: s1.id,
      interface: 'public',
      url: 'http://compute:8774/v2.1/%(tenant_id)s',
      region: 'Legacy-1',
      region_id: 'Legacy-1',
      enabled: true,
      note: 'extra',
    });
    expect(e.links.self).toContain(`/v3/endpoints/${e.id}`);
    expect((await admin('GET', '/v3/regions/Legacy-1')).statusCode).toBe(200);

    const other = await admin('POST', '/v3/endpoints', {
      endpoint: { service_id: s2.id, interface: 'internal', url: 'http://int:1/', region_id: 'RegionOne' },
    });
    expect(other.statusCode).toBe(201);
    const o = other.json().endpoint;

    const upd = await admin('PATCH', `/v3/endpoints/${e.id}`, {
      endpoint: {
        service_id: s2.id,
        interface: 'admin',
        url: 'https://new:1/',
        region: 'Legacy-2',
        enabled: false,
      },
    });
    expect(upd.statusCode).toBe(200);
    expect(upd.json().endpoint).toMatchObject({
      service_id: s2.id,
      interface: 'admin',
      url: 'https://new:1/',
      region_id: 'Legacy-2',
      region: 'Legacy-2',
      enabled: false,
      note: 'extra',
    });
    expect((await admin('GET', '/v3/regions/Legacy-2')).statusCode).toBe(200);
    expect((await admin('GET', `/v3/endpoints/${e.id}`)).json().endpoint).toEqual(upd.json().endpoint);

    const ids = (url: string) =>
      admin('GET', url).then((r) => r.json().endpoints.map((x: { id: string }) => x.id) as string[]);
    expect((await ids(`/v3/endpoints?service_id=${s2.id}`)).sort()).toEqual([e.id, o.id].sort());
    expect(await ids(`/v3/endpoints?service_id=${s1.id}`)).toEqual([]);
    expect(await ids('/v3/endpoints?interface=internal')).toContain(o.id);
    expect(await ids('/v3/endpoints?interface=internal')).not.toContain(e.id);
    expect(await ids('/v3/endpoints?region_id=Legacy-2')).toEqual([e.id]);
    expect(await ids('/v3/endpoints')).toEqual(expect.arrayContaining([e.id, o.id]));
    expect((await admin('GET', '/v3/endpoints?interface=sideways')).statusCode).toBe(400);

    const clear = await admin('PATCH', `/v3/endpoints/${o.id}`, { endpoint: { region_id: null } });
    expect(clear.json().endpoint).toMatchObject({ region_id: null, region: null });

    expect((await admin('DELETE', `/v3/endpoints/${e.id}`)).statusCode).toBe(204);
    expect((await admin('GET', `/v3/endpoints/${e.id}`)).statusCode).toBe(404);
    expect((await admin('DELETE', `/v3/endpoints/${e.id}`)).statusCode).toBe(404);
    expect(
      (await admin('PATCH', `/v3/endpoints/${e.id}`, { endpoint: { url: 'http://a:1' } })).statusCode,
    ).toBe(404);
  });

  it('refuses unknown references and bad input with 400', async () => {
    const s = await newService();
    const base = { service_id: s.id, interface: 'public', url: 'http://ok:1/' };
    const bad: Record<string, unknown>[] = [
      { ...base, service_id: 'no-such-service' },
      { ...base, region_id: 'no-such-region' },
      { ...base, interface: 'sideways' },
      { ...base, interface: 42 },
      { ...base, url: long },
      { ...base, url: 'not a url' },
      { ...base, url: 42 },
      { ...base, url: 'http://x/%(nope)s' },
      { ...base, url: 'http://x/%2Fencoded' },
      { ...base, enabled: 'False' },
      { ...base, enabled: 'True' },
      { ...base, region_id: long },
      { ...base, service_id: 'a\u0000' },
      { interface: 'public', url: 'http://x:1/' },
      { service_id: s.id, interface: 'public' },
      { service_id: s.id, url: 'http://x:1/' },
    ];
    for (const endpoint of bad) {
      const res = await admin('POST', '/v3/endpoints', { endpoint });
      expect(res.statusCode, JSON.stringify(endpoint).slice(0, 80)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
    const ok = (await admin('POST', '/v3/endpoints', { endpoint: base })).json().endpoint;
    for (const endpoint of [
      {},
      { enabled: 'True' },
      { interface: 'x' },
      { service_id: 'nope' },
      { region_id: 'nope' },
      { id: 'different' },
    ]) {
      const res = await admin('PATCH', `/v3/endpoints/${ok.id}`, { endpoint });
      expect(res.statusCode, JSON.stringify(endpoint)).toBe(400);
    }
    expect((await admin('GET', '/v3/endpoints/%00')).statusCode).toBe(404);
  });

  it('is for admins only', async () => {
    const demo = { token: h.demoToken };
    const s = await newService();
    expect((await h.call('GET', '/v3/endpoints', demo)).statusCode).toBe(403);
    const res = await h.call('POST', '/v3/endpoints', {
      ...demo,
      body: { endpoint: { service_id: s.id, interface: 'public', url: 'http://x:1/' } },
    });
    expect(res.statusCode).toBe(403);
  });

  it('checks endpoint URL substitutions as Keystone does', () => {
    expect(endpointUrlFormatOk('http://h:8776/v3/%(project_id)s')).toBe(true);
    expect(endpointUrlFormatOk('http://h:8776/v3/$(tenant_id)s')).toBe(true);
    expect(endpointUrlFormatOk('http://h:1/100%%')).toBe(true);
    expect(endpointUrlFormatOk('http://h:1/')).toBe(true);
    expect(endpointUrlFormatOk('http://h:1/%(admin_token)s')).toBe(false);
    expect(endpointUrlFormatOk('http://h:1/%(project_id)d')).toBe(false);
    expect(endpointUrlFormatOk('http://h:1/%(project_id')).toBe(false);
    expect(endpointUrlFormatOk('http://h:1/50%')).toBe(false);
  });
});

describe('catalog in tokens', () => {
  it('shows a new endpoint at once, and drops it when the service is disabled', async () => {
    const s = await newService('object-store-x');
    const ep = await admin('POST', '/v3/endpoints', {
      endpoint: {
        service_id: s.id,
        interface: 'public',
        url: 'http://swift:8080/v1',
        region_id: 'RegionOne',
      },
    });
    expect(ep.statusCode).toBe(201);
    const token = async () => {
      const res = await h.call('POST', '/v3/auth/tokens', {
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD } },
            },
            scope: { project: { name: 'admin', domain: { id: 'default' } } },
          },
        },
      });
      expect(res.statusCode).toBe(201);
      return res.json().token.catalog as {
        id: string;
        type: string;
        endpoints: { id: string; url: string; region_id: string }[];
      }[];
    };
    const entry = (await token()).find((c) => c.id === s.id);
    expect(entry?.type).toBe('object-store-x');
    expect(entry?.endpoints).toEqual([
      expect.objectContaining({
        id: ep.json().endpoint.id,
        url: 'http://swift:8080/v1',
        region_id: 'RegionOne',
      }),
    ]);
    const viaCatalog = await h.call('GET', '/v3/auth/catalog', { token: h.demoToken });
    expect(viaCatalog.json().catalog.map((c: { id: string }) => c.id)).toContain(s.id);

    await admin('PATCH', `/v3/services/${s.id}`, { service: { enabled: false } });
    expect((await token()).find((c) => c.id === s.id)).toBeUndefined();
  });
});

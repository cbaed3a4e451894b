import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await startIdentity();
});
afterAll(async () => {
  await h?.close();
});

type Json = Record<string, unknown>;
const EP = '/v3/OS-EP-FILTER';

async function post(url: string, body: unknown): Promise<Json> {
  const res = await h.call('POST', url, { token: h.adminToken, body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const createService = async (type: string) =>
  ((await post('/v3/services', { service: { type, name: type } })).service as Json).id as string;
const createEndpoint = async (serviceId: string, iface: string, regionId?: string) =>
  (
    (
      await post('/v3/endpoints', {
        endpoint: { service_id: serviceId, interface: iface, url: `http://x/${iface}`, region_id: regionId },
      })
    ).endpoint as Json
  ).id as string;
const createGroup = async (name: string, filters: Json, description?: string) =>
  (await post(`${EP}/endpoint_groups`, { endpoint_group: { name, filters, description } }))
    .endpoint_group as Json;
const createProject = async (name: string) =>
  ((await post('/v3/projects', { project: { name, domain_id: 'default' } })).project as Json).id as string;
const get = (url: string, token = h.adminToken) => h.call('GET', url, { token });
const ids = (list: unknown) => (list as Json[]).map((x) => x.id);

describe('endpoint groups: CRUD', () => {
  it('creates, lists, shows, checks, updates and deletes (Tempest test_endpoint_groups)', async () => {
    const s1 = await createService('eg-one');
    const s2 = await createService('eg-two');
    const g = await createGroup('group-a', { service_id: s1 }, 'first');
    expect(g).toMatchObject({ name: 'group-a', description: 'first', filters: { service_id: s1 } });
    expect(g.id).toMatch(/^[0-9a-f]{32}$/);
    expect((g.links as Json).self).toMatch(new RegExp(`${EP}/endpoint_groups/${g.id}$`));
    const url = `${EP}/endpoint_groups/${g.id}`;

    const list = await get(`${EP}/endpoint_groups`);
    expect(list.statusCode).toBe(200);
    expect(list.json().endpoint_groups).toContainEqual(g);
    expect(ids((await get(`${EP}/endpoint_groups?name=group-a`)).json().endpoint_groups)).toEqual([g.id]);
    expect((await get(`${EP}/endpoint_groups?name=nope`)).json().endpoint_groups).toEqual([]);

    const shown = await get(url);
    expect(shown.statusCode).toBe(200);
    expect(shown.json().endpoint_group).toEqual(g);
    expect((await h.call('HEAD', url, { token: h.adminToken })).statusCode).toBe(200);

    const upd = await h.call('PATCH', url, {
      token: h.adminToken,
      body: { endpoint_group: { name: 'group-b', description: 'second', filters: { service_id: s2 } } },
    });
    expect(upd.statusCode, upd.body).toBe(200);
    expect(upd.json().endpoint_group).toMatchObject({
      id: g.id,
      name: 'group-b',
      description: 'second',
      filters: { service_id: s2 },
    });
    const partial = await h.call('PATCH', url, {
      token: h.adminToken,
      body: { endpoint_group: { description: null } },
    });
    expect(partial.json().endpoint_group).toMatchObject({ name: 'group-b', description: null });

    expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(204);
    expect((await get(url)).statusCode).toBe(404);
    expect((await h.call('HEAD', url, { token: h.adminToken })).statusCode).toBe(404);
    expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(404);
    expect(ids((await get(`${EP}/endpoint_groups`)).json().endpoint_groups)).not.toContain(g.id);
  });

  it('creates a group without a description (null)', async () => {
    const g = await createGroup('no-desc', { interface: 'admin' });
    expect(g.description).toBeNull();
  });

  it('rejects bad input with 400', async () => {
    const bodies: unknown[] = [
      { endpoint_group: { name: 'x', filters: { enabled: true } } },
      { endpoint_group: { name: 'x', filters: { url: 'http://x' } } },
      { endpoint_group: { name: 'x', filters: {} } },
      { endpoint_group: { name: 'x' } },
      { endpoint_group: { filters: { interface: 'public' } } },
      { endpoint_group: { name: 'x', filters: { interface: 'sideways' } } },
      { endpoint_group: { name: 'x', filters: { service_id: 5 } } },
      { endpoint_group: { name: 'x', filters: 'service_id=1' } },
      { endpoint_group: { name: 'x', filters: [] } },
      { endpoint_group: { name: '', filters: { interface: 'public' } } },
      { endpoint_group: { name: 'x'.repeat(10_000), filters: { interface: 'public' } } },
      { endpoint_group: { name: 'x', filters: { service_id: 's'.repeat(10_000) } } },
      { endpoint_group: { name: 'x', filters: { interface: 'public' }, extra: 1 } },
      { endpoint_group: 'nope' },
      {},
    ];
    for (const body of bodies) {
      const res = await h.call('POST', `${EP}/endpoint_groups`, { token: h.adminToken, body });
      expect(res.statusCode, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
    const g = await createGroup('patch-me', { interface: 'public' });
    for (const endpoint_group of [{}, { filters: { foo: 'bar' } }, { name: 7 }, { id: 'other' }]) {
      const res = await h.call('PATCH', `${EP}/endpoint_groups/${g.id}`, {
        token: h.adminToken,
        body: { endpoint_group },
      });
      expect(res.statusCode, JSON.stringify(endpoint_group)).toBe(400);
    }
    const missing = await h.call('PATCH', `${EP}/endpoint_groups/${'f'.repeat(32)}`, {
      token: h.adminToken,
      body: { endpoint_group: { name: 'x' } },
    });
    expect(missing.statusCode).toBe(404);
    expect((await get(`${EP}/endpoint_groups/%00`)).statusCode).toBe(404);
  });

  it('lists the endpoints a group selects, by service, interface and region', async () => {
    const s = await createService('eg-filter');
    const pub = await createEndpoint(s, 'public', 'RegionOne');
    const adm = await createEndpoint(s, 'admin', 'RegionOne');
    const noRegion = await createEndpoint(s, 'public');
    const endpointsOf = async (filters: Json) => {
      const g = await createGroup('sel', filters);
      const res = await get(`${EP}/endpoint_groups/${g.id}/endpoints`);
      expect(res.statusCode).toBe(200);
      return ids(res.json().endpoints).sort();
    };
    expect(await endpointsOf({ service_id: s })).toEqual([pub, adm, noRegion].sort());
    expect(await endpointsOf({ service_id: s, interface: 'public' })).toEqual([pub, noRegion].sort());
    expect(await endpointsOf({ service_id: s, region_id: 'RegionOne' })).toEqual([pub, adm].sort());
    expect(await endpointsOf({ service_id: s, region_id: null })).toEqual([noRegion]);
    expect(await endpointsOf({ service_id: 'gone' })).toEqual([]);
    expect((await get(`${EP}/endpoint_groups/${'f'.repeat(32)}/endpoints`)).statusCode).toBe(404);
  });
});

describe('endpoint groups ↔ projects', () => {
  it('associates, checks, lists and removes', async () => {
    const s = await createService('eg-assoc');
    const e = await createEndpoint(s, 'internal');
    const g = await createGroup('assoc', { service_id: s });
    const p = await createProject('eg-project');
    const url = `${EP}/endpoint_groups/${g.id}/projects/${p}`;

    expect((await get(url)).statusCode).toBe(404);
    expect((await h.call('PUT', url, { token: h.adminToken })).statusCode).toBe(204);
    expect((await h.call('PUT', url, { token: h.adminToken })).statusCode).toBe(409);

    const shown = await get(url);
    expect(shown.statusCode).toBe(200);
    expect(shown.json().project_endpoint_group).toMatchObject({ endpoint_group_id: g.id, project_id: p });
    expect((await h.call('HEAD', url, { token: h.adminToken })).statusCode).toBe(200);

    const projects = await get(`${EP}/endpoint_groups/${g.id}/projects`);
    expect(projects.statusCode).toBe(200);
    expect(ids(projects.json().projects)).toEqual([p]);
    expect(projects.json().projects[0]).toMatchObject({ name: 'eg-project', domain_id: 'default' });

    const groups = await get(`${EP}/projects/${p}/endpoint_groups`);
    expect(groups.statusCode).toBe(200);
    expect(groups.json().endpoint_groups).toEqual([g]);

    // the group's endpoints are the project's endpoints
    expect(ids((await get(`${EP}/projects/${p}/endpoints`)).json().endpoints)).toEqual([e]);

    expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(204);
    expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(404);
    expect((await get(url)).statusCode).toBe(404);
    expect((await get(`${EP}/projects/${p}/endpoint_groups`)).json().endpoint_groups).toEqual([]);
  });

  it('answers 404 for unknown groups and projects', async () => {
    const g = await createGroup('unknowns', { interface: 'public' });
    const nope = 'f'.repeat(32);
    for (const [method, url] of [
      ['PUT', `${EP}/endpoint_groups/${g.id}/projects/${nope}`],
      ['PUT', `${EP}/endpoint_groups/${nope}/projects/${h.ids.demoProjectId}`],
      ['GET', `${EP}/endpoint_groups/${nope}/projects/${h.ids.demoProjectId}`],
      ['DELETE', `${EP}/endpoint_groups/${g.id}/projects/${nope}`],
      ['GET', `${EP}/endpoint_groups/${nope}/projects`],
      ['GET', `${EP}/projects/${nope}/endpoint_groups`],
      ['GET', `${EP}/projects/${nope}/endpoints`],
    ] as const) {
      const res = await h.call(method, url, { token: h.adminToken });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
  });

  it('deleting a group removes its associations', async () => {
    const g = await createGroup('short-lived', { interface: 'public' });
    const p = await createProject('eg-project-2');
    await h.call('PUT', `${EP}/endpoint_groups/${g.id}/projects/${p}`, { token: h.adminToken });
    await h.call('DELETE', `${EP}/endpoint_groups/${g.id}`, { token: h.adminToken });
    expect((await get(`${EP}/projects/${p}/endpoint_groups`)).json().endpoint_groups).toEqual([]);
  });
});

describe('endpoints ↔ projects (direct)', () => {
  it('associates, checks, lists and removes', async () => {
    const s = await createService('ep-direct');
    const e = await createEndpoint(s, 'public');
    const p = await createProject('ep-project');
    const url = `${EP}/projects/${p}/endpoints/${e}`;

    expect((await get(url)).statusCode).toBe(404);
    expect((await h.call('PUT', url, { token: h.adminToken })).statusCode).toBe(204);
    // PUT is idempotent
    expect((await h.call('PUT', url, { token: h.adminToken })).statusCode).toBe(204);
    expect((await get(url)).statusCode).toBe(204);
    expect((await h.call('HEAD', url, { token: h.adminToken })).statusCode).toBe(204);

    const endpoints = await get(`${EP}/projects/${p}/endpoints`);
    expect(endpoints.statusCode).toBe(200);
    expect(endpoints.json().endpoints).toEqual([
      expect.objectContaining({ id: e, service_id: s, interface: 'public' }),
    ]);
    const projects = await get(`${EP}/endpoints/${e}/projects`);
    expect(projects.statusCode).toBe(200);
    expect(ids(projects.json().projects)).toEqual([p]);

    expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(204);
    expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(404);
    expect((await get(url)).statusCode).toBe(404);
    expect((await get(`${EP}/endpoints/${e}/projects`)).json().projects).toEqual([]);
  });

  it('answers 404 for unknown endpoints and projects; deleting an endpoint drops its associations', async () => {
    const s = await createService('ep-gone');
    const e = await createEndpoint(s, 'admin');
    const nope = 'f'.repeat(32);
    for (const [method, url] of [
      ['PUT', `${EP}/projects/${h.ids.demoProjectId}/endpoints/${nope}`],
      ['PUT', `${EP}/projects/${nope}/endpoints/${e}`],
      ['GET', `${EP}/projects/${nope}/endpoints/${e}`],
      ['GET', `${EP}/endpoints/${nope}/projects`],
      ['DELETE', `${EP}/projects/${nope}/endpoints/${e}`],
    ] as const) {
      const res = await h.call(method, url, { token: h.adminToken });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    await h.call('PUT', `${EP}/projects/${h.ids.demoProjectId}/endpoints/${e}`, { token: h.adminToken });
    expect(ids((await get(`${EP}/projects/${h.ids.demoProjectId}/endpoints`)).json().endpoints)).toContain(e);
    expect((await h.call('DELETE', `/v3/endpoints/${e}`, { token: h.adminToken })).statusCode).toBe(204);
    expect(
      ids((await get(`${EP}/projects/${h.ids.demoProjectId}/endpoints`)).json().endpoints),
    ).not.toContain(e);
  });
});

describe('OS-EP-FILTER policy', () => {
  it('refuses a member every call with 403', async () => {
    const s = await createService('ep-policy');
    const e = await createEndpoint(s, 'public');
    const g = await createGroup('policy', { service_id: s });
    const p = h.ids.demoProjectId;
    const calls: [string, string, unknown?][] = [
      ['GET', `${EP}/endpoint_groups`],
      ['POST', `${EP}/endpoint_groups`, { endpoint_group: { name: 'x', filters: { interface: 'public' } } }],
      ['GET', `${EP}/endpoint_groups/${g.id}`],
      ['PATCH', `${EP}/endpoint_groups/${g.id}`, { endpoint_group: { name: 'mine' } }],
      ['DELETE', `${EP}/endpoint_groups/${g.id}`],
      ['GET', `${EP}/endpoint_groups/${g.id}/endpoints`],
      ['GET', `${EP}/endpoint_groups/${g.id}/projects`],
      ['PUT', `${EP}/endpoint_groups/${g.id}/projects/${p}`],
      ['GET', `${EP}/endpoint_groups/${g.id}/projects/${p}`],
      ['DELETE', `${EP}/endpoint_groups/${g.id}/projects/${p}`],
      ['GET', `${EP}/projects/${p}/endpoint_groups`],
      ['GET', `${EP}/projects/${p}/endpoints`],
      ['PUT', `${EP}/projects/${p}/endpoints/${e}`],
      ['GET', `${EP}/projects/${p}/endpoints/${e}`],
      ['DELETE', `${EP}/projects/${p}/endpoints/${e}`],
      ['GET', `${EP}/endpoints/${e}/projects`],
    ];
    for (const [method, url, body] of calls) {
      const res = await h.call(method, url, { token: h.demoToken, body });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
    expect((await h.call('GET', `${EP}/endpoint_groups`)).statusCode).toBe(401);
  });
});

describe('project deletion', () => {
  it('drops the project endpoint associations with the project', async () => {
    const p = await h.call('POST', '/v3/projects', {
      token: h.adminToken,
      body: { project: { name: 'ep-gone' } },
    });
    const pid = p.json().project.id;
    const svc = await h.call('POST', '/v3/services', {
      token: h.adminToken,
      body: { service: { type: 'gone-svc' } },
    });
    const ep = await h.call('POST', '/v3/endpoints', {
      token: h.adminToken,
      body: {
        endpoint: { service_id: svc.json().service.id, interface: 'public', url: 'http://x.example:1' },
      },
    });
    const eid = ep.json().endpoint.id;
    expect(
      (await h.call('PUT', `/v3/OS-EP-FILTER/projects/${pid}/endpoints/${eid}`, { token: h.adminToken }))
        .statusCode,
    ).toBe(204);
    expect((await h.call('DELETE', `/v3/projects/${pid}`, { token: h.adminToken })).statusCode).toBe(204);
    const rows = await h.ctx.pool.query(
      'SELECT count(*)::int AS n FROM identity.project_endpoints WHERE project_id = $1',
      [pid],
    );
    expect(rows.rows[0].n).toBe(0);
  });
});

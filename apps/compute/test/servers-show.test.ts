import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, type ServersFixture, startServersFixture } from './servers-fixture.js';
import { haveTempest, type SchemaCase, tempestCheck } from './servers-tempest-schema.js';

let fx: ServersFixture;
let id: string;
let errored: string;
beforeAll(async () => {
  fx = await startServersFixture();
  id = await fx.boot({
    name: 'shape',
    mv: '2.52',
    extra: { networks: 'none', tags: ['t1'], metadata: { k: 'v' } },
  });
  await fx.setState(id, 'active', null, { host: 'host-a', power_state: 1, launched_at: new Date() });
  errored = await fx.boot({ name: 'broken' });
  await fx.setState(errored, 'error', null, {
    fault: JSON.stringify({
      code: 500,
      message: 'start failed',
      details: 'trace',
      created: '2024-01-01T00:00:00Z',
    }),
  });
});
afterAll(async () => {
  await fx?.close();
});

type Server = Record<string, unknown>;
const show = async (mv: string, token?: string, sid = id) => {
  const res = await fx.call('GET', `/v2.1/servers/${sid}`, { mv, token });
  expect(res.statusCode).toBe(200);
  return res.json() as { server: Server };
};

describe('GET /servers/{id} shapes', () => {
  it('2.1: flavor/image links, no locked/description/tags, extended status for all, SRV-ATTR for admin only', async () => {
    const { server } = await show('2.1');
    expect(server.status).toBe('ACTIVE');
    expect(server.flavor).toMatchObject({ id: '1', links: [{ rel: 'bookmark' }] });
    expect(server.image).toMatchObject({ id: fx.imageId });
    expect(server.metadata).toEqual({ k: 'v' });
    expect(server.hostId).toMatch(/^[0-9a-f]{56}$/);
    expect(server['OS-EXT-STS:vm_state']).toBe('active');
    expect(server['OS-EXT-STS:power_state']).toBe(1);
    expect(server.progress).toBe(0);
    expect(server.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const k of ['locked', 'description', 'tags', 'OS-EXT-SRV-ATTR:host', 'host_status'])
      expect(server).not.toHaveProperty(k);
    const admin = (await show('2.1', fx.adminToken)).server;
    expect(admin['OS-EXT-SRV-ATTR:host']).toBe('host-a');
    expect(admin['OS-EXT-SRV-ATTR:instance_name']).toMatch(/^instance-/);
    expect(admin).not.toHaveProperty('OS-EXT-SRV-ATTR:reservation_id');
  });

  it('2.47 embeds the flavor; 2.73 adds locked_reason; 2.16 host_status for admin; 2.3 extras for admin', async () => {
    const s47 = (await show('2.47')).server;
    expect(s47.flavor).toEqual({
      vcpus: 1,
      ram: 512,
      disk: 1,
      ephemeral: 0,
      swap: 0,
      original_name: 'm1.tiny',
      extra_specs: {},
    });
    expect(s47.tags).toEqual(['t1']);
    expect(s47.locked).toBe(false);
    const s73 = (await show('2.73')).server;
    expect(s73.locked_reason).toBeNull();
    expect(s73.trusted_image_certificates).toBeNull();
    expect(s73.server_groups).toEqual([]);
    const admin = (await show('2.79', fx.adminToken)).server;
    expect(admin.host_status).toBe('UP');
    expect(admin['OS-EXT-SRV-ATTR:hostname']).toBe('shape');
    expect(admin['OS-EXT-SRV-ATTR:reservation_id']).toMatch(/^r-/);
  });

  it('ERROR servers show their fault; details only to admins for code 500', async () => {
    const { server } = await show('2.1', undefined, errored);
    expect(server.status).toBe('ERROR');
    expect(server.fault).toEqual({ code: 500, message: 'start failed', created: '2024-01-01T00:00:00Z' });
    expect((await show('2.1', fx.adminToken, errored)).server.fault).toHaveProperty('details', 'trace');
  });

  it.runIf(haveTempest)(
    'matches Tempest response schemas (show, list, detail, update) at several versions',
    async () => {
      const cases: SchemaCase[] = [];
      const add = async (
        module: string,
        name: string,
        method: string,
        url: string,
        mv: string,
        o: { token?: string; body?: unknown } = {},
      ) => {
        const res = await fx.call(method, url, { mv, ...o });
        cases.push({ module, name, status: res.statusCode, body: res.json() });
      };
      for (const [mv, mod] of [
        ['2.1', 'v2_1'],
        ['2.3', 'v2_3'],
        ['2.16', 'v2_16'],
        ['2.26', 'v2_26'],
        ['2.47', 'v2_47'],
        ['2.63', 'v2_63'],
        ['2.71', 'v2_71'],
        ['2.73', 'v2_73'],
        ['2.79', 'v2_79'],
        // Tempest 33's newest server schemas are 2.79's; 2.80–2.92 change no server field
        // beyond 2.90 showing OS-EXT-SRV-ATTR:hostname (already in that schema) to everyone
        ['2.92', 'v2_79'],
      ] as const) {
        for (const token of [undefined, fx.adminToken]) {
          await add(`${mod}.servers`, 'get_server', 'GET', `/v2.1/servers/${id}`, mv, { token });
          await add(`${mod}.servers`, 'get_server', 'GET', `/v2.1/servers/${errored}`, mv, { token });
          await add(`${mod}.servers`, 'list_servers_detail', 'GET', '/v2.1/servers/detail', mv, { token });
          await add(`${mod}.servers`, 'list_servers', 'GET', '/v2.1/servers?limit=1', mv, { token });
        }
        await add(`${mod}.servers`, 'update_server', 'PUT', `/v2.1/servers/${id}`, mv, {
          body: { server: { name: 'shape' } },
        });
      }
      const res = await fx.call('POST', '/v2.1/servers', {
        body: { server: { name: 'c', imageRef: fx.imageId, flavorRef: '1' } },
      });
      cases.push({
        module: 'v2_1.servers',
        name: 'create_server_with_admin_pass',
        status: res.statusCode,
        body: res.json(),
      });
      const errors = tempestCheck(cases).filter(Boolean);
      expect(errors).toEqual([]);
    },
  );
});

describe('PUT /servers/{id}', () => {
  it('updates name (and hostname), description (2.19), access IPs; 2.75 returns the full shape', async () => {
    const res = await fx.call('PUT', `/v2.1/servers/${id}`, {
      mv: '2.19',
      body: { server: { name: 'renamed', description: 'd1', accessIPv4: '10.0.0.1', accessIPv6: '::1' } },
    });
    expect(res.statusCode).toBe(200);
    const s = (res.json() as { server: Server }).server;
    expect(s).toMatchObject({
      name: 'renamed',
      description: 'd1',
      accessIPv4: '10.0.0.1',
      accessIPv6: '::1',
    });
    expect(s).not.toHaveProperty('OS-EXT-STS:vm_state');
    const full = await fx.call('PUT', `/v2.1/servers/${id}`, {
      mv: '2.75',
      body: { server: { name: 'shape' } },
    });
    expect((full.json() as { server: Server }).server).toHaveProperty('OS-EXT-STS:vm_state', 'active');
    const [row] = await fx.sql<{ hostname: string }>('SELECT hostname FROM compute.servers WHERE id = $1', [
      id,
    ]);
    expect(row!.hostname).toBe('shape');
  });

  it('bad updates: long name, empty name, description below 2.19, unknown field, bad IP → 400', async () => {
    for (const [body, mv] of [
      [{ server: { name: 'n'.repeat(256) } }, '2.1'],
      [{ server: { name: '' } }, '2.1'],
      [{ server: { description: 'x' } }, '2.18'],
      [{ server: { foo: 1 } }, '2.1'],
      [{ server: { accessIPv4: 'nope' } }, '2.1'],
      [{ nope: {} }, '2.1'],
    ] as const) {
      const res = await fx.call('PUT', `/v2.1/servers/${id}`, { mv, body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(errorOf(res).key).toBe('badRequest');
    }
  });
});

describe('hostname (2.90)', () => {
  it('create, update and rebuild take a hostname; OS-EXT-SRV-ATTR:hostname is shown to everyone', async () => {
    const hostnameOf = async (sid: string, mv: string, token?: string) =>
      (await show(mv, token, sid)).server['OS-EXT-SRV-ATTR:hostname'];
    const create = (server: Record<string, unknown>, mv = '2.90') =>
      fx.call('POST', '/v2.1/servers', {
        mv,
        body: {
          server: { name: 'Named VM', imageRef: fx.imageId, flavorRef: '1', networks: 'none', ...server },
        },
      });
    const res = await create({ hostname: 'web-01' });
    expect(res.statusCode, res.body).toBe(202);
    const sid = (res.json() as { server: { id: string } }).server.id;
    expect(await hostnameOf(sid, '2.90')).toBe('web-01');
    expect(await hostnameOf(sid, '2.89')).toBeUndefined();
    expect(await hostnameOf(sid, '2.89', fx.adminToken)).toBe('web-01');
    // without one, derived from the name as before
    const plain = (await create({})).json() as { server: { id: string } };
    expect(await hostnameOf(plain.server.id, '2.92')).toBe('named-vm');

    for (const [server, mv] of [
      [{ hostname: 'web-01' }, '2.89'],
      [{ hostname: '-bad' }, '2.90'],
      [{ hostname: 'a' }, '2.90'],
      [{ hostname: 'under_score' }, '2.90'],
      [{ hostname: 'x'.repeat(64) }, '2.90'],
      [{ hostname: 42 }, '2.90'],
      [{ hostname: 'web', max_count: 2 }, '2.90'],
    ] as const) {
      const bad = await create(server, mv);
      expect(bad.statusCode, JSON.stringify(server)).toBe(400);
      expect(errorOf(bad).key).toBe('badRequest');
    }

    const put = (server: Record<string, unknown>, mv = '2.90') =>
      fx.call('PUT', `/v2.1/servers/${sid}`, { mv, body: { server } });
    expect((await put({ hostname: 'web-02' }, '2.89')).statusCode).toBe(400);
    expect((await put({ hostname: 'bad host' })).statusCode).toBe(400);
    const upd = await put({ hostname: 'web-02', name: 'Renamed' });
    expect(upd.statusCode).toBe(200);
    expect((upd.json() as { server: Server }).server).toMatchObject({
      name: 'Renamed',
      'OS-EXT-SRV-ATTR:hostname': 'web-02',
    });

    await fx.setState(sid, 'active', null, { host: 'host-a' });
    const rebuild = (r: Record<string, unknown>, mv = '2.90') =>
      fx.call('POST', `/v2.1/servers/${sid}/action`, {
        mv,
        body: { rebuild: { imageRef: fx.imageId, ...r } },
      });
    expect((await rebuild({ hostname: 'web-03' }, '2.89')).statusCode).toBe(400);
    expect((await rebuild({ hostname: 'web_03' })).statusCode).toBe(400);
    const rb = await rebuild({ hostname: 'web-03' }, '2.92');
    expect(rb.statusCode).toBe(202);
    expect((rb.json() as { server: Server }).server['OS-EXT-SRV-ATTR:hostname']).toBe('web-03');

    if (haveTempest) {
      const cases: SchemaCase[] = [
        { module: 'v2_79.servers', name: 'update_server', status: upd.statusCode, body: upd.json() },
        {
          module: 'v2_79.servers',
          name:
            'adminPass' in (rb.json() as { server: Server }).server
              ? 'rebuild_server_with_admin_pass'
              : 'rebuild_server',
          status: rb.statusCode,
          body: rb.json(),
        },
      ];
      const errors = tempestCheck(cases);
      expect(errors).toEqual([null, null]);
    }
  });
});

describe('tenant isolation and ids', () => {
  it("another project's server, an unknown id and a malformed id are all 404", async () => {
    for (const [url, token] of [
      [`/v2.1/servers/${id}`, fx.otherToken],
      ['/v2.1/servers/6b1f3a9e-1d4e-4f0a-9c55-0a0a0a0a0a0a', undefined],
      ['/v2.1/servers/not-a-uuid', undefined],
      ['/v2.1/servers/-1', undefined],
      [`/v2.1/servers/${'a'.repeat(300)}`, undefined],
    ] as const) {
      const res = await fx.call('GET', url, { token });
      expect(res.statusCode, url).toBe(404);
      expect(errorOf(res)).toMatchObject({ key: 'itemNotFound', code: 404 });
    }
    for (const method of ['PUT', 'DELETE'])
      expect(
        (await fx.call(method, `/v2.1/servers/${id}`, { token: fx.otherToken, body: { server: {} } }))
          .statusCode,
      ).toBe(404);
    const act = await fx.call('POST', `/v2.1/servers/${id}/action`, {
      token: fx.otherToken,
      body: { 'os-stop': null },
    });
    expect(act.statusCode).toBe(404);
  });

  it('admins see any project’s server', async () => {
    expect((await fx.call('GET', `/v2.1/servers/${id}`, { token: fx.adminToken })).statusCode).toBe(200);
  });

  it('no token → 401', async () => {
    expect((await fx.call('GET', `/v2.1/servers/${id}`, { token: '' })).statusCode).toBe(401);
  });
});

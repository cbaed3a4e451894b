import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, type ServersFixture, startServersFixture } from './servers-fixture.js';

let fx: ServersFixture;
beforeAll(async () => {
  fx = await startServersFixture();
});
afterAll(async () => {
  await fx?.close();
});

const create = (
  server: Record<string, unknown>,
  o: { mv?: string; token?: string; root?: Record<string, unknown> } = {},
) => fx.call('POST', '/v2.1/servers', { mv: o.mv, token: o.token, body: { server, ...o.root } });

describe('POST /servers', () => {
  it('creates a server: 202, Nova create shape, Location, building/scheduling, outbox task, create action', async () => {
    const res = await create(
      {
        name: 'web 1',
        imageRef: fx.imageId,
        flavorRef: '1',
        networks: 'none',
        metadata: { role: 'web' },
        key_name: undefined,
        config_drive: true,
        user_data: Buffer.from('#!/bin/sh\necho hi').toString('base64'),
        'OS-DCF:diskConfig': 'AUTO',
        security_groups: [{ name: 'default' }],
      },
      { mv: '2.73' },
    );
    expect(res.statusCode).toBe(202);
    const { server } = res.json() as { server: Record<string, unknown> };
    expect(Object.keys(server).sort()).toEqual([
      'OS-DCF:diskConfig',
      'adminPass',
      'id',
      'links',
      'security_groups',
    ]);
    expect(server['OS-DCF:diskConfig']).toBe('AUTO');
    expect(server.security_groups).toEqual([{ name: 'default' }]);
    expect(typeof server.adminPass).toBe('string');
    expect(res.headers.location).toMatch(new RegExp(`/v2.1/servers/${server.id}$`));
    const [row] = await fx.sql<{
      vm_state: string;
      task_state: string;
      hostname: string;
      config_drive: boolean;
    }>('SELECT * FROM compute.servers WHERE id = $1', [server.id]);
    expect(row).toMatchObject({
      vm_state: 'building',
      task_state: 'scheduling',
      hostname: 'web-1',
      config_drive: true,
    });
    const tasks = await fx.sql<{ id: string; kind: string; params: { adminPass: string } }>(
      'SELECT * FROM compute.server_tasks WHERE server_id = $1',
      [server.id],
    );
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.kind).toBe('build');
    expect(tasks[0]!.params.adminPass).toBe(server.adminPass);
    expect(fx.dispatched).toContain(tasks[0]!.id);
    const actions = await fx.sql('SELECT action FROM compute.instance_actions WHERE server_id = $1', [
      server.id,
    ]);
    expect(actions).toEqual([{ action: 'create' }]);
    const meta = await fx.sql('SELECT key, value FROM compute.server_metadata WHERE server_id = $1', [
      server.id,
    ]);
    expect(meta).toEqual([{ key: 'role', value: 'web' }]);
  });

  it('accepts flavor and image URLs, and a given adminPass', async () => {
    const res = await create({
      name: 'by-url',
      imageRef: `http://image.test/v2/images/${fx.imageId}`,
      flavorRef: 'http://compute.test/v2.1/flavors/1',
      adminPass: 'secret-pass',
    });
    expect(res.statusCode).toBe(202);
    expect((res.json() as { server: { adminPass: string } }).server.adminPass).toBe('secret-pass');
  });

  it('min_count/max_count creates numbered servers with one reservation id; return_reservation_id', async () => {
    const res = await create(
      {
        name: 'multi',
        imageRef: fx.imageId,
        flavorRef: '1',
        min_count: 2,
        max_count: 3,
        return_reservation_id: true,
      },
      { mv: '2.37', root: {} },
    );
    // 2.37 needs networks
    expect(res.statusCode).toBe(400);
    const ok = await create(
      {
        name: 'multi',
        imageRef: fx.imageId,
        flavorRef: '1',
        networks: 'auto',
        min_count: '2',
        max_count: 3,
        return_reservation_id: true,
      },
      { mv: '2.37' },
    );
    expect(ok.statusCode).toBe(202);
    const { reservation_id } = ok.json() as { reservation_id: string };
    expect(reservation_id).toMatch(/^r-[0-9a-f]{8}$/);
    const rows = await fx.sql<{ name: string; launch_index: number }>(
      'SELECT name, launch_index FROM compute.servers WHERE reservation_id = $1 ORDER BY launch_index',
      [reservation_id],
    );
    expect(rows.map((r) => r.name)).toEqual(['multi-1', 'multi-2', 'multi-3']);
  });

  it('tags (2.52) and description (2.19) are version-gated', async () => {
    const base = { name: 't', imageRef: fx.imageId, flavorRef: '1', networks: 'none' };
    expect((await create({ ...base, tags: ['a'] }, { mv: '2.51' })).statusCode).toBe(400);
    expect((await create({ ...base, description: 'd' }, { mv: '2.18' })).statusCode).toBe(400);
    const ok = await create({ ...base, tags: ['a', 'b'], description: 'desc' }, { mv: '2.52' });
    expect(ok.statusCode).toBe(202);
    const id = (ok.json() as { server: { id: string } }).server.id;
    const tags = await fx.sql('SELECT tag FROM compute.server_tags WHERE server_id = $1 ORDER BY tag', [id]);
    expect(tags).toEqual([{ tag: 'a' }, { tag: 'b' }]);
  });

  it('validation matrix: Nova-format 400s, never 500', async () => {
    const good = { name: 'x', imageRef: fx.imageId, flavorRef: '1', networks: 'none' };
    const cases: [Record<string, unknown>, RegExp, string?][] = [
      [{ ...good, name: 'a'.repeat(256) }, /name/],
      [{ ...good, name: '' }, /name/],
      [{ ...good, name: '   ' }, /name/],
      [{ ...good, name: 12345 }, /name/],
      [{ ...good, name: undefined }, /'name' is a required property/],
      [{ ...good, imageRef: '-1' }, /Invalid imageRef/],
      [
        { ...good, imageRef: '6b1f3a9e-1d4e-4f0a-9c55-0a0a0a0a0a0a' },
        /Image 6b1f3a9e-1d4e-4f0a-9c55-0a0a0a0a0a0a could not be found/,
      ],
      [{ ...good, flavorRef: '-1' }, /Flavor -1 could not be found/],
      [{ ...good, flavorRef: undefined }, /'flavorRef' is a required property/],
      [{ ...good, key_name: 'nope' }, /key_name/],
      [{ ...good, metadata: { a: 'b'.repeat(256) } }, /metadata\.a/],
      [{ ...good, metadata: { ['k'.repeat(256)]: 'v' } }, /Metadata keys/],
      [{ ...good, metadata: 'x' }, /metadata/],
      [{ ...good, user_data: 'not base64!!' }, /user_data/],
      [{ ...good, accessIPv4: '1.1.1.1.1' }, /accessIPv4/],
      [{ ...good, accessIPv6: 'x' }, /accessIPv6/],
      [{ ...good, 'OS-DCF:diskConfig': 'BAD' }, /diskConfig/],
      [{ ...good, min_count: 0 }, /min_count/],
      [{ ...good, min_count: 3, max_count: 2 }, /min_count must be <= max_count/],
      [
        { ...good, networks: [{ uuid: '6b1f3a9e-1d4e-4f0a-9c55-0a0a0a0a0a0a' }] },
        /Networks are not available: this cloud runs without a network service/,
      ],
      [{ ...good, networks: [{ uuid: 'bad' }] }, /network uuid/],
      [{ ...good, networks: 'some' }, /networks/],
      [{ ...good, security_groups: [{ name: 'web' }] }, /Security group web not found/],
      [{ ...good, availability_zone: 'mars' }, /availability zone/],
      [{ ...good, config_drive: 'maybe' }, /config_drive/],
      [{ ...good, bogus: 1 }, /'bogus' was unexpected/],
      [{ ...good, block_device_mapping_v2: [{ source_type: 'volume', uuid: 'x' }] }, /volumes/],
    ];
    for (const [server, re] of cases) {
      const res = await create(server, { mv: '2.52' });
      expect(res.statusCode, JSON.stringify(server).slice(0, 80)).toBe(400);
      const e = errorOf(res);
      expect(e.key).toBe('badRequest');
      expect(e.message, JSON.stringify(server).slice(0, 80)).toMatch(re);
    }
  });

  it('image checks: not active, min_ram, min_disk, size over the flavor disk', async () => {
    const mk = (over: Record<string, unknown>) => {
      const id = crypto.randomUUID();
      fx.images.set(id, { ...fx.images.get(fx.imageId)!, id, ...over });
      return id;
    };
    const base = { name: 'img', flavorRef: '1' };
    const expect400 = async (imageRef: string, re: RegExp) => {
      const res = await create({ ...base, imageRef });
      expect(res.statusCode).toBe(400);
      expect(errorOf(res).message).toMatch(re);
    };
    await expect400(mk({ status: 'queued' }), /is not active/);
    await expect400(mk({ min_ram: 1024 }), /memory is too small/);
    await expect400(mk({ min_disk: 5 }), /disk is too small/);
    await expect400(mk({ size: 2 * 1024 ** 3 }), /disk is too small/);
  });

  it('bad bodies: malformed JSON, no server key, server not an object → 400', async () => {
    const raw = await fx.call('POST', '/v2.1/servers', { raw: '{"server": ' });
    expect(raw.statusCode).toBe(400);
    expect(errorOf(raw).key).toBe('badRequest');
    expect((await fx.call('POST', '/v2.1/servers', { body: { foo: {} } })).statusCode).toBe(400);
    expect((await fx.call('POST', '/v2.1/servers', { body: { server: [] } })).statusCode).toBe(400);
    expect((await fx.call('POST', '/v2.1/servers', { body: [1] })).statusCode).toBe(400);
  });

  it('server group hint: unknown group 400; a known one records membership', async () => {
    const base = { name: 'g', imageRef: fx.imageId, flavorRef: '1' };
    const bad = await create(base, {
      root: { 'OS-SCH-HNT:scheduler_hints': { group: crypto.randomUUID() } },
    });
    expect(bad.statusCode).toBe(400);
    const gid = crypto.randomUUID();
    await fx.sql(
      `INSERT INTO compute.server_groups (id, name, policy, project_id, user_id) VALUES ($1, 'g', 'anti-affinity', $2, $3)`,
      [gid, fx.identity.ids.demoProjectId, fx.identity.ids.demoUserId],
    );
    const ok = await create(base, { root: { 'OS-SCH-HNT:scheduler_hints': { group: gid } } });
    expect(ok.statusCode).toBe(202);
    const id = (ok.json() as { server: { id: string } }).server.id;
    const [row] = await fx.sql<{ server_group_id: string }>(
      'SELECT server_group_id FROM compute.servers WHERE id = $1',
      [id],
    );
    expect(row!.server_group_id).toBe(gid);
  });

  it('forcing a host (zone:host) is admin-only', async () => {
    const base = { name: 'f', imageRef: fx.imageId, flavorRef: '1', availability_zone: 'nova:host-a' };
    expect((await create(base)).statusCode).toBe(403);
    const ok = await create(base, { token: fx.adminToken });
    expect(ok.statusCode).toBe(202);
    const id = (ok.json() as { server: { id: string } }).server.id;
    const [t] = await fx.sql<{ params: { forceHost: string } }>(
      'SELECT params FROM compute.server_tasks WHERE server_id = $1',
      [id],
    );
    expect(t!.params.forceHost).toBe('host-a');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, type ServersFixture, startServersFixture } from './servers-fixture.js';
import { addFields, haveTempest, type SchemaCase, tempestCheck } from './servers-tempest-schema.js';

let fx: ServersFixture;
let id: string;
beforeAll(async () => {
  fx = await startServersFixture({ quotaInstances: -1, quotaCores: -1, quotaRam: -1 });
  id = await fx.boot({ extra: { metadata: { a: '1' } } });
  await fx.setState(id, 'active', null, { host: 'host-a' });
});
afterAll(async () => {
  await fx?.close();
});

const md = `/v2.1/servers/`;

describe('server metadata', () => {
  it('GET, POST merges, PUT replaces, item GET/PUT/DELETE', async () => {
    expect((await fx.call('GET', `${md}${id}/metadata`)).json()).toEqual({ metadata: { a: '1' } });
    const merged = await fx.call('POST', `${md}${id}/metadata`, { body: { metadata: { b: '2' } } });
    expect(merged.json()).toEqual({ metadata: { a: '1', b: '2' } });
    const replaced = await fx.call('PUT', `${md}${id}/metadata`, { body: { metadata: { c: '3' } } });
    expect(replaced.json()).toEqual({ metadata: { c: '3' } });
    expect((await fx.call('GET', `${md}${id}/metadata/c`)).json()).toEqual({ meta: { c: '3' } });
    expect((await fx.call('PUT', `${md}${id}/metadata/d`, { body: { meta: { d: '4' } } })).json()).toEqual({
      meta: { d: '4' },
    });
    expect((await fx.call('DELETE', `${md}${id}/metadata/d`)).statusCode).toBe(204);
    expect((await fx.call('DELETE', `${md}${id}/metadata/d`)).statusCode).toBe(404);
    expect(errorOf(await fx.call('GET', `${md}${id}/metadata/zz`)).message).toBe(
      'Metadata item was not found',
    );
    const [s] = await fx.sql<{ updated_at: Date }>('SELECT updated_at FROM compute.servers WHERE id = $1', [
      id,
    ]);
    expect(Date.now() - s!.updated_at.getTime()).toBeLessThan(60_000);
  });

  it('bad metadata → 400: URI mismatch, too many items, long key/value, non-string values, no body', async () => {
    for (const [method, url, body] of [
      ['PUT', `${md}${id}/metadata/x`, { meta: { y: '1' } }],
      ['PUT', `${md}${id}/metadata/x`, { meta: { x: '1', y: '2' } }],
      ['PUT', `${md}${id}/metadata`, { metadata: { ['k'.repeat(256)]: '1' } }],
      ['POST', `${md}${id}/metadata`, { metadata: { k: 'v'.repeat(256) } }],
      ['POST', `${md}${id}/metadata`, { metadata: { k: 1 } }],
      ['POST', `${md}${id}/metadata`, { metadata: ['x'] }],
      ['POST', `${md}${id}/metadata`, { other: {} }],
    ] as const) {
      const res = await fx.call(method, url, { body });
      expect(res.statusCode, JSON.stringify(body).slice(0, 60)).toBe(400);
    }
    expect((await fx.call('POST', `${md}${id}/metadata`, { raw: '{' })).statusCode).toBe(400);
  });

  it('quota: more than metadata_items → 403, nothing written', async () => {
    await fx.sql(
      `INSERT INTO compute.quotas (project_id, resource, hard_limit) VALUES ($1, 'metadata_items', 3)`,
      [fx.identity.ids.demoProjectId],
    );
    await fx.call('PUT', `${md}${id}/metadata`, { body: { metadata: { a: '1', b: '2' } } });
    const res = await fx.call('POST', `${md}${id}/metadata`, { body: { metadata: { c: '3', d: '4' } } });
    expect(res.statusCode).toBe(403);
    expect((await fx.call('GET', `${md}${id}/metadata`)).json()).toEqual({ metadata: { a: '1', b: '2' } });
    await fx.sql(`DELETE FROM compute.quotas`);
  });

  it('state and lock guards: building → 409, locked → 409 for members; other tenant 404', async () => {
    const building = await fx.boot();
    const res = await fx.call('POST', `${md}${building}/metadata`, { body: { metadata: { x: '1' } } });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).message).toMatch(/while it is in vm_state building/);
    await fx.setState(building, 'active', null, { locked: true });
    expect(
      (await fx.call('POST', `${md}${building}/metadata`, { body: { metadata: { x: '1' } } })).statusCode,
    ).toBe(409);
    expect((await fx.call('GET', `${md}${id}/metadata`, { token: fx.otherToken })).statusCode).toBe(404);
  });
});

describe('server tags (2.26)', () => {
  const mv = '2.26';
  it('PUT all, GET, add one (201 then 204), check, delete one, delete all', async () => {
    expect((await fx.call('PUT', `${md}${id}/tags`, { mv, body: { tags: ['b', 'a'] } })).json()).toEqual({
      tags: ['a', 'b'],
    });
    const added = await fx.call('PUT', `${md}${id}/tags/c`, { mv });
    expect(added.statusCode).toBe(201);
    expect(added.headers.location).toMatch(new RegExp(`/servers/${id}/tags/c$`));
    expect((await fx.call('PUT', `${md}${id}/tags/c`, { mv })).statusCode).toBe(204);
    expect((await fx.call('GET', `${md}${id}/tags/c`, { mv })).statusCode).toBe(204);
    expect((await fx.call('GET', `${md}${id}/tags/zz`, { mv })).statusCode).toBe(404);
    expect((await fx.call('DELETE', `${md}${id}/tags/c`, { mv })).statusCode).toBe(204);
    expect((await fx.call('DELETE', `${md}${id}/tags/c`, { mv })).statusCode).toBe(404);
    expect((await fx.call('GET', `${md}${id}/tags`, { mv })).json()).toEqual({ tags: ['a', 'b'] });
    expect((await fx.call('DELETE', `${md}${id}/tags`, { mv })).statusCode).toBe(204);
    expect((await fx.call('GET', `${md}${id}/tags`, { mv })).json()).toEqual({ tags: [] });
  });

  it('limits and bad tags: 51 tags, 61 chars, comma, slash, non-list → 400; below 2.26 → 404', async () => {
    const many = Array.from({ length: 51 }, (_, i) => `t${i}`);
    expect((await fx.call('PUT', `${md}${id}/tags`, { mv, body: { tags: many } })).statusCode).toBe(400);
    expect(
      (await fx.call('PUT', `${md}${id}/tags`, { mv, body: { tags: ['x'.repeat(61)] } })).statusCode,
    ).toBe(400);
    expect((await fx.call('PUT', `${md}${id}/tags`, { mv, body: { tags: ['a,b'] } })).statusCode).toBe(400);
    expect((await fx.call('PUT', `${md}${id}/tags`, { mv, body: { tags: 'a' } })).statusCode).toBe(400);
    expect((await fx.call('PUT', `${md}${id}/tags/a%2Cb`, { mv })).statusCode).toBe(400);
    await fx.call('PUT', `${md}${id}/tags`, { mv, body: { tags: many.slice(0, 50) } });
    const over = await fx.call('PUT', `${md}${id}/tags/last`, { mv });
    expect(over.statusCode).toBe(400);
    expect((await fx.call('GET', `${md}${id}/tags`, { mv })).json()).toHaveProperty('tags.length', 50);
    expect((await fx.call('GET', `${md}${id}/tags`, { mv: '2.25' })).statusCode).toBe(404);
  });
});

describe('instance actions', () => {
  it('lists actions newest first; shows one with events; traceback and host only for admins', async () => {
    const sid = await fx.boot();
    await fx.setState(sid, 'active', null, { host: 'host-a' });
    const stop = await fx.call('POST', `${md}${sid}/action`, { body: { 'os-stop': null } });
    // Nova's x-compute-request-id is the request id an instance action records
    expect(stop.headers['x-compute-request-id']).toBe(stop.headers['x-openstack-request-id']);
    const [stopAction] = await fx.sql<{ request_id: string }>(
      `SELECT request_id FROM compute.instance_actions WHERE server_id = $1 AND action = 'stop'`,
      [sid],
    );
    expect(stopAction!.request_id).toBe(stop.headers['x-compute-request-id']);
    const [create] = await fx.sql<{ id: number; request_id: string }>(
      `SELECT id, request_id FROM compute.instance_actions WHERE server_id = $1 AND action = 'create'`,
      [sid],
    );
    await fx.sql(
      `INSERT INTO compute.instance_action_events (action_id, event, result, traceback, host, finish_time)
       VALUES ($1, 'compute_start', 'Error', 'Traceback: boom', 'host-a', now())`,
      [create!.id],
    );
    const list = await fx.call('GET', `${md}${sid}/os-instance-actions`);
    const actions = (list.json() as { instanceActions: { action: string; instance_uuid: string }[] })
      .instanceActions;
    expect(actions.map((a) => a.action)).toEqual(['stop', 'create']);
    expect(actions[0]!.instance_uuid).toBe(sid);
    const url = `${md}${sid}/os-instance-actions/${create!.request_id}`;
    const below = (await fx.call('GET', url)).json() as { instanceAction: Record<string, unknown> };
    expect(below.instanceAction).not.toHaveProperty('events');
    const member = (await fx.call('GET', url, { mv: '2.62' })).json() as {
      instanceAction: { events: Record<string, unknown>[] };
    };
    expect(member.instanceAction.events[0]).toMatchObject({ event: 'compute_start', result: 'Error' });
    expect(member.instanceAction.events[0]).not.toHaveProperty('traceback');
    expect(member.instanceAction.events[0]).not.toHaveProperty('host');
    expect(member.instanceAction.events[0]!.hostId).toMatch(/^[0-9a-f]{56}$/);
    const admin = (await fx.call('GET', url, { mv: '2.62', token: fx.adminToken })).json() as {
      instanceAction: { events: Record<string, unknown>[] };
    };
    expect(admin.instanceAction.events[0]).toMatchObject({ traceback: 'Traceback: boom', host: 'host-a' });
    expect((await fx.call('GET', `${md}${sid}/os-instance-actions/req-nope`)).statusCode).toBe(404);
    // 2.58 paging
    const page = (await fx.call('GET', `${md}${sid}/os-instance-actions?limit=1`, { mv: '2.58' })).json() as {
      instanceActions: { request_id: string; updated_at: string }[];
    };
    expect(page.instanceActions).toHaveLength(1);
    expect(page.instanceActions[0]).toHaveProperty('updated_at');
    const next = (
      await fx.call(
        'GET',
        `${md}${sid}/os-instance-actions?limit=1&marker=${page.instanceActions[0]!.request_id}`,
        { mv: '2.58' },
      )
    ).json() as {
      instanceActions: { action: string }[];
    };
    expect(next.instanceActions.map((a) => a.action)).toEqual(['create']);
    expect(
      (await fx.call('GET', `${md}${sid}/os-instance-actions?marker=zz`, { mv: '2.58' })).statusCode,
    ).toBe(400);
    expect(
      (await fx.call('GET', `${md}${sid}/os-instance-actions?changes-since=nope`, { mv: '2.58' })).statusCode,
    ).toBe(400);

    // 2.84: every event has `details`, the failed one's fault message (null otherwise)
    type Events = { instanceAction: { events: Record<string, unknown>[] } };
    const at83 = (await fx.call('GET', url, { mv: '2.83' })).json() as Events;
    expect(at83.instanceAction.events[0]).not.toHaveProperty('details');
    for (const token of [undefined, fx.adminToken]) {
      const at84 = (await fx.call('GET', url, { mv: '2.84', token })).json() as Events;
      expect(at84.instanceAction.events[0]).toMatchObject({ result: 'Error', details: 'Traceback: boom' });
    }
    await fx.sql(
      `INSERT INTO compute.instance_action_events (action_id, event, result, host, finish_time)
       VALUES ($1, 'compute_claim', 'Success', 'host-a', now())`,
      [create!.id],
    );
    const ok = (await fx.call('GET', url, { mv: '2.92' })).json() as Events;
    expect(ok.instanceAction.events.find((e) => e.event === 'compute_claim')).toHaveProperty('details', null);

    if (haveTempest) {
      const cases: SchemaCase[] = [];
      // Tempest 33 has no 2.84 schema: 2.62's plus the required `details`
      const events = "['response_body']['properties']['instanceAction']['properties']['events']['items']";
      for (const token of [undefined, fx.adminToken]) {
        const s = await fx.call('GET', url, { mv: '2.92', token });
        cases.push({
          module: 'v2_62.servers',
          name: 'show_instance_action',
          status: s.statusCode,
          body: s.json(),
          fix: addFields(events, { details: { type: ['string', 'null'] } }),
        });
      }
      for (const [mv, mod] of [
        ['2.1', 'v2_1'],
        ['2.58', 'v2_58'],
        ['2.62', 'v2_62'],
      ] as const)
        for (const token of [undefined, fx.adminToken]) {
          if (mv === '2.1') {
            // Tempest validates the list with the 2.1 schema only
            const l = await fx.call('GET', `${md}${sid}/os-instance-actions`, { mv, token });
            cases.push({
              module: `${mod}.servers`,
              name: 'list_instance_actions',
              status: l.statusCode,
              body: l.json(),
            });
          }
          const s = await fx.call('GET', url, { mv, token });
          cases.push({
            module: `${mod}.servers`,
            name: 'show_instance_action',
            status: s.statusCode,
            body: s.json(),
          });
        }
      const tags = await fx.call('GET', `${md}${id}/tags`, { mv: '2.26' });
      cases.push({ module: 'v2_26.servers', name: 'list_tags', status: tags.statusCode, body: tags.json() });
      const ips = await fx.call('GET', `${md}${id}/ips`);
      cases.push({
        module: 'v2_1.servers',
        name: 'list_addresses',
        status: ips.statusCode,
        body: ips.json(),
      });
      expect(tempestCheck(cases).filter(Boolean)).toEqual([]);
    }
  });
});

describe('ips and password', () => {
  it('ips are empty until networks; unknown network 404; password is empty', async () => {
    expect((await fx.call('GET', `${md}${id}/ips`)).json()).toEqual({ addresses: {} });
    expect((await fx.call('GET', `${md}${id}/ips/private`)).statusCode).toBe(404);
    expect((await fx.call('GET', `${md}${id}/os-server-password`)).json()).toEqual({ password: '' });
    expect((await fx.call('DELETE', `${md}${id}/os-server-password`)).statusCode).toBe(204);
  });
});

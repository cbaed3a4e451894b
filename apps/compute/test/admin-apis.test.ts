import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFlavors } from '../src/bootstrap.js';
import { recordMigration } from '../src/db/migrations.repo.js';
import { type ComputeHarness, startCompute } from './harness.js';

let h: ComputeHarness;
let imageId: string;

beforeAll(async () => {
  h = await startCompute({
    fakeHosts: [
      { hostname: 'adm-a', cpus: 8, memoryMb: 16384 },
      { hostname: 'adm-b', cpus: 8, memoryMb: 16384 },
    ],
  });
  await seedFlavors(h.ctx.pool);
  const img = await h.image.app.inject({
    method: 'POST',
    url: '/v2/images',
    headers: { 'x-auth-token': h.adminToken },
    payload: { name: 'cirros', disk_format: 'raw', container_format: 'bare', visibility: 'public' },
  });
  imageId = img.json().id;
  await h.image.app.inject({
    method: 'PUT',
    url: `/v2/images/${imageId}/file`,
    headers: { 'x-auth-token': h.adminToken, 'content-type': 'application/octet-stream' },
    payload: Buffer.alloc(4096, 7),
  });
});
afterAll(async () => {
  await h?.close();
});

const boot = async (extra: Record<string, unknown> = {}) => {
  const res = await h.call('POST', '/v2.1/servers', {
    token: h.demoToken,
    body: { server: { name: 'adm', imageRef: imageId, flavorRef: '0', networks: 'none', ...extra } },
    microversion: '2.37',
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().server.id as string;
};

describe('os-aggregates', () => {
  it('CRUD, hosts by service name, metadata, 2.41 uuid; admin only', async () => {
    const created = await h.call('POST', '/v2.1/os-aggregates', {
      body: { aggregate: { name: 'agg1', availability_zone: 'az1' } },
    });
    expect(created.statusCode).toBe(200);
    const a = created.json().aggregate;
    expect(Object.keys(a).sort()).toEqual(
      ['availability_zone', 'created_at', 'deleted', 'deleted_at', 'id', 'name', 'updated_at'].sort(),
    );
    expect(typeof a.id).toBe('number');
    const dup = await h.call('POST', '/v2.1/os-aggregates', { body: { aggregate: { name: 'agg1' } } });
    expect(dup.statusCode).toBe(409);
    for (const name of ['', 'x'.repeat(256)])
      expect(
        (await h.call('POST', '/v2.1/os-aggregates', { body: { aggregate: { name } } })).statusCode,
      ).toBe(400);
    expect((await h.call('GET', '/v2.1/os-aggregates', { token: h.demoToken })).statusCode).toBe(403);

    const add = await h.call('POST', `/v2.1/os-aggregates/${a.id}/action`, {
      body: { add_host: { host: 'adm-a' } },
    });
    expect(add.statusCode).toBe(200);
    expect(add.json().aggregate).toMatchObject({ hosts: ['adm-a'], metadata: { availability_zone: 'az1' } });
    const again = await h.call('POST', `/v2.1/os-aggregates/${a.id}/action`, {
      body: { add_host: { host: 'adm-a' } },
    });
    expect(again.statusCode).toBe(409);
    const none = await h.call('POST', `/v2.1/os-aggregates/${a.id}/action`, {
      body: { add_host: { host: 'no-such-host' } },
    });
    expect(none.statusCode).toBe(404);
    expect((await h.call('DELETE', `/v2.1/os-aggregates/${a.id}`)).statusCode).toBe(400);

    // the zone is the host's zone now: os-hosts and servers see it
    const hosts = (await h.call('GET', '/v2.1/os-hosts?zone=az1')).json().hosts;
    expect(hosts).toEqual([{ host_name: 'adm-a', service: 'compute', zone: 'az1' }]);
    const id = await boot({ availability_zone: 'az1' });
    const server = await h.waitForServer(id, 'ACTIVE');
    expect(server['OS-EXT-AZ:availability_zone']).toBe('az1');
    await h.call('DELETE', `/v2.1/servers/${id}`);

    const meta = await h.call('POST', `/v2.1/os-aggregates/${a.id}/action`, {
      body: { set_metadata: { metadata: { ssd: 'true' } } },
      microversion: '2.41',
    });
    expect(meta.json().aggregate).toMatchObject({ metadata: { ssd: 'true', availability_zone: 'az1' } });
    expect(meta.json().aggregate.uuid).toMatch(/^[0-9a-f-]{36}$/);
    const upd = await h.call('PUT', `/v2.1/os-aggregates/${a.id}`, { body: { aggregate: { name: 'agg2' } } });
    expect(upd.json().aggregate.name).toBe('agg2');
    expect(upd.json().aggregate.updated_at).not.toBeNull();
    const rm = await h.call('POST', `/v2.1/os-aggregates/${a.id}/action`, {
      body: { remove_host: { host: 'adm-a' } },
    });
    expect(rm.json().aggregate.hosts).toEqual([]);
    const rm2 = await h.call('POST', `/v2.1/os-aggregates/${a.id}/action`, {
      body: { remove_host: { host: 'adm-a' } },
    });
    expect(rm2.statusCode).toBe(404);
    expect((await h.call('DELETE', `/v2.1/os-aggregates/${a.id}`)).statusCode).toBe(200);
    expect((await h.call('GET', `/v2.1/os-aggregates/${a.id}`)).statusCode).toBe(404);
  });
});

describe('os-hosts', () => {
  it('lists every service host, shows resources, answers updates and power actions as Nova', async () => {
    const all = (await h.call('GET', '/v2.1/os-hosts')).json().hosts;
    expect(all.filter((x: { service: string }) => x.service === 'compute')).toHaveLength(2);
    expect((await h.call('GET', '/v2.1/os-hosts?zone=')).json().hosts).toEqual(all);
    expect((await h.call('GET', '/v2.1/os-hosts?zone=xxx')).json().hosts).toEqual([]);
    const show = (await h.call('GET', '/v2.1/os-hosts/adm-b')).json().host;
    expect(show[0].resource).toEqual({
      host: 'adm-b',
      project: '(total)',
      cpu: 8,
      memory_mb: 16384,
      disk_gb: expect.any(Number),
    });
    expect(show.map((r: { resource: { project: string } }) => r.resource.project).slice(0, 3)).toEqual([
      '(total)',
      '(used_now)',
      '(used_max)',
    ]);
    expect((await h.call('GET', '/v2.1/os-hosts/nope')).statusCode).toBe(404);
    expect((await h.call('GET', '/v2.1/os-hosts', { token: h.demoToken })).statusCode).toBe(403);
    expect((await h.call('PUT', '/v2.1/os-hosts/adm-b', { body: { status: 'invalid' } })).statusCode).toBe(
      400,
    );
    expect((await h.call('PUT', '/v2.1/os-hosts/adm-b', { body: {} })).statusCode).toBe(400);
    expect((await h.call('PUT', '/v2.1/os-hosts/nope', { body: { status: 'enable' } })).statusCode).toBe(404);
    for (const a of ['reboot', 'shutdown', 'startup']) {
      expect((await h.call('GET', `/v2.1/os-hosts/nope/${a}`)).statusCode).toBe(404);
      expect((await h.call('GET', `/v2.1/os-hosts/adm-b/${a}`, { token: h.demoToken })).statusCode).toBe(403);
    }
    expect((await h.call('GET', '/v2.1/os-hosts', { microversion: '2.43' })).statusCode).toBe(404);
  });
});

describe('os-quota-class-sets', () => {
  it("shows and updates class 'default', which new projects then get", async () => {
    const show = (await h.call('GET', '/v2.1/os-quota-class-sets/default')).json().quota_class_set;
    expect(show).toMatchObject({ id: 'default', instances: 10, floating_ips: 10 });
    expect(show.server_groups).toBeUndefined();
    const upd = await h.call('PUT', '/v2.1/os-quota-class-sets/default', {
      body: { quota_class_set: { instances: 110, server_groups: 33 } },
      microversion: '2.57',
    });
    expect(upd.statusCode).toBe(200);
    expect(upd.json().quota_class_set).toMatchObject({ instances: 110, server_groups: 33 });
    expect(upd.json().quota_class_set.injected_files).toBeUndefined();
    const q = (await h.call('GET', '/v2.1/os-quota-sets/some-new-project')).json().quota_set;
    expect(q.instances).toBe(110);
    expect(
      (await h.call('PUT', '/v2.1/os-quota-class-sets/default', { body: { quota_class_set: { bogus: 1 } } }))
        .statusCode,
    ).toBe(400);
    expect(
      (await h.call('GET', '/v2.1/os-quota-class-sets/default', { token: h.demoToken })).statusCode,
    ).toBe(403);
    await h.call('PUT', '/v2.1/os-quota-class-sets/default', {
      body: { quota_class_set: { instances: 10 } },
    });
  });
});

describe('os-migrations, migrate, events, audit log, diagnostics', () => {
  it('lists migration records per microversion', async () => {
    const serverId = crypto.randomUUID();
    await recordMigration(h.ctx.db, {
      taskId: crypto.randomUUID(),
      serverId,
      projectId: 'p',
      userId: 'u',
      migrationType: 'resize',
      sourceCompute: h.hosts[0]!.id,
      destCompute: h.hosts[0]!.id,
      oldFlavorId: '0',
      newFlavorId: '1',
    });
    const old = (await h.call('GET', '/v2.1/os-migrations')).json().migrations;
    const m = old.find((x: { instance_uuid: string }) => x.instance_uuid === serverId);
    expect(m).toMatchObject({
      status: 'migrating',
      source_compute: 'adm-a',
      old_instance_type_id: 0,
      new_instance_type_id: 1,
    });
    expect(m.uuid).toBeUndefined();
    const neu = (await h.call('GET', '/v2.1/os-migrations?limit=1', { microversion: '2.80' })).json();
    expect(neu.migrations[0]).toMatchObject({ migration_type: 'resize', user_id: 'u', project_id: 'p' });
    expect(neu.migrations_links).toBeDefined();
    expect(
      (await h.call('GET', '/v2.1/os-migrations?changes-since=nope', { microversion: '2.59' })).statusCode,
    ).toBe(400);
    expect((await h.call('GET', '/v2.1/os-migrations', { token: h.demoToken })).statusCode).toBe(403);
  });

  it('a resize writes a migration; migrate: 404 unknown, 400 (no cold migration) known', async () => {
    const id = await boot();
    await h.waitForServer(id, 'ACTIVE');
    expect(
      (await h.call('POST', `/v2.1/servers/${crypto.randomUUID()}/action`, { body: { migrate: null } }))
        .statusCode,
    ).toBe(404);
    expect((await h.call('POST', `/v2.1/servers/${id}/action`, { body: { migrate: null } })).statusCode).toBe(
      400,
    );
    const r = await h.call('POST', `/v2.1/servers/${id}/action`, {
      token: h.demoToken,
      body: { resize: { flavorRef: '1' } },
    });
    expect(r.statusCode).toBe(202);
    await h.waitForServer(id, 'VERIFY_RESIZE');
    const ms = (await h.call('GET', `/v2.1/os-migrations?instance_uuid=${id}`)).json().migrations;
    expect(ms).toHaveLength(1);
    expect(ms[0]).toMatchObject({ status: 'finished', new_instance_type_id: 1 });
    await h.call('POST', `/v2.1/servers/${id}/action`, { token: h.demoToken, body: { confirmResize: null } });
    await h.waitForServer(id, 'ACTIVE');
    await expect
      .poll(
        async () =>
          (await h.call('GET', `/v2.1/os-migrations?instance_uuid=${id}`)).json().migrations[0].status,
      )
      .toBe('confirmed');

    // diagnostics (admin)
    const d = await h.call('GET', `/v2.1/servers/${id}/diagnostics`, { microversion: '2.48' });
    expect(d.statusCode).toBe(200);
    expect(d.json()).toMatchObject({
      state: 'running',
      driver: 'libvirt',
      num_cpus: 1,
      memory_details: { maximum: 512 },
    });
    expect((await h.call('GET', `/v2.1/servers/${id}/diagnostics`)).json().memory).toBe(512 * 1024);
    expect((await h.call('GET', `/v2.1/servers/${id}/diagnostics`, { token: h.demoToken })).statusCode).toBe(
      403,
    );

    // external events: known 200, unknown 404 per event → 207
    const ev = await h.call('POST', '/v2.1/os-server-external-events', {
      body: {
        events: [
          { name: 'network-changed', server_uuid: id },
          { name: 'network-changed', server_uuid: crypto.randomUUID() },
        ],
      },
    });
    expect(ev.statusCode).toBe(207);
    expect(ev.json().events.map((e: { code: number }) => e.code)).toEqual([200, 404]);
    const evNone = await h.call('POST', '/v2.1/os-server-external-events', {
      body: { events: [{ name: 'network-changed', server_uuid: crypto.randomUUID() }] },
    });
    expect(evNone.statusCode).toBe(404);
    await h.call('DELETE', `/v2.1/servers/${id}`);
  });

  it('instance usage audit log: list, show before a time, bad time 400, admin only', async () => {
    const list = (await h.call('GET', '/v2.1/os-instance_usage_audit_log')).json().instance_usage_audit_logs;
    expect(list).toMatchObject({ num_hosts: 2, num_hosts_not_run: 2, total_errors: 0 });
    const show = await h.call(
      'GET',
      `/v2.1/os-instance_usage_audit_log/${encodeURIComponent('2024-03-15 10:00:00')}`,
    );
    expect(show.json().instance_usage_audit_log).toMatchObject({
      period_beginning: '2024-02-01 00:00:00',
      period_ending: '2024-03-01 00:00:00',
    });
    expect((await h.call('GET', '/v2.1/os-instance_usage_audit_log/invalid_time')).statusCode).toBe(400);
    expect(
      (await h.call('GET', '/v2.1/os-instance_usage_audit_log', { token: h.demoToken })).statusCode,
    ).toBe(403);
  });
});

import { randomUUID } from 'node:crypto';
import { KumoError } from '@kumo/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulerClient, type SchedulerClient } from '../src/index.js';
import { fakeRegistration, type SchedulerHarness, startScheduler } from './harness.js';

describe('scheduler REST API', () => {
  let h: SchedulerHarness;
  let client: SchedulerClient;

  beforeAll(async () => {
    h = await startScheduler();
    await h.svc.scheduler.registerHost('r-1', fakeRegistration('r-1', { cpus: 2, memoryMb: 4096 }));
    await h.svc.scheduler.registerHost('r-2', fakeRegistration('r-2', { cpus: 2, memoryMb: 8192 }));
    const url = await h.svc.app.listen({ host: '127.0.0.1', port: 0 });
    client = createSchedulerClient(url, async () => h.identity.adminToken);
  });
  afterAll(async () => {
    await h?.close();
  });

  const body = (o: Record<string, unknown> = {}) => ({
    consumer_id: randomUUID(),
    project_id: 'p',
    user_id: 'u',
    resources: { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 },
    ...o,
  });

  it('schedules, shows, claims on a host, releases (idempotently)', async () => {
    const b = body();
    const res = await h.call('POST', '/kumo/v1/schedule', { body: b });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      host: 'r-2',
      address: 'r-2:7700',
      availability_zone: 'nova',
      allocations: { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 },
    });
    expect((await h.call('POST', '/kumo/v1/schedule', { body: b })).json().host).toBe('r-2');
    const got = (await h.call('GET', `/kumo/v1/allocations/${b.consumer_id}`)).json();
    expect(got).toMatchObject({
      consumer_id: b.consumer_id,
      host: 'r-2',
      project_id: 'p',
      allocations: b.resources,
    });
    const moved = await h.call('PUT', `/kumo/v1/allocations/${b.consumer_id}`, {
      body: { host: 'r-1', resources: { VCPU: 2, MEMORY_MB: 1024 }, project_id: 'p', user_id: 'u' },
    });
    expect(moved.statusCode).toBe(200);
    const hosts = (await h.call('GET', '/kumo/v1/hosts')).json().hosts;
    expect(hosts.map((x: { id: string; usages: unknown }) => [x.id, x.usages])).toEqual([
      ['r-1', { VCPU: 2, MEMORY_MB: 1024, DISK_GB: 0 }],
      ['r-2', { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 }],
    ]);
    expect((await h.call('DELETE', `/kumo/v1/allocations/${b.consumer_id}`)).statusCode).toBe(204);
    expect((await h.call('DELETE', `/kumo/v1/allocations/${b.consumer_id}`)).statusCode).toBe(204);
    expect((await h.call('GET', `/kumo/v1/allocations/${b.consumer_id}`)).json()).toMatchObject({
      host: null,
      allocations: {},
    });
  });

  it('bad input is a 400 naming the field; unknown hosts 404; tokens and roles are checked', async () => {
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/kumo/v1/schedule', undefined, 400, /JSON body is required/],
      ['POST', '/kumo/v1/schedule', body({ consumer_id: 'nope' }), 400, /consumer_id: must be a UUID/],
      ['POST', '/kumo/v1/schedule', body({ resources: { GPU: 1 } }), 400, /resources/],
      ['POST', '/kumo/v1/schedule', body({ resources: { VCPU: -1 } }), 400, /resources\.VCPU/],
      ['POST', '/kumo/v1/schedule', body({ resources: { VCPU: 0 } }), 400, /resources: at least one of/],
      [
        'POST',
        '/kumo/v1/schedule',
        body({ required_traits: ['lower'] }),
        400,
        /required_traits\.0: must be a trait/,
      ],
      ['POST', '/kumo/v1/schedule', body({ group: { id: randomUUID(), policy: 'x' } }), 400, /group\.policy/],
      ['POST', '/kumo/v1/schedule', body({ project_id: 'x'.repeat(65) }), 400, /project_id/],
      ['POST', '/kumo/v1/schedule', body({ extra: 1 }), 400, /extra/],
      [
        'GET',
        '/kumo/v1/allocations/not-a-uuid',
        undefined,
        400,
        /consumer_id: must be a UUID \(got "not-a-uuid"\)/,
      ],
      ['PUT', `/kumo/v1/allocations/${randomUUID()}`, { host: 'r-1' }, 400, /resources/],
      [
        'PUT',
        `/kumo/v1/allocations/${randomUUID()}`,
        { host: 'nowhere', resources: { VCPU: 1 }, project_id: 'p', user_id: 'u' },
        404,
        /Could not find host: nowhere/,
      ],
      [
        'PUT',
        `/kumo/v1/allocations/${randomUUID()}`,
        { host: 'r-1', resources: { VCPU: 2, MEMORY_MB: 100_000 }, project_id: 'p', user_id: 'u' },
        409,
        /Host r-1 cannot hold consumer .*: MEMORY_MB 100000 is above max_unit 4096/,
      ],
      ['PATCH', '/kumo/v1/hosts/nowhere', { enabled: false }, 404, /Could not find host/],
      ['PATCH', '/kumo/v1/hosts/r-1', { allocation_ratios: { VCPU: 0 } }, 400, /allocation_ratios\.VCPU/],
      ['PATCH', '/kumo/v1/hosts/r-1', { enabled: 'yes' }, 400, /enabled/],
      ['PUT', '/kumo/v1/hosts/r-1/traits', { traits: 'CUSTOM_X' }, 400, /traits/],
      ['GET', '/kumo/v1/hosts/bad%20host', undefined, 400, /host_id/],
      ['POST', '/kumo/v1/join-tokens', { ttl_seconds: 0 }, 400, /ttl_seconds/],
    ];
    for (const [method, url, b, status, msg] of cases) {
      const res = await h.call(method, url, { body: b });
      expect({ url, body: b, status: res.statusCode }).toEqual({ url, body: b, status });
      expect(res.json().error.message).toMatch(msg);
    }
    const raw = await h.svc.app.inject({
      method: 'POST',
      url: '/kumo/v1/schedule',
      headers: { 'x-auth-token': h.identity.adminToken, 'content-type': 'application/json' },
      payload: '{"consumer_id":',
    });
    expect(raw.statusCode).toBe(400);
    expect((await h.call('GET', '/kumo/v1/hosts', { token: '' })).statusCode).toBe(401);
    expect((await h.call('GET', '/kumo/v1/hosts', { token: h.identity.demoToken })).statusCode).toBe(403);
    expect(
      (await h.call('POST', '/kumo/v1/schedule', { token: h.identity.demoToken, body: body() })).statusCode,
    ).toBe(403);
  });

  it('PATCH disables a host and moves it to another zone', async () => {
    const res = await h.call('PATCH', '/kumo/v1/hosts/r-1', {
      body: { enabled: false, disabled_reason: 'maintenance', availability_zone: 'az-b' },
    });
    expect(res.json().host).toMatchObject({
      enabled: false,
      disabled_reason: 'maintenance',
      availability_zone: 'az-b',
    });
    const zones = (await h.call('GET', '/kumo/v1/availability-zones')).json().availability_zones;
    expect(zones.map((z: { name: string; available: boolean }) => [z.name, z.available])).toEqual([
      ['az-b', false],
      ['nova', true],
    ]);
    const refused = await h.call('POST', '/kumo/v1/schedule', { body: body({ availability_zone: 'az-b' }) });
    expect(refused.json().error.message).toBe(
      'No valid host was found. 2 hosts: ComputeFilter removed 1, AvailabilityZoneFilter removed 1.',
    );
    await h.call('PATCH', '/kumo/v1/hosts/r-1', { body: { enabled: true, availability_zone: 'nova' } });
    expect((await h.call('GET', '/kumo/v1/hosts/r-1')).json().host.disabled_reason).toBeNull();
  });

  it('the HTTP client speaks the same API and maps errors back to KumoErrors', async () => {
    const b = body({ group: { id: randomUUID(), policy: 'anti-affinity' } });
    const placed = await client.schedule(b);
    expect(placed.allocations).toEqual(b.resources);
    expect((await client.getAllocations(b.consumer_id)).host).toBe(placed.host);
    expect((await client.host(placed.host)).address).toBe(`${placed.host}:7700`);
    expect((await client.listHosts({ status: 'up' })).map((x) => x.id)).toEqual(['r-1', 'r-2']);
    const err = await client.schedule(body({ resources: { MEMORY_MB: 1_000_000 } })).catch((e) => e);
    expect(err).toBeInstanceOf(KumoError);
    expect(err).toMatchObject({ kind: 'conflict', type: 'NoValidHost' });
    expect(err.message).toMatch(
      /^No valid host was found\. 2 hosts: ComputeFilter removed 0, RamFilter removed 2\.$/,
    );
    await expect(client.getHost('nowhere')).rejects.toMatchObject({ kind: 'not_found' });
    await expect(
      client.claimOnHost('bad', { host: 'r-1', resources: {}, project_id: 'p', user_id: 'u' }),
    ).rejects.toMatchObject({
      kind: 'invalid',
    });
    const t = await client.createJoinToken({ host_id: 'r-9' });
    expect(t.token).toMatch(/^kumo1\./);
    expect((await client.setTraits('r-2', ['CUSTOM_FAST'])).traits).toContain('CUSTOM_FAST');
    expect((await client.updateHost('r-2', { reserved: { VCPU: 1 } })).inventories.VCPU).toMatchObject({
      reserved: 1,
    });
    expect((await client.availabilityZones()).map((z) => z.name)).toEqual(['nova']);
    await client.release(b.consumer_id);
    expect((await client.getAllocations(b.consumer_id)).host).toBeNull();
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlaneClient, joinControlPlane } from '@kumo/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistration, type SchedulerHarness, startScheduler } from './harness.js';

describe('agents enrol, register and heartbeat over HTTPS; hosts go down without heartbeats', () => {
  let h: SchedulerHarness;
  let url: string;
  let dir: string;
  let offset = 0;

  beforeAll(async () => {
    h = await startScheduler({}, { now: () => Date.now() + offset });
    await h.svc.agentApp.listen({ host: '127.0.0.1', port: 0 });
    const addr = h.svc.agentApp.server.address();
    url = `https://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    dir = await mkdtemp(join(tmpdir(), 'kumo-sched-agent-'));
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a join token from the REST API enrols a real agent certificate; registration makes a host', async () => {
    const denied = await h.call('POST', '/kumo/v1/join-tokens', {
      token: h.identity.demoToken,
      body: { host_id: 'node-1' },
    });
    expect(denied.statusCode).toBe(403);
    const res = await h.call('POST', '/kumo/v1/join-tokens', {
      body: { host_id: 'node-1', ttl_seconds: 600 },
    });
    expect(res.statusCode).toBe(201);
    const { token } = res.json();
    expect((await h.db.pool.query('SELECT count(*)::int AS n FROM scheduler.join_tokens')).rows[0].n).toBe(1);

    const id = await joinControlPlane({
      controlPlaneUrl: url,
      joinToken: token,
      hostId: 'node-1',
      certsDir: dir,
    });
    // burnt in Postgres: the same token never works twice
    await expect(
      joinControlPlane({
        controlPlaneUrl: url,
        joinToken: token,
        hostId: 'node-1',
        certsDir: join(dir, 'x'),
      }),
    ).rejects.toThrow(/401/);

    const agent = new ControlPlaneClient(url, { ca: id.caPem, cert: id.certPem, key: id.keyPem });
    await agent.register(
      'node-1',
      fakeRegistration('node-1', { cpus: 8, memoryMb: 16_384 }, '10.0.0.1:7700'),
    );
    const host = (await h.call('GET', '/kumo/v1/hosts/node-1')).json().host;
    expect(host).toMatchObject({
      id: 'node-1',
      address: '10.0.0.1:7700',
      status: 'up',
      enabled: true,
      availability_zone: 'nova',
      hypervisor: 'fake',
      arch: 'x86_64',
      traits: ['COMPUTE_HYPERVISOR_FAKE', 'HW_ARCH_X86_64'],
      inventories: {
        VCPU: { total: 8, reserved: 0, allocation_ratio: 4, capacity: 32 },
        MEMORY_MB: { total: 16_384, reserved: 512, allocation_ratio: 1, capacity: 15_872 },
        DISK_GB: { total: 1024, capacity: 1024 },
      },
      usages: { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 },
    });

    // another agent's certificate, or none, cannot register node-1
    const anonymous = new ControlPlaneClient(url, { ca: id.caPem });
    await expect(anonymous.register('node-1', fakeRegistration('node-1'))).rejects.toThrow(/401/);

    // operator overrides and custom traits survive a re-registration
    const patched = await h.call('PATCH', '/kumo/v1/hosts/node-1', {
      body: { reserved: { MEMORY_MB: 1024 }, allocation_ratios: { VCPU: 2 } },
    });
    expect(patched.statusCode).toBe(200);
    expect(
      (await h.call('PUT', '/kumo/v1/hosts/node-1/traits', { body: { traits: ['CUSTOM_SSD'] } })).statusCode,
    ).toBe(200);
    await agent.register(
      'node-1',
      fakeRegistration('node-1', { cpus: 16, memoryMb: 16_384 }, '10.0.0.1:7700'),
    );
    const again = (await h.call('GET', '/kumo/v1/hosts/node-1')).json().host;
    expect(again.inventories.VCPU).toMatchObject({ total: 16, allocation_ratio: 2, capacity: 32 });
    expect(again.inventories.MEMORY_MB).toMatchObject({ reserved: 1024 });
    expect(again.traits).toContain('CUSTOM_SSD');
  });

  it('two agents racing with one token: exactly one is enrolled (the token burns in Postgres)', async () => {
    const { token } = await h.svc.controlPlane.createJoinToken();
    const results = await Promise.allSettled(
      ['race-a', 'race-b'].map((id) =>
        joinControlPlane({ controlPlaneUrl: url, joinToken: token, hostId: id, certsDir: join(dir, id) }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('a host whose heartbeats stop goes down and takes nothing; a heartbeat brings it back', async () => {
    const id = await joinControlPlane({
      controlPlaneUrl: url,
      joinToken: h.svc.controlPlane.issueJoinToken({ hostId: 'node-2' }).token,
      hostId: 'node-2',
      certsDir: join(dir, 'node-2'),
    });
    const agent = new ControlPlaneClient(url, { ca: id.caPem, cert: id.certPem, key: id.keyPem });
    await agent.register('node-2', fakeRegistration('node-2'));
    const before = (await h.call('GET', '/kumo/v1/hosts/node-2')).json().host.last_heartbeat_at;
    offset += 30_000;
    await agent.heartbeat('node-2');
    const after = (await h.call('GET', '/kumo/v1/hosts/node-2')).json().host;
    expect(Date.parse(after.last_heartbeat_at)).toBeGreaterThan(Date.parse(before));

    offset += 61_000; // no heartbeat for longer than KUMO_SCHEDULER_HOST_DOWN_MS
    const hosts = (await h.call('GET', '/kumo/v1/hosts?status=down')).json().hosts;
    expect(hosts.map((x: { id: string }) => x.id).sort()).toEqual(['node-1', 'node-2']);
    const body = {
      consumer_id: '6f1f4a52-57a3-4c3a-8f0a-3d7d1f6f0a01',
      project_id: 'p',
      user_id: 'u',
      resources: { VCPU: 1, MEMORY_MB: 128 },
    };
    const refused = await h.call('POST', '/kumo/v1/schedule', { body });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toBe('No valid host was found. 2 hosts: ComputeFilter removed 2.');
    const zones = (await h.call('GET', '/kumo/v1/availability-zones')).json().availability_zones;
    expect(zones).toEqual([{ name: 'nova', available: false, hosts: expect.any(Array) }]);

    await agent.heartbeat('node-2');
    const placed = await h.call('POST', '/kumo/v1/schedule', { body });
    expect(placed.statusCode).toBe(200);
    expect(placed.json()).toMatchObject({ host: 'node-2', allocations: { VCPU: 1, MEMORY_MB: 128 } });
  });
});

import { randomUUID } from 'node:crypto';
import { KumoError } from '@kumo/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScheduleRequest } from '../src/index.js';
import { fakeRegistration, type SchedulerHarness, startScheduler } from './harness.js';

const req = (o: Partial<ScheduleRequest> = {}): ScheduleRequest => ({
  consumerId: randomUUID(),
  projectId: 'p1',
  userId: 'u1',
  resources: { VCPU: 1, MEMORY_MB: 64, DISK_GB: 1 },
  ...o,
});

const usedOf = async (h: SchedulerHarness, host: string) => {
  const r = await h.db.pool.query(
    'SELECT resource_class, used FROM scheduler.inventories WHERE provider_id = $1',
    [host],
  );
  return Object.fromEntries(r.rows.map((x) => [x.resource_class, x.used]));
};
const allocSum = async (h: SchedulerHarness, host: string, rc: string) =>
  Number(
    (
      await h.db.pool.query(
        'SELECT coalesce(sum(amount), 0) AS s FROM scheduler.allocations WHERE provider_id = $1 AND resource_class = $2',
        [host, rc],
      )
    ).rows[0].s,
  );

describe('placement claims (Postgres)', () => {
  let h: SchedulerHarness;
  const s = () => h.svc.scheduler;

  beforeAll(async () => {
    h = await startScheduler({ KUMO_SCHEDULER_CPU_RATIO: '1', KUMO_SCHEDULER_RESERVED_RAM_MB: '0' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('50 parallel schedules on a host that fits 10: exactly 10 win, never overcommitted', async () => {
    await s().registerHost('ten', fakeRegistration('ten', { cpus: 10 }));
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => s().schedule(req({ forceHost: 'ten' }))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(10);
    for (const r of results)
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(KumoError);
        expect((r.reason as KumoError).kind).toBe('conflict');
        expect((r.reason as KumoError).message).toMatch(/^No valid host was found/);
      }
    expect((await usedOf(h, 'ten')).VCPU).toBe(10);
    expect(await allocSum(h, 'ten', 'VCPU')).toBe(10);
  });

  it('50 parallel claims on one given host (PUT allocations) never overcommit either', async () => {
    await s().registerHost('ten-b', fakeRegistration('ten-b', { cpus: 10 }));
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        s().claimOnHost(randomUUID(), {
          host: 'ten-b',
          resources: { VCPU: 1 },
          projectId: 'p',
          userId: 'u',
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason.message).toMatch(/Host ten-b cannot hold consumer .*: VCPU 1 requested, 0 free/);
    expect((await usedOf(h, 'ten-b')).VCPU).toBe(10);
  });

  it('anti-affinity race: 2 hosts, 3 parallel members → exactly 2 placed, on different hosts', async () => {
    await s().registerHost('aa-1', fakeRegistration('aa-1'));
    await s().registerHost('aa-2', fakeRegistration('aa-2'));
    const group = { id: randomUUID(), policy: 'anti-affinity' as const };
    const results = await Promise.allSettled(
      [1, 2, 3].map(() =>
        s().schedule(req({ group, availabilityZone: 'nova', ignoreHosts: ['ten', 'ten-b'] })),
      ),
    );
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.host] : []));
    expect(won.sort()).toEqual(['aa-1', 'aa-2']);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason.message).toMatch(
      /^No valid host was found\. \d+ hosts: ComputeFilter removed 0, IgnoreHostsFilter removed 2, .*ServerGroupAntiAffinityFilter removed/,
    );
  });

  it('affinity keeps members together, even when racing', async () => {
    const group = { id: randomUUID(), policy: 'affinity' as const };
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => s().schedule(req({ group, ignoreHosts: ['ten', 'ten-b'] }))),
    );
    expect(new Set(results.map((r) => r.host)).size).toBe(1);
  });

  it('says which filter removed how many hosts', async () => {
    const err = await s()
      .schedule(req({ resources: { VCPU: 1, MEMORY_MB: 10_000_000 } }))
      .catch((e) => e);
    expect(err.message).toBe(
      'No valid host was found. 4 hosts: ComputeFilter removed 0, RamFilter removed 4.',
    );
    const arch = await s()
      .schedule(req({ imageProperties: { hw_architecture: 'aarch64' } }))
      .catch((e) => e);
    expect(arch.message).toMatch(/ImagePropertiesFilter removed 4/);
    expect(arch.type).toBe('NoValidHost');
  });

  it('is idempotent per consumer, releases idempotently, replaces on a given host', async () => {
    const r = req({ forceHost: 'aa-1' });
    const first = await s().schedule(r);
    const again = await s().schedule({ ...r, forceHost: undefined });
    expect(again).toMatchObject({ host: first.host, allocations: { VCPU: 1, MEMORY_MB: 64, DISK_GB: 1 } });
    const before = await usedOf(h, 'aa-1');
    // resize on the same host: the old allocation is replaced, not added to
    await s().claimOnHost(r.consumerId, {
      host: 'aa-1',
      resources: { VCPU: 2, MEMORY_MB: 128 },
      projectId: 'p1',
      userId: 'u1',
    });
    expect(await usedOf(h, 'aa-1')).toEqual({
      VCPU: before.VCPU + 1,
      MEMORY_MB: before.MEMORY_MB + 64,
      DISK_GB: before.DISK_GB - 1,
    });
    expect(await s().release(r.consumerId)).toBe(true);
    expect(await s().release(r.consumerId)).toBe(false);
    expect(await s().getAllocations(r.consumerId)).toBeUndefined();
    expect(await usedOf(h, 'aa-1')).toEqual({
      VCPU: before.VCPU - 1,
      MEMORY_MB: before.MEMORY_MB - 64,
      DISK_GB: before.DISK_GB - 1,
    });
  });

  it('a disabled host takes nothing; spread picks the emptiest host', async () => {
    await s().updateHost('aa-2', { enabled: false, disabledReason: 'maintenance' });
    const err = await s()
      .schedule(req({ forceHost: 'aa-2' }))
      .catch((e) => e);
    expect(err.message).toMatch(/ComputeFilter removed 1/);
    await s().updateHost('aa-2', { enabled: true });
    await s().registerHost('big', fakeRegistration('big', { memoryMb: 1024 * 1024 }));
    expect((await s().schedule(req())).host).toBe('big');
  });
});

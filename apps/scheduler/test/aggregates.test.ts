import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulerClient, type SchedulerClient } from '../src/index.js';
import { fakeRegistration, type SchedulerHarness, startScheduler } from './harness.js';

describe('scheduler aggregates', () => {
  let h: SchedulerHarness;
  let client: SchedulerClient;

  beforeAll(async () => {
    h = await startScheduler();
    await h.svc.scheduler.registerHost('g-1', fakeRegistration('g-1'));
    await h.svc.scheduler.registerHost('g-2', fakeRegistration('g-2'));
    const url = await h.svc.app.listen({ host: '127.0.0.1', port: 0 });
    client = createSchedulerClient(url, async () => h.identity.adminToken);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('creates, renames, sets metadata, deletes; names are unique', async () => {
    const a = await client.createAggregate({ name: 'agg-a' });
    expect(a).toMatchObject({ name: 'agg-a', availability_zone: null, hosts: [], metadata: {} });
    expect(typeof a.seq).toBe('number');
    await expect(client.createAggregate({ name: 'agg-a' })).rejects.toMatchObject({ kind: 'conflict' });
    const byNum = await client.getAggregate(String(a.seq));
    expect(byNum.id).toBe(a.id);
    const renamed = await client.updateAggregate(a.id, { name: 'agg-b', availability_zone: 'zone-b' });
    expect(renamed).toMatchObject({
      name: 'agg-b',
      availability_zone: 'zone-b',
      metadata: { availability_zone: 'zone-b' },
    });
    expect(renamed.updated_at).not.toBeNull();
    const meta = await client.setAggregateMetadata(a.id, { k: 'v', availability_zone: null });
    expect(meta.metadata).toEqual({ k: 'v' });
    expect(meta.availability_zone).toBeNull();
    await client.deleteAggregate(a.id);
    await expect(client.getAggregate(a.id)).rejects.toMatchObject({ kind: 'not_found' });
    expect((await h.call('POST', '/kumo/v1/aggregates', { body: { name: '' } })).statusCode).toBe(400);
    expect((await h.call('GET', '/kumo/v1/aggregates/nope')).statusCode).toBe(400);
    expect((await h.call('GET', '/kumo/v1/aggregates', { token: h.identity.demoToken })).statusCode).toBe(
      403,
    );
  });

  it("an aggregate's zone becomes its hosts' zone, and the scheduler places into it", async () => {
    const a = await client.createAggregate({ name: 'zoned', availability_zone: 'az-x' });
    await expect(client.addAggregateHost(a.id, 'nope')).rejects.toMatchObject({ kind: 'not_found' });
    const withHost = await client.addAggregateHost(a.id, 'g-1');
    expect(withHost.hosts).toEqual(['g-1']);
    await expect(client.addAggregateHost(a.id, 'g-1')).rejects.toMatchObject({ kind: 'conflict' });
    expect((await client.getHost('g-1')).availability_zone).toBe('az-x');
    expect((await client.availabilityZones()).map((z) => z.name)).toEqual(['az-x', 'nova']);
    // a host is in at most one zone
    const b = await client.createAggregate({ name: 'other-zone', availability_zone: 'az-y' });
    await expect(client.addAggregateHost(b.id, 'g-1')).rejects.toMatchObject({ kind: 'invalid' });
    await client.deleteAggregate(b.id);
    const consumer = randomUUID();
    const placed = await client.schedule({
      consumer_id: consumer,
      project_id: 'p',
      user_id: 'u',
      resources: { VCPU: 1, MEMORY_MB: 64, DISK_GB: 1 },
      availability_zone: 'az-x',
    });
    expect(placed).toMatchObject({ host: 'g-1', availability_zone: 'az-x' });
    // its zone cannot change while the host runs servers; it cannot go while it has hosts
    await expect(client.updateAggregate(a.id, { availability_zone: 'az-z' })).rejects.toMatchObject({
      kind: 'invalid',
    });
    await expect(client.deleteAggregate(a.id)).rejects.toMatchObject({ kind: 'invalid' });
    await client.release(consumer);
    const removed = await client.removeAggregateHost(a.id, 'g-1');
    expect(removed.hosts).toEqual([]);
    await expect(client.removeAggregateHost(a.id, 'g-1')).rejects.toMatchObject({ kind: 'not_found' });
    expect((await client.getHost('g-1')).availability_zone).toBe('nova');
    await client.deleteAggregate(a.id);
  });

  it('parallel adds of one host: one wins, the other conflicts', async () => {
    const a = await client.createAggregate({ name: 'race' });
    const results = await Promise.allSettled([
      client.addAggregateHost(a.id, 'g-2'),
      client.addAggregateHost(a.id, 'g-2'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await client.removeAggregateHost(a.id, 'g-2');
    await client.deleteAggregate(a.id);
  });
});

import { DriverError } from '@kumo/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDiskId } from '../src/jobs/domain-spec.js';
import { flavor, imageBytes, type SagaEnv, startSagaEnv } from './saga-fixtures.js';

const GiB = 1024 ** 3;
let env: SagaEnv;
let imageId: string;

beforeAll(async () => {
  env = await startSagaEnv({
    hosts: [
      { hostname: 'good-host', cpus: 8, memoryMb: 16_384 },
      {
        hostname: 'bad-host',
        cpus: 8,
        memoryMb: 8_192,
        failOn: { startDomain: new DriverError('internal', 'injected: qemu died on start') },
      },
    ],
  });
  imageId = env.images.add(imageBytes()).id;
}, 60_000);

afterAll(async () => {
  await env?.close();
});

const allocationOf = async (serverId: string) => env.scheduler.scheduler.getAllocations(serverId);

describe('build saga', () => {
  it('boots a server to ACTIVE with an event per step, a domain, a disk and an allocation', async () => {
    // the spread weigher prefers the host with more free RAM: good-host
    const { serverId, actionId } = await env.createServer({
      imageId,
      name: 'web-1',
      userData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
    });
    const s = await env.waitFor(serverId, (r) => r.vm_state !== 'building');
    expect(s).toMatchObject({ vm_state: 'active', task_state: null, power_state: 1, host: env.hosts[0]!.id });
    // no zone asked: the server shows its host's zone (Nova's default zone is `nova`)
    expect(s.availability_zone).toBe('nova');
    expect(s.launched_at).toBeTruthy();
    expect(s.fault).toBeNull();
    const events = await env.events(actionId);
    expect(events.map((e) => e.event)).toEqual([
      'compute_fetch_image',
      'compute_claim',
      'compute_ensure_image',
      'compute_create_disk',
      'compute_ensure_domain',
      'compute_start',
    ]);
    expect(events.every((e) => e.result === 'Success')).toBe(true);
    const action = await env.ctx.pool.query(
      'SELECT finish_time, message FROM compute.instance_actions WHERE id = $1',
      [actionId],
    );
    expect(action.rows[0].finish_time).toBeTruthy();
    expect(action.rows[0].message).toBeNull();

    const d = env.hosts[0]!.drivers;
    const dom = await d.compute.status(serverId);
    expect(dom).toMatchObject({ power: 'running', vcpus: 1, memoryMb: 512 });
    const disk = await d.storage.getDisk(rootDiskId(serverId));
    expect(disk).toMatchObject({ sizeBytes: GiB, backingImage: imageId });
    const alloc = await allocationOf(serverId);
    expect(alloc).toMatchObject({
      providerId: env.hosts[0]!.id,
      resources: { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 },
    });
    // the config drive carries the hostname: the fake guest prints it when it boots
    const log = await d.compute.consoleLog(serverId);
    expect(log.data).toContain(`hostname=host-${serverId.slice(0, 8)}`);
    const task = await env.ctx.pool.query(
      'SELECT state, attempts FROM compute.server_tasks WHERE server_id = $1',
      [serverId],
    );
    expect(task.rows).toEqual([{ state: 'done', attempts: 1 }]);
  });

  it('a host whose start fails: ERROR with a fault, and no domain, disk or allocation left', async () => {
    // fill good-host's RAM so the scheduler picks bad-host
    const big = flavor({ id: 'big', name: 'big', vcpus: 1, ramMb: 12_000 });
    const filler = await env.createServer({ imageId, flavor: big });
    await env.waitFor(filler.serverId, (r) => r.vm_state === 'active');
    const { serverId, actionId } = await env.createServer({ imageId, flavor: flavor({ ramMb: 4096 }) });
    const s = await env.waitFor(serverId, (r) => r.vm_state !== 'building');
    expect(s).toMatchObject({ vm_state: 'error', task_state: null });
    const fault = s.fault as { code: number; message: string; created: string };
    expect(fault.code).toBe(500);
    expect(fault.message).toBe(`Build of instance ${serverId} aborted: injected: qemu died on start`);
    expect(Date.parse(fault.created)).toBeGreaterThan(0);
    const bad = env.hosts[1]!.drivers;
    expect((await bad.compute.list()).map((x) => x.instance)).not.toContain(serverId);
    expect((await bad.storage.listDisks()).map((x) => x.disk)).not.toContain(rootDiskId(serverId));
    expect(await allocationOf(serverId)).toBeUndefined();
    expect(s.host).toBeNull();
    const events = await env.events(actionId);
    expect(events.at(-1)).toMatchObject({ event: 'compute_start', result: 'Error' });
    expect(events.at(-1)!.traceback).toContain('qemu died');
    const action = await env.ctx.pool.query('SELECT message FROM compute.instance_actions WHERE id = $1', [
      actionId,
    ]);
    expect(action.rows[0].message).toBe('Error');
    await env.act(filler.serverId, 'delete', 'deleting');
    await env.waitFor(filler.serverId, (r) => r.vm_state === 'deleted');
  });

  it('no valid host: ERROR with the scheduler message naming the filter', async () => {
    const { serverId } = await env.createServer({ imageId, flavor: flavor({ vcpus: 4096 }) });
    const s = await env.waitFor(serverId, (r) => r.vm_state !== 'building');
    expect(s.vm_state).toBe('error');
    const fault = s.fault as { code: number; message: string };
    expect(fault.code).toBe(500);
    expect(fault.message).toMatch(/^No valid host was found/);
    expect(fault.message).toMatch(/VCPU|CPU|Core/i);
    expect(await allocationOf(serverId)).toBeUndefined();
  });

  it('an image that is missing fails the build before anything is claimed', async () => {
    const { serverId } = await env.createServer({ imageId: '00000000-0000-4000-8000-000000000000' });
    const s = await env.waitFor(serverId, (r) => r.vm_state !== 'building');
    expect(s.vm_state).toBe('error');
    expect((s.fault as { message: string }).message).toContain('could not be read');
    expect(await allocationOf(serverId)).toBeUndefined();
  });

  it('a delete queued during a build runs after it, and cleans everything', async () => {
    const { serverId } = await env.createServer({ imageId });
    await env.act(serverId, 'delete', 'deleting');
    const s = await env.waitFor(serverId, (r) => r.vm_state === 'deleted');
    expect(s.deleted_at).toBeTruthy();
    for (const h of env.hosts) {
      expect((await h.drivers.compute.list()).map((x) => x.instance)).not.toContain(serverId);
      expect((await h.drivers.storage.listDisks()).map((x) => x.disk)).not.toContain(rootDiskId(serverId));
    }
    expect(await allocationOf(serverId)).toBeUndefined();
  });

  it('the outbox re-enqueuer runs a task that was never dispatched (Redis lost the job)', async () => {
    const { serverId } = await env.createServer({ imageId, dispatch: false });
    const s = await env.waitFor(serverId, (r) => r.vm_state !== 'building', 10_000);
    expect(s.vm_state).toBe('active');
  });
});

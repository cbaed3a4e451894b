import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDiskId } from '../src/jobs/domain-spec.js';
import { flavor, imageBytes, type SagaEnv, startSagaEnv } from './saga-fixtures.js';

const GiB = 1024 ** 3;
let env: SagaEnv;
let imageId: string;

beforeAll(async () => {
  env = await startSagaEnv({ hosts: [{ hostname: 'act-host-0' }, { hostname: 'act-host-1' }] });
  imageId = env.images.add(imageBytes()).id;
}, 60_000);

afterAll(async () => {
  await env?.close();
});

const idle = (r: Record<string, unknown>) => r.task_state === null;

async function boot(o: Parameters<SagaEnv['createServer']>[0] = {}) {
  const { serverId } = await env.createServer({ imageId, ...o });
  const s = await env.waitFor(serverId, (r) => r.vm_state !== 'building');
  expect(s.vm_state).toBe('active');
  const host = env.hosts.find((h) => h.id === s.host)!;
  return { serverId, host };
}

/** Run an action and wait until the server rests again; returns the row and the action's events. */
async function act(serverId: string, kind: Parameters<SagaEnv['act']>[1], taskState: string, params = {}) {
  const actionId = await env.act(serverId, kind, taskState, params);
  const row = await env.waitFor(serverId, idle);
  return { row, events: await env.events(actionId) };
}

describe('server actions', () => {
  it('stop, start, soft and hard reboot, pause/unpause, suspend/resume', async () => {
    const { serverId, host } = await boot();
    const power = async () => (await host.drivers.compute.status(serverId)).power;

    let r = await act(serverId, 'stop', 'powering_off');
    expect(r.row).toMatchObject({ vm_state: 'stopped', power_state: 4 });
    expect(r.events).toMatchObject([{ event: 'compute_stop', result: 'Success' }]);
    expect(await power()).toBe('shutoff');

    r = await act(serverId, 'start', 'powering_on');
    expect(r.row).toMatchObject({ vm_state: 'active', power_state: 1 });
    expect(await power()).toBe('running');

    r = await act(serverId, 'reboot', 'rebooting', { type: 'SOFT' });
    expect(r.row).toMatchObject({ vm_state: 'active', power_state: 1 });
    expect(r.events).toMatchObject([{ event: 'compute_reboot', result: 'Success' }]);

    r = await act(serverId, 'reboot', 'rebooting_hard', { type: 'HARD' });
    expect(r.events).toMatchObject([{ event: 'compute_reboot_hard', result: 'Success' }]);
    expect(await power()).toBe('running');

    r = await act(serverId, 'pause', 'pausing');
    expect(r.row).toMatchObject({ vm_state: 'paused', power_state: 3 });
    expect(await power()).toBe('paused');
    r = await act(serverId, 'unpause', 'unpausing');
    expect(r.row).toMatchObject({ vm_state: 'active', power_state: 1 });

    // suspend falls back to a pause (the agent has no managed save)
    r = await act(serverId, 'suspend', 'suspending');
    expect(r.row).toMatchObject({ vm_state: 'suspended', power_state: 7 });
    expect(await power()).toBe('paused');
    r = await act(serverId, 'resume', 'resuming');
    expect(r.row).toMatchObject({ vm_state: 'active', power_state: 1 });
    expect(await power()).toBe('running');
  });

  it('a failing action leaves the server where it was, with an Error event', async () => {
    const { serverId } = await boot();
    // unpause of a running domain is a no-op, so fail differently: resume a shut-off domain (conflict)
    await act(serverId, 'stop', 'powering_off');
    const r = await act(serverId, 'unpause', 'unpausing');
    expect(r.row).toMatchObject({ vm_state: 'stopped', task_state: null, power_state: 4 });
    expect(r.events.at(-1)).toMatchObject({ event: 'compute_unpause', result: 'Error' });
  });

  it('rebuild replaces the root disk from the new image on the same host', async () => {
    const { serverId, host } = await boot();
    const other = env.images.add(imageBytes(4096, 9)).id;
    const r = await act(serverId, 'rebuild', 'rebuilding', { imageId: other, name: 'rebuilt' });
    expect(r.row).toMatchObject({ vm_state: 'active', image_id: other, name: 'rebuilt', host: host.id });
    expect(r.events.every((e) => e.result === 'Success')).toBe(true);
    expect((await host.drivers.storage.getDisk(rootDiskId(serverId))).backingImage).toBe(other);
    expect((await host.drivers.compute.status(serverId)).power).toBe('running');
  });

  it('resize grows the disk, redefines the domain and moves the allocation; confirm keeps it', async () => {
    const { serverId, host } = await boot();
    const bigger = flavor({ id: '2', name: 'm1.small', vcpus: 2, ramMb: 1024, diskGb: 2 });
    let r = await act(serverId, 'resize', 'resize_prep', { flavor: bigger });
    expect(r.row).toMatchObject({ vm_state: 'resized', power_state: 1 });
    expect((r.row.flavor as { name: string }).name).toBe('m1.small');
    expect((r.row.old_flavor as { name: string }).name).toBe('m1.tiny');
    expect(await host.drivers.compute.status(serverId)).toMatchObject({
      vcpus: 2,
      memoryMb: 1024,
      power: 'running',
    });
    expect((await host.drivers.storage.getDisk(rootDiskId(serverId))).sizeBytes).toBe(2 * GiB);
    expect((await env.scheduler.scheduler.getAllocations(serverId))?.resources).toMatchObject({
      VCPU: 2,
      MEMORY_MB: 1024,
      DISK_GB: 2,
    });
    r = await act(serverId, 'confirm_resize', 'resize_confirming');
    expect(r.row).toMatchObject({ vm_state: 'active', old_flavor: null });
    expect((r.row.flavor as { name: string }).name).toBe('m1.small');
  });

  it('revert resize goes back to the old flavor and allocation (the grown disk stays)', async () => {
    const { serverId, host } = await boot();
    const bigger = flavor({ id: '2', name: 'm1.small', vcpus: 2, ramMb: 1024, diskGb: 2 });
    await act(serverId, 'resize', 'resize_prep', { flavor: bigger });
    const r = await act(serverId, 'revert_resize', 'resize_reverting');
    expect(r.row).toMatchObject({ vm_state: 'active', old_flavor: null, power_state: 1 });
    expect((r.row.flavor as { name: string }).name).toBe('m1.tiny');
    expect(await host.drivers.compute.status(serverId)).toMatchObject({ vcpus: 1, memoryMb: 512 });
    expect((await host.drivers.storage.getDisk(rootDiskId(serverId))).sizeBytes).toBe(2 * GiB);
    expect((await env.scheduler.scheduler.getAllocations(serverId))?.resources).toMatchObject({
      VCPU: 1,
      MEMORY_MB: 512,
    });
  });

  it('createImage exports the root disk as qcow2 to the upload URL', async () => {
    const { serverId } = await boot();
    const snap = env.images.add(imageBytes(), { status: 'queued' }).id;
    const r = await act(serverId, 'create_image', 'image_snapshot', { imageId: snap });
    expect(r.row).toMatchObject({ vm_state: 'active', task_state: null });
    expect(r.events).toMatchObject([{ event: 'compute_upload_image', result: 'Success' }]);
    const sent = env.images.uploads.get(snap);
    expect(sent?.subarray(0, 4).toString('latin1')).toBe('QFI\xfb');
  });

  it('delete destroys the domain, deletes the disk and releases the allocation', async () => {
    const { serverId, host } = await boot();
    const r = await act(serverId, 'delete', 'deleting');
    expect(r.row).toMatchObject({ vm_state: 'deleted', power_state: 0 });
    expect(r.row.deleted_at).toBeTruthy();
    expect(r.row.terminated_at).toBeTruthy();
    expect(r.events.map((e) => e.event)).toEqual([
      'compute_destroy_domain',
      'compute_delete_disks',
      'compute_release_allocation',
    ]);
    expect((await host.drivers.compute.list()).map((d) => d.instance)).not.toContain(serverId);
    await expect(host.drivers.storage.getDisk(rootDiskId(serverId))).rejects.toThrow(/not found/);
    expect(await env.scheduler.scheduler.getAllocations(serverId)).toBeUndefined();
  });

  it('delete while the host is down: deleted at once, allocation released, host cleaned when it returns', async () => {
    const { serverId, host } = await boot();
    env.agents.setReachable(host.id, false);
    try {
      const actionId = await env.act(serverId, 'delete', 'deleting');
      const row = await env.waitFor(serverId, (s) => s.vm_state === 'deleted');
      expect(row.deleted_at).toBeTruthy();
      expect(await env.scheduler.scheduler.getAllocations(serverId)).toBeUndefined();
      const ev = await env.events(actionId);
      expect(ev[0]).toMatchObject({ event: 'compute_destroy_domain', result: 'Error' });
      // the cleanup task stays pending and retries while the host is away
      await new Promise((r) => setTimeout(r, 600));
      const t = await env.ctx.pool.query(
        `SELECT state, attempts, error FROM compute.server_tasks WHERE server_id = $1 AND kind = 'delete'`,
        [serverId],
      );
      expect(t.rows[0].state).toMatch(/pending|running/);
      expect(t.rows[0].attempts).toBeGreaterThanOrEqual(2);
      expect((await host.drivers.compute.list()).map((d) => d.instance)).toContain(serverId);
    } finally {
      env.agents.setReachable(host.id, true);
    }
    const until = Date.now() + 10_000;
    for (;;) {
      const t = await env.ctx.pool.query(
        `SELECT state FROM compute.server_tasks WHERE server_id = $1 AND kind = 'delete'`,
        [serverId],
      );
      if (t.rows[0].state === 'done') break;
      if (Date.now() > until) throw new Error(`cleanup task still ${t.rows[0].state}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await host.drivers.compute.list()).map((d) => d.instance)).not.toContain(serverId);
    await expect(host.drivers.storage.getDisk(rootDiskId(serverId))).rejects.toThrow(/not found/);
  });

  it('tasks of one server run one at a time, oldest first', async () => {
    const { serverId } = await boot();
    // a delete may be queued while another task is in flight: it waits for it
    const a1 = await env.act(serverId, 'stop', 'powering_off');
    const a2 = await env.act(serverId, 'delete', 'deleting');
    await env.waitFor(serverId, (r) => r.vm_state === 'deleted');
    const times = await env.ctx.pool.query(
      `SELECT action_id, event, start_time, finish_time FROM compute.instance_action_events
        WHERE action_id IN ($1, $2) ORDER BY start_time`,
      [a1, a2],
    );
    const stops = times.rows.filter((r) => Number(r.action_id) === a1);
    const deletes = times.rows.filter((r) => Number(r.action_id) === a2);
    expect(deletes.map((r) => r.event)).toContain('compute_destroy_domain');
    for (const s of stops) expect(deletes[0].start_time >= s.finish_time).toBe(true);
    // the worker marks a task done just after its saga settles the server: give the last one that moment
    const states = async () =>
      (
        await env.ctx.pool.query(
          `SELECT kind, state FROM compute.server_tasks WHERE server_id = $1 ORDER BY created_at`,
          [serverId],
        )
      ).rows.map((t) => t.state);
    await expect.poll(states, { timeout: 5_000 }).toEqual(['done', 'done', 'done']);
  });
});

describe('power-state reconciler', () => {
  it('a guest that powers itself off shows SHUTOFF; a crash shows power crashed', async () => {
    const { serverId, host } = await boot();
    host.drivers.compute.guestPowerOff(serverId);
    let row = await env.waitFor(serverId, (r) => r.vm_state === 'stopped', 5_000);
    expect(row).toMatchObject({ vm_state: 'stopped', power_state: 4, task_state: null });
    await act(serverId, 'start', 'powering_on');
    host.drivers.compute.guestCrash(serverId);
    row = await env.waitFor(serverId, (r) => r.power_state === 6, 5_000);
    expect(row.vm_state).toBe('stopped');
  });

  it('the level-based sweep heals drift the events missed, and never touches a server in a task', async () => {
    const { serverId, host } = await boot();
    await env.ctx.pool.query(`UPDATE compute.servers SET task_state = 'powering_off' WHERE id = $1`, [
      serverId,
    ]);
    env.agents.setReachable(host.id, false); // no events while away
    env.agents.setReachable(host.id, true);
    await host.drivers.compute.stop(serverId, { force: true });
    await env.workers.sweepPower();
    expect((await env.server(serverId)).vm_state).toBe('active'); // in flight: left alone
    await env.ctx.pool.query(`UPDATE compute.servers SET task_state = NULL WHERE id = $1`, [serverId]);
    await env.workers.sweepPower();
    expect(await env.server(serverId)).toMatchObject({ vm_state: 'stopped', power_state: 4 });
  });
});

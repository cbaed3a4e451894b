import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, type ServersFixture, startServersFixture } from './servers-fixture.js';

let fx: ServersFixture;
beforeAll(async () => {
  fx = await startServersFixture({ quotaInstances: -1, quotaCores: -1, quotaRam: -1 });
});
afterAll(async () => {
  await fx?.close();
});

const action = (id: string, body: unknown, o: { token?: string; mv?: string } = {}) =>
  fx.call('POST', `/v2.1/servers/${id}/action`, { body, ...o });

const row = async (id: string) =>
  (
    await fx.sql<{
      vm_state: string;
      task_state: string | null;
      locked: boolean;
      locked_by: string | null;
      locked_reason: string | null;
      old_flavor: unknown;
      image_id: string;
      name: string;
    }>('SELECT * FROM compute.servers WHERE id = $1', [id])
  )[0]!;
const lastTask = async (id: string) =>
  (
    await fx.sql<{ kind: string; params: Record<string, unknown>; action_id: number }>(
      'SELECT * FROM compute.server_tasks WHERE server_id = $1 ORDER BY created_at DESC LIMIT 1',
      [id],
    )
  )[0]!;

/** A server resting in the given vm_state on host-a. */
const serverIn = async (vm: string, task: string | null = null) => {
  const id = await fx.boot();
  await fx.setState(id, vm, task, { host: 'host-a' });
  return id;
};

// action → [allowed vm_state, a refused vm_state, expected task_state, task kind, status]
const CASES: [string, unknown, string, string, string, string, number][] = [
  ['os-start', null, 'stopped', 'active', 'powering_on', 'start', 202],
  ['os-stop', null, 'active', 'stopped', 'powering_off', 'stop', 202],
  ['reboot', { type: 'SOFT' }, 'active', 'stopped', 'rebooting', 'reboot', 202],
  ['reboot', { type: 'HARD' }, 'stopped', 'building', 'rebooting_hard', 'reboot', 202],
  ['pause', null, 'active', 'paused', 'pausing', 'pause', 202],
  ['unpause', null, 'paused', 'active', 'unpausing', 'unpause', 202],
  ['suspend', null, 'active', 'suspended', 'suspending', 'suspend', 202],
  ['resume', null, 'suspended', 'active', 'resuming', 'resume', 202],
  ['confirmResize', null, 'resized', 'active', 'resize_confirming', 'confirm_resize', 204],
  ['revertResize', null, 'resized', 'active', 'resize_reverting', 'revert_resize', 202],
  ['resize', { flavorRef: '2' }, 'active', 'paused', 'resize_prep', 'resize', 202],
];

describe('server actions and their state guards', () => {
  for (const [name, args, ok, refused, next, kind, status] of CASES) {
    it(`${name} ${JSON.stringify(args)}: from ${ok} → task ${next}; from ${refused} → 409`, async () => {
      const id = await serverIn(ok);
      const res = await action(id, { [name]: args });
      expect(res.statusCode, res.body).toBe(status);
      const r = await row(id);
      expect(r.task_state).toBe(next);
      const t = await lastTask(id);
      expect(t.kind).toBe(kind);
      expect(fx.dispatched).toContain(
        (
          await fx.sql<{ id: string }>(
            'SELECT id FROM compute.server_tasks WHERE server_id = $1 AND kind = $2',
            [id, kind],
          )
        )[0]!.id,
      );
      // a second request while the task is in flight is a task_state conflict
      const again = await action(id, { [name]: args });
      expect(again.statusCode).toBe(409);
      expect(errorOf(again).message).toMatch(
        new RegExp(`^Cannot '\\w+' instance ${id} while it is in (task|vm)_state`),
      );
      const bad = await serverIn(refused);
      const res2 = await action(bad, { [name]: args });
      expect(res2.statusCode).toBe(409);
      expect(errorOf(res2)).toMatchObject({ key: 'conflictingRequest', code: 409 });
      expect(errorOf(res2).message).toContain(`while it is in vm_state ${refused}`);
    });
  }

  it('records one instance action per accepted action', async () => {
    const id = await serverIn('active');
    await action(id, { 'os-stop': null });
    const acts = await fx.sql<{ action: string }>(
      'SELECT action FROM compute.instance_actions WHERE server_id = $1 ORDER BY id',
      [id],
    );
    expect(acts.map((a) => a.action)).toEqual(['create', 'stop']);
  });

  it('concurrent stops of one server: exactly one wins', async () => {
    const id = await serverIn('active');
    const codes = (await Promise.all(Array.from({ length: 8 }, () => action(id, { 'os-stop': null })))).map(
      (r) => r.statusCode,
    );
    expect(codes.filter((c) => c === 202)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(7);
  });

  it('resize: same flavor 400, unknown flavor 400, disk down 400; old_flavor recorded', async () => {
    const id = await serverIn('active');
    expect(errorOf(await action(id, { resize: { flavorRef: '1' } })).message).toMatch(/must change flavor/);
    expect((await action(id, { resize: { flavorRef: '99' } })).statusCode).toBe(400);
    expect((await action(id, { resize: {} })).statusCode).toBe(400);
    expect((await action(id, { resize: { flavorRef: null } })).statusCode).toBe(400);
    const big = await fx.boot({ extra: { flavorRef: '3' } });
    await fx.setState(big, 'active', null);
    expect(errorOf(await action(big, { resize: { flavorRef: '2' } })).message).toMatch(/resize disk down/);
    expect((await action(id, { resize: { flavorRef: '2' } })).statusCode).toBe(202);
    expect((await row(id)).old_flavor).toMatchObject({ id: '1' });
    expect((await lastTask(id)).params).toMatchObject({ flavor: { id: '2', ramMb: 2048 } });
  });

  it('reboot needs a valid type', async () => {
    const id = await serverIn('active');
    for (const body of [{ reboot: {} }, { reboot: { type: 'WARM' } }, { reboot: { type: 1 } }])
      expect((await action(id, body)).statusCode).toBe(400);
  });

  it('lock: non-admin actions refused with 409; owner unlocks own lock; admin lock needs admin to unlock', async () => {
    const id = await serverIn('active');
    expect((await action(id, { lock: { locked_reason: 'maint' } }, { mv: '2.73' })).statusCode).toBe(202);
    expect(await row(id)).toMatchObject({ locked: true, locked_by: 'owner', locked_reason: 'maint' });
    const refused = await action(id, { 'os-stop': null });
    expect(refused.statusCode).toBe(409);
    expect(errorOf(refused).message).toBe(`Instance ${id} is locked`);
    expect((await fx.call('DELETE', `/v2.1/servers/${id}`)).statusCode).toBe(409);
    // an admin may act on a locked server
    expect((await action(id, { pause: null }, { token: fx.adminToken })).statusCode).toBe(202);
    expect((await action(id, { unlock: null })).statusCode).toBe(202);
    expect((await row(id)).locked).toBe(false);
    // locked by an admin: the owner cannot unlock
    expect((await action(id, { lock: null }, { token: fx.adminToken })).statusCode).toBe(202);
    expect((await action(id, { unlock: null })).statusCode).toBe(403);
    expect((await action(id, { unlock: null }, { token: fx.adminToken })).statusCode).toBe(202);
    // locked_reason needs 2.73
    expect((await action(id, { lock: { locked_reason: 'x' } }, { mv: '2.72' })).statusCode).toBe(400);
  });

  it('delete: any state, 204, idempotent while deleting, delete task; locked → 409 for members', async () => {
    for (const vm of ['building', 'error', 'active']) {
      const id = await serverIn(vm, vm === 'building' ? 'scheduling' : null);
      const res = await fx.call('DELETE', `/v2.1/servers/${id}`);
      expect(res.statusCode).toBe(204);
      expect((await row(id)).task_state).toBe('deleting');
      expect((await lastTask(id)).kind).toBe('delete');
      expect((await fx.call('DELETE', `/v2.1/servers/${id}`)).statusCode).toBe(204);
      const tasks = await fx.sql('SELECT id FROM compute.server_tasks WHERE server_id = $1 AND kind = $2', [
        id,
        'delete',
      ]);
      expect(tasks).toHaveLength(1);
    }
  });

  it('rebuild: new image, name, metadata; 202 with adminPass; state guard; 2.57 user_data', async () => {
    const id = await serverIn('active');
    const res = await action(
      id,
      {
        rebuild: {
          imageRef: fx.imageId,
          name: 'rebuilt',
          metadata: { a: 'b' },
          adminPass: 'pw',
          user_data: 'aGk=',
        },
      },
      { mv: '2.57' },
    );
    expect(res.statusCode).toBe(202);
    const s = (res.json() as { server: Record<string, unknown> }).server;
    expect(s).toMatchObject({
      name: 'rebuilt',
      adminPass: 'pw',
      metadata: { a: 'b' },
      status: 'REBUILD',
      user_data: 'aGk=',
    });
    expect(await row(id)).toMatchObject({ task_state: 'rebuilding', name: 'rebuilt' });
    expect((await lastTask(id)).params).toMatchObject({ imageId: fx.imageId, adminPass: 'pw' });
    expect((await action(id, { rebuild: { imageRef: fx.imageId } })).statusCode).toBe(409);
    const other = await serverIn('active');
    expect((await action(other, { rebuild: {} })).statusCode).toBe(400);
    expect((await action(other, { rebuild: { imageRef: crypto.randomUUID() } })).statusCode).toBe(400);
    expect(
      (await action(other, { rebuild: { imageRef: fx.imageId, user_data: 'aGk=' } }, { mv: '2.56' }))
        .statusCode,
    ).toBe(400);
  });

  it('createImage: queued snapshot image, create_image task, Location below 2.45, {image_id} from 2.45', async () => {
    const id = await serverIn('active');
    const res = await action(id, { createImage: { name: 'snap', metadata: { purpose: 'backup' } } });
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toMatch(/\/v2.1\/images\/[0-9a-f-]{36}$/);
    const imageId = String(res.headers.location).split('/').pop()!;
    expect(fx.images.get(imageId)).toMatchObject({
      name: 'snap',
      status: 'queued',
      instance_uuid: id,
      image_type: 'snapshot',
      purpose: 'backup',
      visibility: 'private',
    });
    expect((await lastTask(id)).params).toEqual({ imageId });
    expect((await row(id)).task_state).toBe('image_snapshot');
    const id2 = await serverIn('stopped');
    const res2 = await action(id2, { createImage: { name: 'snap2' } }, { mv: '2.45' });
    expect(res2.json()).toHaveProperty('image_id');
    // refused: no image is left behind
    const before = fx.images.size;
    const busy = await action(id, { createImage: { name: 'snap3' } });
    expect(busy.statusCode).toBe(409);
    expect(fx.images.size).toBe(before);
    expect((await action(id2, { createImage: {} })).statusCode).toBe(400);
  });

  it('os-resetState is admin-only; forceDelete/restore are 409 on live servers', async () => {
    const id = await serverIn('active', 'powering_off');
    expect((await action(id, { 'os-resetState': { state: 'error' } })).statusCode).toBe(403);
    expect(
      (await action(id, { 'os-resetState': { state: 'bogus' } }, { token: fx.adminToken })).statusCode,
    ).toBe(400);
    expect(
      (await action(id, { 'os-resetState': { state: 'error' } }, { token: fx.adminToken })).statusCode,
    ).toBe(202);
    expect(await row(id)).toMatchObject({ vm_state: 'error', task_state: null });
    expect((await action(id, { forceDelete: null })).statusCode).toBe(409);
    expect((await action(id, { restore: null })).statusCode).toBe(409);
    expect((await action(crypto.randomUUID(), { forceDelete: null })).statusCode).toBe(404);
  });

  it('os-getConsoleOutput: whole log, last N lines, bad length 400, not-yet-scheduled 409', async () => {
    const id = await serverIn('active');
    const all = await action(id, { 'os-getConsoleOutput': {} });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ output: 'line 1\nline 2\nline 3\n' });
    // Nova cuts the log into pieces on '\n' and keeps the last N: a trailing newline is an empty last piece
    // (Tempest checks `len(output.split('\n')) == 3` for length 3)
    const three = (await action(id, { 'os-getConsoleOutput': { length: 3 } })).json().output;
    expect(three).toBe('line 2\nline 3\n');
    expect(three.split('\n')).toHaveLength(3);
    expect((await action(id, { 'os-getConsoleOutput': { length: '2' } })).json()).toEqual({
      output: 'line 3\n',
    });
    expect((await action(id, { 'os-getConsoleOutput': { length: -1 } })).json()).toEqual({
      output: 'line 1\nline 2\nline 3\n',
    });
    expect((await action(id, { 'os-getConsoleOutput': { length: -2 } })).statusCode).toBe(400);
    expect((await action(id, { 'os-getConsoleOutput': { length: 'x' } })).statusCode).toBe(400);
    const building = await fx.boot();
    expect((await action(building, { 'os-getConsoleOutput': {} })).statusCode).toBe(409);
  });

  it('bad action bodies: unknown action, two actions, not an object, malformed JSON → 400', async () => {
    const id = await serverIn('active');
    expect(errorOf(await action(id, { fly: null })).message).toBe('There is no such action: fly');
    expect((await action(id, { pause: null, unpause: null })).statusCode).toBe(400);
    expect((await action(id, { pause: 'now' })).statusCode).toBe(400);
    expect((await action(id, [])).statusCode).toBe(400);
    expect((await fx.call('POST', `/v2.1/servers/${id}/action`, { raw: '{"pause":' })).statusCode).toBe(400);
    expect((await action('nope', { pause: null })).statusCode).toBe(404);
  });
});

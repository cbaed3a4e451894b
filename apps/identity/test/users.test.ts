import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, roles, users } from '../src/db/schema.js';
import { type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
let memberRoleId: string;
beforeAll(async () => {
  h = await startIdentity();
  const role = await h.ctx.db.query.roles.findFirst({ where: eq(roles.name, 'member') });
  memberRoleId = role!.id;
});
afterAll(async () => {
  await h?.close();
});

type Json = Record<string, unknown>;

async function createUser(user: Json, token = h.adminToken): Promise<Json> {
  const res = await h.call('POST', '/v3/users', { token, body: { user } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().user;
}

/** A user with the member role on the demo project, and a token scoped to it. */
async function demoMember(name: string, password: string): Promise<{ id: string; token: string }> {
  const u = await createUser({ name, password });
  await h.ctx.db.insert(assignments).values({
    actorType: 'user',
    actorId: u.id as string,
    targetType: 'project',
    targetId: h.ids.demoProjectId,
    roleId: memberRoleId,
  });
  return { id: u.id as string, token: await h.login(name, password, 'demo') };
}

const authBody = (name: string, password: string) => ({
  auth: {
    identity: { methods: ['password'], password: { user: { name, domain: { id: 'default' }, password } } },
  },
});

describe('users: CRUD', () => {
  it('creates a user with Keystone fields, extras in the body and no password in the answer', async () => {
    const u = await createUser({
      name: 'alice',
      password: 'alice-secret',
      email: 'alice@example.test',
      description: 'Alice',
      enabled: true,
      default_project_id: h.ids.demoProjectId,
    });
    expect(u).toMatchObject({
      name: 'alice',
      domain_id: 'default',
      enabled: true,
      email: 'alice@example.test',
      description: 'Alice',
      default_project_id: h.ids.demoProjectId,
      password_expires_at: null,
      options: {},
    });
    expect(u.id).toMatch(/^[0-9a-f]{32}$/);
    expect(u).not.toHaveProperty('password');
    expect((u.links as Json).self).toMatch(new RegExp(`/v3/users/${u.id}$`));
    const row = await h.ctx.db.query.users.findFirst({ where: eq(users.id, u.id as string) });
    expect(row!.passwordHash).toMatch(/^scrypt\$/);

    const got = await h.call('GET', `/v3/users/${u.id}`, { token: h.adminToken });
    expect(got.statusCode).toBe(200);
    expect(got.json().user).toEqual(u);
  });

  it('creates a user without a password, who cannot log in', async () => {
    const u = await createUser({ name: 'nopass' });
    expect(u.enabled).toBe(true);
    const res = await h.call('POST', '/v3/auth/tokens', { body: authBody('nopass', 'anything') });
    expect(res.statusCode).toBe(401);
  });

  it('answers 409 for a duplicate name in a domain, and allows it in another domain', async () => {
    await createUser({ name: 'dup' });
    const again = await h.call('POST', '/v3/users', { token: h.adminToken, body: { user: { name: 'dup' } } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.title).toBe('Conflict');
    const d = await h.call('POST', '/v3/domains', {
      token: h.adminToken,
      body: { domain: { name: 'other' } },
    });
    expect(d.statusCode).toBe(201);
    const other = await createUser({ name: 'dup', domain_id: d.json().domain.id });
    expect(other.domain_id).toBe(d.json().domain.id);
    // renaming onto a taken name is a conflict too
    const mine = await createUser({ name: 'dup2' });
    const rename = await h.call('PATCH', `/v3/users/${mine.id}`, {
      token: h.adminToken,
      body: { user: { name: 'dup' } },
    });
    expect(rename.statusCode).toBe(409);
  });

  it('answers 404 for unknown users and domains', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await h.call(method, '/v3/users/nope', { token: h.adminToken });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe(404);
    }
    const patch = await h.call('PATCH', '/v3/users/nope', {
      token: h.adminToken,
      body: { user: { name: 'x' } },
    });
    expect(patch.statusCode).toBe(404);
    for (const sub of ['projects', 'groups'])
      expect((await h.call('GET', `/v3/users/nope/${sub}`, { token: h.adminToken })).statusCode).toBe(404);
    const noDomain = await h.call('POST', '/v3/users', {
      token: h.adminToken,
      body: { user: { name: 'orphan', domain_id: 'f'.repeat(32) } },
    });
    expect(noDomain.statusCode).toBe(404);
  });

  it('rejects bad input with 400', async () => {
    const bodies: unknown[] = [
      { user: { name: 'x'.repeat(10_000) } },
      { user: { name: 'x'.repeat(256) } },
      { user: { name: '   ' } },
      { user: { name: 5 } },
      { user: { name: 'typed', enabled: 'yes' } },
      { user: { name: 'typed', password: 7 } },
      { user: { name: 'typed', password: 'p'.repeat(5000) } },
      { user: { name: 'typed', options: { no_such_option: true } } },
      { user: { name: 'typed', options: { lock_password: 'yes' } } },
      { user: { name: 'typed', domain_id: 'd'.repeat(10_000) } },
      { user: {} },
      { name: 'flat' },
      [],
    ];
    for (const body of bodies) {
      const res = await h.call('POST', '/v3/users', { token: h.adminToken, body });
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
    const u = await createUser({ name: 'immutable' });
    for (const user of [{ domain_id: 'other' }, { enabled: 1 }, { name: '' }, { description: 5 }]) {
      const res = await h.call('PATCH', `/v3/users/${u.id}`, { token: h.adminToken, body: { user } });
      expect(res.statusCode, JSON.stringify(user)).toBe(400);
    }
  });

  it('updates fields and extras (Tempest test_user_update)', async () => {
    const u = await createUser({
      name: 'upd',
      description: 'd1',
      password: 'upd-secret',
      email: 'upd@example.test',
      enabled: false,
    });
    const change = {
      name: 'upd2',
      description: 'd2',
      project_id: h.ids.demoProjectId,
      email: 'upd2@example.test',
      enabled: false,
    };
    const res = await h.call('PATCH', `/v3/users/${u.id}`, { token: h.adminToken, body: { user: change } });
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject(change);
    const got = await h.call('GET', `/v3/users/${u.id}`, { token: h.adminToken });
    expect(got.json().user).toMatchObject(change);
    // a partial update keeps the rest; options merge and null removes one
    const opt = await h.call('PATCH', `/v3/users/${u.id}`, {
      token: h.adminToken,
      body: { user: { options: { lock_password: true, ignore_password_expiry: true } } },
    });
    expect(opt.json().user.options).toEqual({ lock_password: true, ignore_password_expiry: true });
    const opt2 = await h.call('PATCH', `/v3/users/${u.id}`, {
      token: h.adminToken,
      body: { user: { options: { lock_password: null } } },
    });
    expect(opt2.json().user).toMatchObject({
      name: 'upd2',
      description: 'd2',
      options: { ignore_password_expiry: true },
    });
  });

  it('an admin password reset works and revokes the old tokens', async () => {
    const m = await demoMember('reset', 'reset-old');
    const res = await h.call('PATCH', `/v3/users/${m.id}`, {
      token: h.adminToken,
      body: { user: { password: 'reset-new' } },
    });
    expect(res.statusCode).toBe(200);
    expect((await h.call('GET', `/v3/users/${m.id}`, { token: m.token })).statusCode).toBe(401);
    expect(
      (await h.call('POST', '/v3/auth/tokens', { body: authBody('reset', 'reset-old') })).statusCode,
    ).toBe(401);
    await h.login('reset', 'reset-new', 'demo');
  });

  it('disabling a user revokes its tokens and blocks login', async () => {
    const m = await demoMember('dis', 'dis-secret');
    expect((await h.call('GET', `/v3/projects/${h.ids.demoProjectId}`, { token: m.token })).statusCode).toBe(
      200,
    );
    const res = await h.call('PATCH', `/v3/users/${m.id}`, {
      token: h.adminToken,
      body: { user: { enabled: false } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.enabled).toBe(false);
    expect((await h.call('GET', `/v3/projects/${h.ids.demoProjectId}`, { token: m.token })).statusCode).toBe(
      401,
    );
    expect(
      (await h.call('POST', '/v3/auth/tokens', { body: authBody('dis', 'dis-secret') })).statusCode,
    ).toBe(401);
  });

  it('deleting a user revokes its tokens and drops its role assignments', async () => {
    const m = await demoMember('gone', 'gone-secret');
    const del = await h.call('DELETE', `/v3/users/${m.id}`, { token: h.adminToken });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expect((await h.call('GET', `/v3/users/${m.id}`, { token: h.adminToken })).statusCode).toBe(404);
    expect((await h.call('GET', `/v3/projects/${h.ids.demoProjectId}`, { token: m.token })).statusCode).toBe(
      401,
    );
    const left = await h.ctx.db
      .select()
      .from(assignments)
      .where(and(eq(assignments.actorType, 'user'), eq(assignments.actorId, m.id)));
    expect(left).toHaveLength(0);
  });
});

describe('users: lists and filters', () => {
  let domainId: string;
  let inDomain: Json;
  let disabled: Json;
  beforeAll(async () => {
    const d = await h.call('POST', '/v3/domains', {
      token: h.adminToken,
      body: { domain: { name: 'lists' } },
    });
    domainId = d.json().domain.id;
    inDomain = await createUser({ name: 'list-b', email: 'b@example.test', domain_id: domainId });
    disabled = await createUser({ name: 'list-a', enabled: false });
  });

  it('lists every user, sorted by name, with links', async () => {
    const res = await h.call('GET', '/v3/users', { token: h.adminToken });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const names = body.users.map((u: Json) => u.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['admin', 'demo', 'list-a', 'list-b']));
    expect(body.links).toMatchObject({ previous: null, next: null });
  });

  it('filters by domain_id, name, enabled (Tempest test_list_users)', async () => {
    const ids = async (query: string) =>
      (await h.call('GET', `/v3/users?${query}`, { token: h.adminToken }))
        .json()
        .users.map((u: Json) => u.id);
    expect(await ids(`domain_id=${domainId}`)).toEqual([inDomain.id]);
    expect(await ids('name=list-b')).toEqual([inDomain.id]);
    const off = await ids('enabled=False');
    expect(off).toContain(disabled.id);
    expect(off).not.toContain(inDomain.id);
    const on = await ids('enabled=true');
    expect(on).toContain(inDomain.id);
    expect(on).not.toContain(disabled.id);
    expect(await ids('name__startswith=list-')).toEqual([disabled.id, inDomain.id]);
    expect(await ids('name__icontains=IST-B')).toEqual([inDomain.id]);
    expect(await ids('name__contains=%25')).toEqual([]);
    expect(await ids('name=nobody')).toEqual([]);
  });

  it('filters by password_expires_at', async () => {
    await h.ctx.db
      .update(users)
      .set({ passwordExpiresAt: new Date('2030-01-01T00:00:00Z') })
      .where(eq(users.id, inDomain.id as string));
    const ids = async (query: string) => {
      const res = await h.call('GET', `/v3/users?password_expires_at=${query}`, { token: h.adminToken });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().users.map((u: Json) => u.id);
    };
    expect(await ids('lt:2031-01-01T00:00:00Z')).toEqual([inDomain.id]);
    expect(await ids('gt:2031-01-01T00:00:00Z')).toEqual([]);
    expect(await ids('2030-01-01T00:00:00Z')).toEqual([inDomain.id]);
    expect(await ids('lte:2030-01-01T00:00:00Z')).toEqual([inDomain.id]);
    const bad = await h.call('GET', '/v3/users?password_expires_at=soon', { token: h.adminToken });
    expect(bad.statusCode).toBe(400);
    const badOp = await h.call('GET', '/v3/users?password_expires_at=around:2030-01-01', {
      token: h.adminToken,
    });
    expect(badOp.statusCode).toBe(400);
  });

  it("lists a user's projects (Tempest test_list_user_projects)", async () => {
    const u = await createUser({ name: 'proj-user', enabled: false });
    const made: string[] = [];
    for (const name of ['up-1', 'up-2']) {
      const p = await h.call('POST', '/v3/projects', { token: h.adminToken, body: { project: { name } } });
      made.push(p.json().project.id);
      await h.ctx.db.insert(assignments).values({
        actorType: 'user',
        actorId: u.id as string,
        targetType: 'project',
        targetId: p.json().project.id,
        roleId: memberRoleId,
      });
    }
    const res = await h.call('GET', `/v3/users/${u.id}/projects`, { token: h.adminToken });
    expect(res.statusCode).toBe(200);
    expect(
      res
        .json()
        .projects.map((p: Json) => p.id)
        .sort(),
    ).toEqual(made.sort());
    const one = await h.call('GET', `/v3/users/${u.id}/projects?name=up-2`, { token: h.adminToken });
    expect(one.json().projects.map((p: Json) => p.name)).toEqual(['up-2']);
  });
});

describe('users: member access', () => {
  it('lets a member read itself and list its own projects and groups', async () => {
    const me = await h.call('GET', `/v3/users/${h.ids.demoUserId}`, { token: h.demoToken });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.name).toBe('demo');
    const projects = await h.call('GET', `/v3/users/${h.ids.demoUserId}/projects`, { token: h.demoToken });
    expect(projects.statusCode).toBe(200);
    expect(projects.json().projects.map((p: Json) => p.id)).toContain(h.ids.demoProjectId);
    const groups = await h.call('GET', `/v3/users/${h.ids.demoUserId}/groups`, { token: h.demoToken });
    expect(groups.statusCode).toBe(200);
    expect(groups.json().groups).toEqual([]);
  });

  it('denies a member every admin call with 403', async () => {
    const admin = h.ids.adminUserId;
    const calls: [string, string, unknown?][] = [
      ['GET', '/v3/users'],
      ['GET', `/v3/users/${admin}`],
      ['GET', `/v3/users/${admin}/projects`],
      ['GET', `/v3/users/${admin}/groups`],
      ['POST', '/v3/users', { user: { name: 'sneaky' } }],
      ['PATCH', `/v3/users/${admin}`, { user: { enabled: false } }],
      ['PATCH', `/v3/users/${h.ids.demoUserId}`, { user: { enabled: false } }],
      ['DELETE', `/v3/users/${admin}`],
      ['POST', `/v3/users/${admin}/password`, { user: { password: 'x', original_password: 'y' } }],
    ];
    for (const [method, url, body] of calls) {
      const res = await h.call(method, url, { token: h.demoToken, body });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().error.title).toBe('Forbidden');
    }
    expect((await h.call('GET', '/v3/users')).statusCode).toBe(401);
  });
});

describe('users: own password change', () => {
  it('changes its own password, revoking its tokens (Tempest test_user_update_own_password)', async () => {
    const m = await demoMember('pw', 'pw-old');
    const url = `/v3/users/${m.id}/password`;
    const wrong = await h.call('POST', url, {
      token: m.token,
      body: { user: { password: 'pw-new', original_password: 'not-it' } },
    });
    expect(wrong.statusCode).toBe(401);
    expect((await h.call('GET', `/v3/projects/${h.ids.demoProjectId}`, { token: m.token })).statusCode).toBe(
      200,
    );
    for (const user of [{ password: 'pw-new' }, { password: 5, original_password: 'pw-old' }, {}]) {
      const res = await h.call('POST', url, { token: m.token, body: { user } });
      expect(res.statusCode, JSON.stringify(user)).toBe(400);
    }
    const ok = await h.call('POST', url, {
      token: m.token,
      body: { user: { password: 'pw-new', original_password: 'pw-old' } },
    });
    expect(ok.statusCode).toBe(204);
    expect(ok.body).toBe('');
    expect((await h.call('GET', `/v3/projects/${h.ids.demoProjectId}`, { token: m.token })).statusCode).toBe(
      401,
    );
    expect((await h.call('POST', '/v3/auth/tokens', { body: authBody('pw', 'pw-old') })).statusCode).toBe(
      401,
    );
    const fresh = await h.login('pw', 'pw-new', 'demo');
    expect((await h.call('GET', `/v3/projects/${h.ids.demoProjectId}`, { token: fresh })).statusCode).toBe(
      200,
    );
  });

  it('needs no token, the original password authenticates (a user with an expired password)', async () => {
    await createUser({ name: 'pw2', password: 'pw2-old' });
    const u = await h.ctx.db.query.users.findFirst({ where: eq(users.name, 'pw2') });
    const res = await h.call('POST', `/v3/users/${u!.id}/password`, {
      body: { user: { password: 'pw2-new', original_password: 'pw2-old' } },
    });
    expect(res.statusCode).toBe(204);
    await h.login('pw2', 'pw2-new');
    // an unknown user answers as a wrong password does
    const unknown = await h.call('POST', '/v3/users/nope/password', {
      body: { user: { password: 'a', original_password: 'b' } },
    });
    const wrong = await h.call('POST', `/v3/users/${u!.id}/password`, {
      body: { user: { password: 'a', original_password: 'b' } },
    });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    // a bad token is refused, not ignored
    const bad = await h.call('POST', `/v3/users/${u!.id}/password`, {
      token: 'garbage',
      body: { user: { password: 'pw2-x', original_password: 'pw2-new' } },
    });
    expect(bad.statusCode).toBe(401);
  });

  it('refuses a self-service change when lock_password is set', async () => {
    const u = await createUser({
      name: 'locked-pw',
      password: 'lp-secret',
      options: { lock_password: true },
    });
    const res = await h.call('POST', `/v3/users/${u.id}/password`, {
      body: { user: { password: 'lp-new', original_password: 'lp-secret' } },
    });
    expect(res.statusCode).toBe(400);
  });
});

describe('users: security compliance settings', () => {
  let s: IdentityHarness;
  beforeAll(async () => {
    s = await startIdentity({ lockout: { failures: 3, seconds: 60 }, passwordExpiresDays: 30 });
  });
  afterAll(async () => {
    await s?.close();
  });

  const attempt = (name: string, password: string) =>
    s.call('POST', '/v3/auth/tokens', { body: authBody(name, password) });

  it('locks a user out after 3 wrong passwords, with the same answer as a wrong password', async () => {
    const res = await s.call('POST', '/v3/users', {
      token: s.adminToken,
      body: { user: { name: 'victim', password: 'right-one' } },
    });
    expect(res.statusCode).toBe(201);
    // a success resets the count
    expect((await attempt('victim', 'wrong')).statusCode).toBe(401);
    expect((await attempt('victim', 'right-one')).statusCode).toBe(201);
    const wrongs = [];
    for (let i = 0; i < 3; i++) wrongs.push(await attempt('victim', `wrong-${i}`));
    for (const w of wrongs) expect(w.statusCode).toBe(401);
    const locked = await attempt('victim', 'right-one');
    expect(locked.statusCode).toBe(401);
    expect(locked.json()).toEqual(wrongs[0]!.json());
    expect(locked.json()).toEqual((await attempt('no-such-user', 'right-one')).json());
    // nor can the password be changed while locked
    const change = await s.call('POST', `/v3/users/${res.json().user.id}/password`, {
      body: { user: { password: 'new-one', original_password: 'right-one' } },
    });
    expect(change.statusCode).toBe(401);
    // enabling the user (as Keystone) lifts the lock
    const enable = await s.call('PATCH', `/v3/users/${res.json().user.id}`, {
      token: s.adminToken,
      body: { user: { enabled: true } },
    });
    expect(enable.statusCode).toBe(200);
    expect((await attempt('victim', 'right-one')).statusCode).toBe(201);
    // so does an admin password reset
    for (let i = 0; i < 3; i++) await attempt('victim', `wrong-${i}`);
    expect((await attempt('victim', 'right-one')).statusCode).toBe(401);
    await s.call('PATCH', `/v3/users/${res.json().user.id}`, {
      token: s.adminToken,
      body: { user: { password: 'reset-one' } },
    });
    expect((await attempt('victim', 'reset-one')).statusCode).toBe(201);
  });

  it('sets password_expires_at when passwords expire', async () => {
    const res = await s.call('POST', '/v3/users', {
      token: s.adminToken,
      body: { user: { name: 'expiring', password: 'exp-secret' } },
    });
    const at = Date.parse(res.json().user.password_expires_at);
    expect(res.json().user.password_expires_at).toMatch(/\.\d{6}Z$/);
    expect(Math.abs(at - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);
    const exempt = await s.call('POST', '/v3/users', {
      token: s.adminToken,
      body: { user: { name: 'exempt', password: 'exp-secret', options: { ignore_password_expiry: true } } },
    });
    expect(exempt.json().user.password_expires_at).toBeNull();
  });
});

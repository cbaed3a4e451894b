import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, roles } from '../src/db/schema.js';
import { type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
let domainId: string;
let memberRoleId: string;
beforeAll(async () => {
  h = await startIdentity();
  const d = await h.call('POST', '/v3/domains', {
    token: h.adminToken,
    body: { domain: { name: 'groups' } },
  });
  domainId = d.json().domain.id;
  memberRoleId = (await h.ctx.db.query.roles.findFirst({ where: eq(roles.name, 'member') }))!.id;
});
afterAll(async () => {
  await h?.close();
});

type Json = Record<string, unknown>;

async function create(kind: 'group' | 'user', body: Json): Promise<Json> {
  const res = await h.call('POST', `/v3/${kind}s`, { token: h.adminToken, body: { [kind]: body } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json()[kind];
}

const byName = (a: Json, b: Json) => String(a.name).localeCompare(String(b.name));

describe('groups: CRUD', () => {
  it('creates, shows, updates (Tempest test_group_create_update_get) and deletes a group', async () => {
    const g = await create('group', { name: 'G1', domain_id: domainId, description: 'first' });
    expect(g).toMatchObject({ name: 'G1', domain_id: domainId, description: 'first' });
    expect(g.id).toMatch(/^[0-9a-f]{32}$/);
    expect((g.links as Json).self).toMatch(new RegExp(`/v3/groups/${g.id}$`));
    const url = `/v3/groups/${g.id}`;
    const upd = await h.call('PATCH', url, {
      token: h.adminToken,
      body: { group: { name: 'G1b', description: 'second' } },
    });
    expect(upd.statusCode).toBe(200);
    expect(upd.json().group).toMatchObject({ name: 'G1b', description: 'second' });
    const shown = await h.call('GET', url, { token: h.adminToken });
    expect(shown.json().group).toMatchObject({ id: g.id, name: 'G1b', description: 'second' });
    // a single-field update leaves the rest
    const one = await h.call('PATCH', url, { token: h.adminToken, body: { group: { name: 'G1c' } } });
    expect(one.json().group).toMatchObject({ name: 'G1c', description: 'second', domain_id: domainId });
    const del = await h.call('DELETE', url, { token: h.adminToken });
    expect(del.statusCode).toBe(204);
    expect((await h.call('GET', url, { token: h.adminToken })).statusCode).toBe(404);
  });

  it("defaults to the caller's project domain and keeps extras", async () => {
    const g = await create('group', { name: 'defaulted', purpose: 'ops' });
    expect(g).toMatchObject({ domain_id: 'default', description: '', purpose: 'ops' });
  });

  it('lists groups with name and domain_id filters (Tempest test_list_groups)', async () => {
    const made = [];
    for (const name of ['L-c', 'L-a', 'L-b']) made.push(await create('group', { name, domain_id: domainId }));
    const all = await h.call('GET', '/v3/groups', { token: h.adminToken });
    expect(all.statusCode).toBe(200);
    const ids = all.json().groups.map((g: Json) => g.id);
    for (const g of made) expect(ids).toContain(g.id);
    const names = all.json().groups.map((g: Json) => g.name);
    expect(names).toEqual([...names].sort());
    expect(all.json().links).toMatchObject({ next: null, previous: null });
    const inDomain = await h.call('GET', `/v3/groups?domain_id=${domainId}`, { token: h.adminToken });
    expect(inDomain.json().groups.every((g: Json) => g.domain_id === domainId)).toBe(true);
    const named = await h.call('GET', '/v3/groups?name=L-b', { token: h.adminToken });
    expect(named.json().groups.map((g: Json) => g.id)).toEqual([made[2]!.id]);
  });

  it('answers 409 for a duplicate name in a domain and allows it in another', async () => {
    await create('group', { name: 'twin', domain_id: domainId });
    const again = await h.call('POST', '/v3/groups', {
      token: h.adminToken,
      body: { group: { name: 'twin', domain_id: domainId } },
    });
    expect(again.statusCode).toBe(409);
    await create('group', { name: 'twin' });
    const other = await create('group', { name: 'twin2', domain_id: domainId });
    const rename = await h.call('PATCH', `/v3/groups/${other.id}`, {
      token: h.adminToken,
      body: { group: { name: 'twin' } },
    });
    expect(rename.statusCode).toBe(409);
  });

  it('answers 404 for unknown groups and domains', async () => {
    for (const method of ['GET', 'DELETE'])
      expect((await h.call(method, '/v3/groups/nope', { token: h.adminToken })).statusCode).toBe(404);
    const patch = await h.call('PATCH', '/v3/groups/nope', {
      token: h.adminToken,
      body: { group: { name: 'x' } },
    });
    expect(patch.statusCode).toBe(404);
    expect((await h.call('GET', '/v3/groups/nope/users', { token: h.adminToken })).statusCode).toBe(404);
    const noDomain = await h.call('POST', '/v3/groups', {
      token: h.adminToken,
      body: { group: { name: 'lost', domain_id: 'f'.repeat(32) } },
    });
    expect(noDomain.statusCode).toBe(404);
  });

  it('rejects bad input with 400', async () => {
    const bodies: unknown[] = [
      { group: { name: 'x'.repeat(10_000) } },
      { group: { name: 'x'.repeat(65) } },
      { group: { name: 12 } },
      { group: { name: 'ok', description: 5 } },
      { group: { name: 'ok', domain_id: 7 } },
      { group: {} },
      { name: 'flat' },
    ];
    for (const body of bodies) {
      const res = await h.call('POST', '/v3/groups', { token: h.adminToken, body });
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
    const g = await create('group', { name: 'fixed', domain_id: domainId });
    for (const group of [{ domain_id: 'default' }, { name: '' }, { name: 'y'.repeat(10_000) }]) {
      const res = await h.call('PATCH', `/v3/groups/${g.id}`, { token: h.adminToken, body: { group } });
      expect(res.statusCode, JSON.stringify(group).slice(0, 60)).toBe(400);
    }
  });
});

describe('groups: membership', () => {
  it('adds, lists, checks and removes users (Tempest test_group_users_add_list_delete)', async () => {
    const g = await create('group', { name: 'members', domain_id: domainId });
    const users: Json[] = [];
    for (const name of ['m-c', 'm-a', 'm-b']) {
      const u = await create('user', { name, password: `${name}-pw`, email: `${name}@example.test` });
      users.push(u);
      const put = await h.call('PUT', `/v3/groups/${g.id}/users/${u.id}`, { token: h.adminToken });
      expect(put.statusCode).toBe(204);
      expect(put.body).toBe('');
    }
    // adding again is harmless
    expect(
      (await h.call('PUT', `/v3/groups/${g.id}/users/${users[0]!.id}`, { token: h.adminToken })).statusCode,
    ).toBe(204);
    const list = await h.call('GET', `/v3/groups/${g.id}/users`, { token: h.adminToken });
    expect(list.statusCode).toBe(200);
    expect(list.json().users).toEqual([...users].sort(byName));
    const filtered = await h.call('GET', `/v3/groups/${g.id}/users?name=m-b`, { token: h.adminToken });
    expect(filtered.json().users.map((u: Json) => u.name)).toEqual(['m-b']);
    for (const u of users) {
      const url = `/v3/groups/${g.id}/users/${u.id}`;
      const head = await h.call('HEAD', url, { token: h.adminToken });
      expect(head.statusCode).toBe(204);
      expect((await h.call('GET', url, { token: h.adminToken })).statusCode).toBe(204);
      expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(204);
      expect((await h.call('HEAD', url, { token: h.adminToken })).statusCode).toBe(404);
      expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(404);
    }
    const empty = await h.call('GET', `/v3/groups/${g.id}/users`, { token: h.adminToken });
    expect(empty.json().users).toEqual([]);
  });

  it("lists a user's groups (Tempest test_list_user_groups)", async () => {
    const u = await create('user', { name: 'joiner' });
    const groups: Json[] = [];
    for (const name of ['UG-b', 'UG-a']) {
      const g = await create('group', { name, domain_id: domainId });
      groups.push(g);
      await h.call('PUT', `/v3/groups/${g.id}/users/${u.id}`, { token: h.adminToken });
    }
    const res = await h.call('GET', `/v3/users/${u.id}/groups`, { token: h.adminToken });
    expect(res.statusCode).toBe(200);
    const listed = res.json().groups as Json[];
    for (const g of listed) {
      expect(g.membership_expires_at).toBeNull();
      delete g.membership_expires_at;
    }
    expect(listed).toEqual([...groups].sort(byName));
  });

  it('answers 404 for an unknown user or group in a membership call', async () => {
    const g = await create('group', { name: 'strict', domain_id: domainId });
    const u = await create('user', { name: 'strict-user' });
    for (const method of ['PUT', 'HEAD', 'GET', 'DELETE']) {
      expect(
        (await h.call(method, `/v3/groups/${g.id}/users/nope`, { token: h.adminToken })).statusCode,
      ).toBe(404);
      expect(
        (await h.call(method, `/v3/groups/nope/users/${u.id}`, { token: h.adminToken })).statusCode,
      ).toBe(404);
    }
  });

  it("removing a user from a group revokes the user's tokens", async () => {
    const g = await create('group', { name: 'demo-members' });
    await h.ctx.db.insert(assignments).values({
      actorType: 'group',
      actorId: g.id as string,
      targetType: 'project',
      targetId: h.ids.demoProjectId,
      roleId: memberRoleId,
    });
    await create('user', { name: 'via-group', password: 'vg-secret' });
    const u = (await h.call('GET', '/v3/users?name=via-group', { token: h.adminToken })).json().users[0];
    await h.call('PUT', `/v3/groups/${g.id}/users/${u.id}`, { token: h.adminToken });
    const token = await h.login('via-group', 'vg-secret', 'demo');
    const project = `/v3/projects/${h.ids.demoProjectId}`;
    expect((await h.call('GET', project, { token })).statusCode).toBe(200);
    expect(
      (await h.call('DELETE', `/v3/groups/${g.id}/users/${u.id}`, { token: h.adminToken })).statusCode,
    ).toBe(204);
    expect((await h.call('GET', project, { token })).statusCode).toBe(401);
  });

  it("deleting a group revokes its members' tokens and drops its assignments", async () => {
    const g = await create('group', { name: 'doomed' });
    await h.ctx.db.insert(assignments).values({
      actorType: 'group',
      actorId: g.id as string,
      targetType: 'project',
      targetId: h.ids.demoProjectId,
      roleId: memberRoleId,
    });
    const u = await create('user', { name: 'doomed-user', password: 'du-secret' });
    await h.call('PUT', `/v3/groups/${g.id}/users/${u.id}`, { token: h.adminToken });
    const token = await h.login('doomed-user', 'du-secret', 'demo');
    expect((await h.call('DELETE', `/v3/groups/${g.id}`, { token: h.adminToken })).statusCode).toBe(204);
    expect((await h.call('GET', `/v3/projects/${h.ids.demoProjectId}`, { token })).statusCode).toBe(401);
    const left = await h.ctx.db
      .select()
      .from(assignments)
      .where(and(eq(assignments.actorType, 'group'), eq(assignments.actorId, g.id as string)));
    expect(left).toHaveLength(0);
    // the user survives, in no group
    const groups = await h.call('GET', `/v3/users/${u.id}/groups`, { token: h.adminToken });
    expect(groups.json().groups).toEqual([]);
  });
});

describe('groups: member access', () => {
  it('denies a member every group call with 403', async () => {
    const g = await create('group', { name: 'guarded' });
    const demo = h.ids.demoUserId;
    const calls: [string, string, unknown?][] = [
      ['GET', '/v3/groups'],
      ['GET', `/v3/groups/${g.id}`],
      ['POST', '/v3/groups', { group: { name: 'mine' } }],
      ['PATCH', `/v3/groups/${g.id}`, { group: { name: 'mine' } }],
      ['DELETE', `/v3/groups/${g.id}`],
      ['GET', `/v3/groups/${g.id}/users`],
      ['PUT', `/v3/groups/${g.id}/users/${demo}`],
      ['GET', `/v3/groups/${g.id}/users/${demo}`],
      ['DELETE', `/v3/groups/${g.id}/users/${demo}`],
    ];
    for (const [method, url, body] of calls) {
      const res = await h.call(method, url, { token: h.demoToken, body });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
    expect(
      (await h.call('HEAD', `/v3/groups/${g.id}/users/${demo}`, { token: h.demoToken })).statusCode,
    ).toBe(403);
  });
});

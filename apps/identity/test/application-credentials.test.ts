import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessRules, applicationCredentials, assignments, roles, users } from '../src/db/schema.js';
import { newId } from '../src/domain/ids.js';
import { hashPassword } from '../src/domain/passwords.js';
import { parseExpiry } from '../src/routes/application-credentials.routes.js';
import { type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
let demoId: string;
let otherToken: string;
beforeAll(async () => {
  h = await startIdentity();
  demoId = h.ids.demoUserId;
  // a second member of the demo project, made directly (the users API is not under test here)
  const otherId = newId();
  await h.ctx.db.insert(users).values({
    id: otherId,
    name: 'other',
    domainId: 'default',
    passwordHash: await hashPassword('other-secret', h.ctx.settings.scrypt),
  });
  const [member] = await h.ctx.db.query.roles.findMany({ where: (r, { eq }) => eq(r.name, 'member') });
  await h.ctx.db.insert(assignments).values({
    actorType: 'user',
    actorId: otherId,
    targetType: 'project',
    targetId: h.ids.demoProjectId,
    roleId: member!.id,
  });
  otherToken = await h.login('other', 'other-secret', 'demo');
});
afterAll(async () => {
  await h?.close();
});

const base = () => `/v3/users/${demoId}/application_credentials`;
let seq = 0;
const uniq = (p: string) => `${p}-${++seq}`;

async function create(body: Record<string, unknown>, token = h.demoToken) {
  return h.call('POST', base(), { token, body: { application_credential: body } });
}

function appCredAuth(ident: Record<string, unknown>) {
  return h.call('POST', '/v3/auth/tokens', {
    body: { auth: { identity: { methods: ['application_credential'], application_credential: ident } } },
  });
}

describe('application credentials', () => {
  it('creates one whose secret is shown once, and authenticates with it by id and by name', async () => {
    const res = await create({ name: uniq('ci'), description: 'for CI' });
    expect(res.statusCode).toBe(201);
    const ac = res.json().application_credential;
    expect(ac).toMatchObject({
      description: 'for CI',
      project_id: h.ids.demoProjectId,
      unrestricted: false,
      expires_at: null,
      access_rules: [],
    });
    expect(ac.secret).toMatch(/^[A-Za-z0-9_-]{64,}$/);
    expect(ac.roles.map((r: { name: string }) => r.name).sort()).toEqual(['member', 'reader']);
    expect(ac.roles[0]).toHaveProperty('domain_id', null);
    expect(ac.links.self).toContain(`${base()}/${ac.id}`);

    const shown = await h.call('GET', `${base()}/${ac.id}`, { token: h.demoToken });
    expect(shown.statusCode).toBe(200);
    expect(shown.json().application_credential).not.toHaveProperty('secret');
    expect(shown.json().application_credential.name).toBe(ac.name);

    const byId = await appCredAuth({ id: ac.id, secret: ac.secret });
    expect(byId.statusCode).toBe(201);
    const t = byId.json().token;
    expect(t.project.id).toBe(h.ids.demoProjectId);
    expect(t.methods).toEqual(['application_credential']);
    expect(t.roles.map((r: { name: string }) => r.name).sort()).toEqual(['member', 'reader']);
    expect(t.application_credential).toMatchObject({ id: ac.id, restricted: true });

    const byName = await appCredAuth({
      name: ac.name,
      user: { name: 'demo', domain: { id: 'default' } },
      secret: ac.secret,
    });
    expect(byName.statusCode).toBe(201);
    const byNameAndUserId = await appCredAuth({ name: ac.name, user: { id: demoId }, secret: ac.secret });
    expect(byNameAndUserId.statusCode).toBe(201);

    expect((await appCredAuth({ id: ac.id, secret: 'wrong' })).statusCode).toBe(401);
    expect((await appCredAuth({ id: 'nope', secret: ac.secret })).statusCode).toBe(401);
  });

  it('delegates only the chosen roles (by id or name) and their implied roles', async () => {
    const reader = await create({ name: uniq('ro'), roles: [{ name: 'reader' }] });
    expect(reader.statusCode).toBe(201);
    const ac = reader.json().application_credential;
    expect(ac.roles.map((r: { name: string }) => r.name)).toEqual(['reader']);
    const tok = await appCredAuth({ id: ac.id, secret: ac.secret });
    expect(tok.json().token.roles.map((r: { name: string }) => r.name)).toEqual(['reader']);

    const memberId = (await h.ctx.db.query.roles.findFirst({ where: (r, { eq }) => eq(r.name, 'member') }))!
      .id;
    const byId = await create({ name: uniq('mem'), roles: [{ id: memberId }] });
    expect(byId.statusCode).toBe(201);
    expect(
      byId
        .json()
        .application_credential.roles.map((r: { name: string }) => r.name)
        .sort(),
    ).toEqual(['member', 'reader']);

    // demo does not hold admin: Keystone answers 400; an unknown role name is 404
    expect((await create({ name: uniq('adm'), roles: [{ name: 'admin' }] })).statusCode).toBe(400);
    expect((await create({ name: uniq('adm'), roles: [{ id: 'feedface' }] })).statusCode).toBe(400);
    expect((await create({ name: uniq('adm'), roles: [{ name: 'no-such-role' }] })).statusCode).toBe(404);
  });

  it('counts a role granted after the caller token was issued (Keystone recomputes token roles)', async () => {
    const token = await h.login('demo', 'demo-secret', 'demo');
    const roleId = newId();
    await h.ctx.db.insert(roles).values({ id: roleId, name: uniq('late-role') });
    await h.ctx.db.insert(assignments).values({
      actorType: 'user',
      actorId: demoId,
      targetType: 'project',
      targetId: h.ids.demoProjectId,
      roleId,
    });
    const res = await create({ name: uniq('late'), roles: [{ id: roleId }] }, token);
    expect(res.statusCode).toBe(201);
    const ac = res.json().application_credential;
    const tok = await appCredAuth({ id: ac.id, secret: ac.secret });
    expect(tok.statusCode).toBe(201);
    expect(tok.json().token.roles.map((r: { id: string }) => r.id)).toEqual([roleId]);
  });

  it('keeps expires_at to the microsecond and refuses past or malformed times', async () => {
    const at = '2099-01-02T03:04:05.123456';
    const res = await create({ name: uniq('exp'), expires_at: at });
    expect(res.statusCode).toBe(201);
    expect(res.json().application_credential.expires_at).toBe(at);
    const id = res.json().application_credential.id;
    expect(
      (await h.call('GET', `${base()}/${id}`, { token: h.demoToken })).json().application_credential
        .expires_at,
    ).toBe(at);
    const offset = await create({ name: uniq('exp'), expires_at: '2099-01-02T03:04:05+02:00' });
    expect(offset.json().application_credential.expires_at).toBe('2099-01-02T01:04:05.000000');

    for (const expires_at of [
      '2001-01-01T00:00:00',
      'tomorrow',
      '2099-02-30T00:00:00',
      '2099-01-01T25:00:00',
      42,
    ]) {
      const bad = await create({ name: uniq('exp'), expires_at });
      expect(bad.statusCode, String(expires_at)).toBe(400);
    }
  });

  it('token lifetime is capped by expires_at; an expired credential cannot authenticate', async () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    const ac = (await create({ name: uniq('soon'), expires_at: soon })).json().application_credential;
    const tok = await appCredAuth({ id: ac.id, secret: ac.secret });
    expect(tok.statusCode).toBe(201);
    expect(Date.parse(tok.json().token.expires_at)).toBeLessThanOrEqual(Date.parse(soon) + 1);
    await h.ctx.db
      .update(applicationCredentials)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(applicationCredentials.id, ac.id));
    expect((await appCredAuth({ id: ac.id, secret: ac.secret })).statusCode).toBe(401);
  });

  it('accepts a chosen secret; names are unique per user (409)', async () => {
    const name = uniq('dup');
    const res = await create({ name, secret: 'my-own-secret' });
    expect(res.statusCode).toBe(201);
    expect(res.json().application_credential.secret).toBe('my-own-secret');
    expect(
      (await appCredAuth({ id: res.json().application_credential.id, secret: 'my-own-secret' })).statusCode,
    ).toBe(201);
    const dup = await create({ name });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe(409);
    // another user may use the same name
    const other = await h.call('GET', '/v3/auth/tokens', {
      token: otherToken,
      headers: { 'x-subject-token': otherToken },
    });
    const otherId = other.json().token.user.id;
    const mine = await h.call('POST', `/v3/users/${otherId}/application_credentials`, {
      token: otherToken,
      body: { application_credential: { name } },
    });
    expect(mine.statusCode).toBe(201);
  });

  it('lists (with a name filter), and refuses bad input with 400', async () => {
    const name = uniq('listed');
    await create({ name });
    const all = await h.call('GET', base(), { token: h.demoToken });
    expect(all.statusCode).toBe(200);
    expect(all.json().application_credentials.length).toBeGreaterThan(1);
    expect(all.json().application_credentials.every((a: { secret?: string }) => a.secret === undefined)).toBe(
      true,
    );
    const one = await h.call('GET', `${base()}?name=${name}`, { token: h.demoToken });
    expect(one.json().application_credentials.map((a: { name: string }) => a.name)).toEqual([name]);
    const none = await h.call('GET', `${base()}?name=%00`, { token: h.demoToken });
    expect(none.json().application_credentials).toEqual([]);

    for (const body of [
      {},
      { name: '' },
      { name: '   ' },
      { name: 'x'.repeat(10_000) },
      { name: 42 },
      { name: 'n', unrestricted: 'yes' },
      { name: 'n', roles: 'member' },
      { name: 'n', roles: [{ id: 'a', name: 'b', extra: 1 }] },
      { name: 'n', roles: [{}] },
      { name: 'n', description: 'x\u0000' },
      { name: 'n', unknown_field: 1 },
      { name: 'n', access_rules: [{ service: 'compute', path: 'no-slash', method: 'GET' }] },
      { name: 'n', access_rules: [{ service: 'compute', path: '/x', method: 'FETCH' }] },
      { name: 'n', access_rules: [{ service: 'compute' }] },
    ]) {
      const res = await create(body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect((await h.call('POST', base(), { token: h.demoToken, body: { nope: {} } })).statusCode).toBe(400);
  });

  it('is for its owner (and admins): others get 403, unknown ids 404', async () => {
    const ac = (await create({ name: uniq('own') })).json().application_credential;
    const url = `${base()}/${ac.id}`;
    expect((await h.call('GET', url, { token: otherToken })).statusCode).toBe(403);
    expect((await h.call('GET', base(), { token: otherToken })).statusCode).toBe(403);
    expect((await h.call('DELETE', url, { token: otherToken })).statusCode).toBe(403);
    expect((await create({ name: uniq('x') }, otherToken)).statusCode).toBe(403);
    // an admin may read and delete, but not create for another user
    expect((await h.call('GET', url, { token: h.adminToken })).statusCode).toBe(200);
    expect((await h.call('GET', base(), { token: h.adminToken })).statusCode).toBe(200);
    expect((await create({ name: uniq('x') }, h.adminToken)).statusCode).toBe(403);
    // the path's user must own the credential
    const adminPath = `/v3/users/${h.ids.adminUserId}/application_credentials/${ac.id}`;
    expect((await h.call('GET', adminPath, { token: h.adminToken })).statusCode).toBe(404);
    expect((await h.call('GET', `${base()}/nope`, { token: h.demoToken })).statusCode).toBe(404);
    expect((await h.call('DELETE', `${base()}/nope`, { token: h.demoToken })).statusCode).toBe(404);
    expect((await h.call('GET', `${base()}/%00`, { token: h.demoToken })).statusCode).toBe(404);
    expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(204);
    expect((await h.call('GET', url, { token: h.demoToken })).statusCode).toBe(404);
  });

  it('needs a project-scoped token to create', async () => {
    const unscoped = await h.login('demo', 'demo-secret');
    const res = await h.call('POST', base(), {
      token: unscoped,
      body: { application_credential: { name: uniq('u') } },
    });
    expect(res.statusCode).toBe(400);
  });

  it('a restricted credential token cannot manage credentials; an unrestricted one can', async () => {
    const restricted = (await create({ name: uniq('r') })).json().application_credential;
    const rt = (await appCredAuth({ id: restricted.id, secret: restricted.secret })).headers[
      'x-subject-token'
    ] as string;
    expect((await create({ name: uniq('child') }, rt)).statusCode).toBe(403);
    expect((await h.call('DELETE', `${base()}/${restricted.id}`, { token: rt })).statusCode).toBe(403);
    expect((await h.call('GET', base(), { token: rt })).statusCode).toBe(200);

    const free = (await create({ name: uniq('u'), unrestricted: true })).json().application_credential;
    expect(free.unrestricted).toBe(true);
    const ut = (await appCredAuth({ id: free.id, secret: free.secret })).headers['x-subject-token'] as string;
    const child = await create({ name: uniq('child') }, ut);
    expect(child.statusCode).toBe(201);
    expect(child.json().application_credential.project_id).toBe(h.ids.demoProjectId);
  });

  it('deleting a credential revokes it and the tokens made from it', async () => {
    const ac = (await create({ name: uniq('gone') })).json().application_credential;
    const issued = await appCredAuth({ id: ac.id, secret: ac.secret });
    expect(issued.statusCode).toBe(201);
    const token = issued.headers['x-subject-token'] as string;
    expect((await h.call('GET', base(), { token })).statusCode).toBe(200);

    expect((await h.call('DELETE', `${base()}/${ac.id}`, { token: h.demoToken })).statusCode).toBe(204);
    expect((await appCredAuth({ id: ac.id, secret: ac.secret })).statusCode).toBe(401);
    expect((await h.call('GET', base(), { token })).statusCode).toBe(401);
    const check = await h.call('GET', '/v3/auth/tokens', {
      token: h.adminToken,
      headers: { 'x-subject-token': token },
    });
    expect(check.statusCode).toBe(404);
    // other credentials' tokens stay valid
    expect((await h.call('GET', base(), { token: h.demoToken })).statusCode).toBe(200);
  });
});

describe('access rules', () => {
  const rule = { path: '/v2.1/servers/*/ips', method: 'GET', service: 'compute' };
  const rules = () => `/v3/users/${demoId}/access_rules`;

  it('are stored, shared between credentials, and outlive them until deleted', async () => {
    const first = await create({ name: uniq('ar'), access_rules: [rule] });
    expect(first.statusCode).toBe(201);
    const ac = first.json().application_credential;
    expect(ac.access_rules).toHaveLength(1);
    const { id: ruleId, ...fields } = ac.access_rules[0];
    expect(fields).toEqual(rule);
    expect(ruleId).toMatch(/^[0-9a-f]{32}$/);

    // the same rule again is the same rule; by id too
    const second = (await create({ name: uniq('ar'), access_rules: [rule] })).json().application_credential;
    expect(second.access_rules[0].id).toBe(ruleId);
    const third = (await create({ name: uniq('ar'), access_rules: [{ id: ruleId }] })).json()
      .application_credential;
    expect(third.access_rules).toEqual([{ id: ruleId, ...rule }]);

    const list = await h.call('GET', rules(), { token: h.demoToken });
    expect(list.statusCode).toBe(200);
    expect(list.json().access_rules).toHaveLength(1);
    expect(list.json().access_rules[0]).toMatchObject({ id: ruleId, ...rule });
    expect(
      (await h.call('GET', `${rules()}?service=image`, { token: h.demoToken })).json().access_rules,
    ).toEqual([]);
    const shown = await h.call('GET', `${rules()}/${ruleId}`, { token: h.demoToken });
    expect(shown.statusCode).toBe(200);
    expect(shown.json().access_rule).toMatchObject({ id: ruleId, ...rule });
    expect((await h.call('GET', `${rules()}/nope`, { token: h.demoToken })).statusCode).toBe(404);
    expect((await h.call('GET', rules(), { token: otherToken })).statusCode).toBe(403);

    expect((await h.call('DELETE', `${rules()}/${ruleId}`, { token: h.demoToken })).statusCode).toBe(403);
    for (const a of [ac, second, third])
      expect((await h.call('DELETE', `${base()}/${a.id}`, { token: h.demoToken })).statusCode).toBe(204);
    // the credentials are gone, the rule stays
    const after = await h.call('GET', rules(), { token: h.demoToken });
    expect(after.json().access_rules.map((r: { id: string }) => r.id)).toEqual([ruleId]);
    // ...and the place that keeps it is not a credential
    const creds = (await h.call('GET', base(), { token: h.demoToken })).json().application_credentials;
    expect(creds.some((c: { name: string }) => c.name === '')).toBe(false);

    expect((await h.call('DELETE', `${rules()}/${ruleId}`, { token: h.demoToken })).statusCode).toBe(204);
    expect((await h.call('GET', rules(), { token: h.demoToken })).json().access_rules).toEqual([]);
    expect((await h.call('DELETE', `${rules()}/${ruleId}`, { token: h.demoToken })).statusCode).toBe(404);
    const held = await h.ctx.db
      .select()
      .from(applicationCredentials)
      .where(eq(applicationCredentials.name, ''));
    expect(held).toEqual([]);
  });

  it('creating two credentials with the same rule triple reuses one rule id (one row)', async () => {
    const triple = { service: 'image', path: '/v2/images', method: 'GET' };
    const a = (await create({ name: uniq('same'), access_rules: [triple, triple] })).json()
      .application_credential;
    expect(a.access_rules).toHaveLength(1);
    const b = (await create({ name: uniq('same'), access_rules: [triple] })).json().application_credential;
    expect(b.access_rules).toEqual(a.access_rules);
    const rows = await h.ctx.db
      .select()
      .from(accessRules)
      .where(and(eq(accessRules.userId, demoId), eq(accessRules.service, 'image')));
    expect(rows.map((r) => r.id)).toEqual([a.access_rules[0].id]);
    // both credentials show it, when listed too
    const listed = (await h.call('GET', base(), { token: h.demoToken })).json().application_credentials;
    for (const ac of [a, b])
      expect(listed.find((x: { id: string }) => x.id === ac.id).access_rules).toEqual(a.access_rules);
    for (const ac of [a, b]) await h.call('DELETE', `${base()}/${ac.id}`, { token: h.demoToken });
    await h.call('DELETE', `${rules()}/${a.access_rules[0].id}`, { token: h.demoToken });
  });

  it('deleting a rule a credential uses is 403; an unused one is 204', async () => {
    const used = { service: 'network', path: '/v2.0/ports', method: 'GET' };
    const unused = { service: 'network', path: '/v2.0/networks', method: 'POST' };
    const ac = (await create({ name: uniq('use'), access_rules: [used] })).json().application_credential;
    const gone = (await create({ name: uniq('use'), access_rules: [unused] })).json().application_credential;
    expect((await h.call('DELETE', `${base()}/${gone.id}`, { token: h.demoToken })).statusCode).toBe(204);

    const del = await h.call('DELETE', `${rules()}/${ac.access_rules[0].id}`, { token: h.demoToken });
    expect(del.statusCode).toBe(403);
    expect(del.json().error.message).toBe('May not delete access rule in use');
    const shown = await h.call('GET', `${base()}/${ac.id}`, { token: h.demoToken });
    expect(shown.json().application_credential.access_rules).toEqual(ac.access_rules);

    const unusedId = gone.access_rules[0].id;
    expect((await h.call('DELETE', `${rules()}/${unusedId}`, { token: h.demoToken })).statusCode).toBe(204);
    expect((await h.call('GET', `${rules()}/${unusedId}`, { token: h.demoToken })).statusCode).toBe(404);
    // another user's rule is not found by id, neither to show, delete nor use
    const otherUser = `/v3/users/${h.ids.adminUserId}/access_rules/${ac.access_rules[0].id}`;
    expect((await h.call('DELETE', otherUser, { token: h.adminToken })).statusCode).toBe(404);
    expect((await h.call('GET', `${rules()}/%00`, { token: h.demoToken })).statusCode).toBe(404);
    expect((await h.call('DELETE', `${rules()}/%00`, { token: h.demoToken })).statusCode).toBe(404);
    await h.call('DELETE', `${base()}/${ac.id}`, { token: h.demoToken });
    await h.call('DELETE', `${rules()}/${ac.access_rules[0].id}`, { token: h.demoToken });
  });

  it("a rule named by id must be one of the user's rules (404); the credential is then not made", async () => {
    const triple = { service: 'volumev3', path: '/v3/*/volumes', method: 'GET' };
    const mine = (await create({ name: uniq('id'), access_rules: [triple] })).json().application_credential;
    const ruleId = mine.access_rules[0].id;
    const adminAc = await h.call('POST', `/v3/users/${h.ids.adminUserId}/application_credentials`, {
      token: h.adminToken,
      body: { application_credential: { name: uniq('theirs'), access_rules: [{ id: ruleId }] } },
    });
    expect(adminAc.statusCode).toBe(404);
    const name = uniq('unknown');
    const unknown = await create({ name, access_rules: [triple, { id: 'feedface' }] });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.title).toBe('Not Found');
    // the transaction rolled back: no credential of that name
    const byName = await h.call('GET', `${base()}?name=${name}`, { token: h.demoToken });
    expect(byName.json().application_credentials).toEqual([]);
    // a new rule may carry the id the request gives it
    const chosen = await create({
      name: uniq('chosen'),
      access_rules: [{ id: 'my-rule-1', ...triple, method: 'HEAD' }],
    });
    expect(chosen.statusCode).toBe(201);
    expect(chosen.json().application_credential.access_rules[0].id).toBe('my-rule-1');
  });

  it('deleting a user takes its credentials and access rules with it', async () => {
    const userId = newId();
    await h.ctx.db.insert(users).values({
      id: userId,
      name: uniq('leaver'),
      domainId: 'default',
      passwordHash: await hashPassword('leaver-secret', h.ctx.settings.scrypt),
    });
    const [member] = await h.ctx.db.query.roles.findMany({ where: (r, { eq }) => eq(r.name, 'member') });
    await h.ctx.db.insert(assignments).values({
      actorType: 'user',
      actorId: userId,
      targetType: 'project',
      targetId: h.ids.demoProjectId,
      roleId: member!.id,
    });
    const [u] = await h.ctx.db.select().from(users).where(eq(users.id, userId));
    const token = await h.login(u!.name, 'leaver-secret', 'demo');
    const made = await h.call('POST', `/v3/users/${userId}/application_credentials`, {
      token,
      body: { application_credential: { name: 'x', access_rules: [rule] } },
    });
    expect(made.statusCode).toBe(201);
    expect((await h.call('DELETE', `/v3/users/${userId}`, { token: h.adminToken })).statusCode).toBe(204);
    expect(await h.ctx.db.select().from(accessRules).where(eq(accessRules.userId, userId))).toEqual([]);
  });
});

describe('parseExpiry', () => {
  it('reads ISO 8601 times, UTC unless an offset is given', () => {
    expect(parseExpiry('2030-05-06T07:08:09')?.ms).toBe(Date.UTC(2030, 4, 6, 7, 8, 9));
    expect(parseExpiry('2030-05-06T07:08:09.5Z')?.ms).toBe(Date.UTC(2030, 4, 6, 7, 8, 9, 500));
    expect(parseExpiry('2030-05-06T07:08:09-01:30')?.ms).toBe(Date.UTC(2030, 4, 6, 8, 38, 9));
    expect(parseExpiry('2030-05-06 07:08')?.iso).toBe('2030-05-06T07:08:00+00:00');
    expect(parseExpiry('2030-13-01T00:00:00')).toBeUndefined();
    expect(parseExpiry('2030-01-01')).toBeUndefined();
  });
});

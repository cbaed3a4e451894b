import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await startIdentity();
});
afterAll(async () => {
  await h?.close();
});

type Json = Record<string, unknown>;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const ec2 = (access: string, secret = `${access}-secret`) => JSON.stringify({ access, secret });

async function createCredential(credential: Json, token = h.adminToken): Promise<Json> {
  const res = await h.call('POST', '/v3/credentials', { token, body: { credential } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().credential;
}

describe('credentials: CRUD', () => {
  it('creates, shows, updates and deletes an ec2 credential (Tempest test_credentials_create_get_update_delete)', async () => {
    const blob = ec2('AccessA');
    const c = await createCredential({
      user_id: h.ids.demoUserId,
      project_id: h.ids.demoProjectId,
      type: 'ec2',
      blob,
    });
    expect(c).toMatchObject({
      id: sha256('AccessA'),
      user_id: h.ids.demoUserId,
      project_id: h.ids.demoProjectId,
      type: 'ec2',
      blob,
    });
    expect((c.links as Json).self).toMatch(new RegExp(`/v3/credentials/${c.id}$`));
    const url = `/v3/credentials/${c.id}`;

    const newBlob = ec2('AccessB', 'SecretB');
    const upd = await h.call('PATCH', url, {
      token: h.adminToken,
      body: { credential: { blob: newBlob, project_id: h.ids.adminProjectId, type: 'ec2' } },
    });
    expect(upd.statusCode).toBe(200);
    const u = upd.json().credential;
    expect(u.id).toBe(c.id);
    expect(u.project_id).toBe(h.ids.adminProjectId);
    expect(u.user_id).toBe(h.ids.demoUserId);
    expect(JSON.parse(u.blob)).toEqual({ access: 'AccessB', secret: 'SecretB' });

    const got = await h.call('GET', url, { token: h.adminToken });
    expect(got.statusCode).toBe(200);
    expect(got.json().credential).toEqual(u);

    const del = await h.call('DELETE', url, { token: h.adminToken });
    expect(del.statusCode).toBe(204);
    expect((await h.call('GET', url, { token: h.adminToken })).statusCode).toBe(404);
    expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(404);
  });

  it('creates a non-ec2 credential with a generated id and no project, keeping extras', async () => {
    const c = await createCredential({ user_id: h.ids.adminUserId, type: 'cert', blob: 'PEM...', note: 'x' });
    expect(c.id).toMatch(/^[0-9a-f]{32}$/);
    expect(c).toMatchObject({ project_id: null, type: 'cert', blob: 'PEM...', note: 'x' });
  });

  it('answers 409 for a second ec2 credential with the same access key', async () => {
    const body = {
      user_id: h.ids.adminUserId,
      project_id: h.ids.adminProjectId,
      type: 'ec2',
      blob: ec2('Twin'),
    };
    await createCredential(body);
    const again = await h.call('POST', '/v3/credentials', {
      token: h.adminToken,
      body: { credential: body },
    });
    expect(again.statusCode).toBe(409);
  });

  it('rejects bad input with 400', async () => {
    const base = { user_id: h.ids.adminUserId, project_id: h.ids.adminProjectId };
    const bodies: unknown[] = [
      { credential: { ...base, type: 'ec2', blob: 'not json' } },
      { credential: { ...base, type: 'ec2', blob: '[1,2]' } },
      { credential: { ...base, type: 'ec2', blob: '{"secret":"s"}' } },
      { credential: { user_id: h.ids.adminUserId, type: 'ec2', blob: ec2('NoProject') } },
      { credential: { ...base, type: 'ec2', blob: { access: 'a' } } },
      { credential: { ...base, blob: 'x' } },
      { credential: { ...base, type: 'cert' } },
      { credential: { ...base, type: 'x'.repeat(10_000), blob: 'x' } },
      { credential: { ...base, user_id: 'u'.repeat(10_000), type: 'cert', blob: 'x' } },
      { credential: { ...base, type: 5, blob: 'x' } },
      { credential: 'nope' },
    ];
    for (const body of bodies) {
      const res = await h.call('POST', '/v3/credentials', { token: h.adminToken, body });
      expect(res.statusCode, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
    const c = await createCredential({ ...base, type: 'ec2', blob: ec2('Fixed') });
    for (const credential of [
      { blob: 'garbage' },
      { project_id: null },
      { type: 7 },
      { blob: JSON.stringify({ access: 'Fixed', app_cred_id: 'someone' }) },
    ]) {
      const res = await h.call('PATCH', `/v3/credentials/${c.id}`, {
        token: h.adminToken,
        body: { credential },
      });
      expect(res.statusCode, JSON.stringify(credential)).toBe(400);
    }
  });

  it('answers 404 for unknown credentials, users and projects', async () => {
    expect((await h.call('GET', '/v3/credentials/nope', { token: h.adminToken })).statusCode).toBe(404);
    const patch = await h.call('PATCH', '/v3/credentials/nope', {
      token: h.adminToken,
      body: { credential: { blob: 'x' } },
    });
    expect(patch.statusCode).toBe(404);
    const noUser = await h.call('POST', '/v3/credentials', {
      token: h.adminToken,
      body: { credential: { user_id: 'f'.repeat(32), type: 'cert', blob: 'x' } },
    });
    expect(noUser.statusCode).toBe(404);
    const noProject = await h.call('POST', '/v3/credentials', {
      token: h.adminToken,
      body: {
        credential: {
          user_id: h.ids.adminUserId,
          project_id: 'f'.repeat(32),
          type: 'ec2',
          blob: ec2('Lost'),
        },
      },
    });
    expect(noProject.statusCode).toBe(404);
  });

  it('lists credentials with user_id and type filters (Tempest test_credentials_list_delete)', async () => {
    const a = await createCredential({ user_id: h.ids.demoUserId, type: 'totp', blob: 'seed-a' });
    const b = await createCredential({
      user_id: h.ids.demoUserId,
      project_id: h.ids.demoProjectId,
      type: 'ec2',
      blob: ec2('ListB'),
    });
    const ids = async (query = '') =>
      (await h.call('GET', `/v3/credentials${query}`, { token: h.adminToken }))
        .json()
        .credentials.map((c: Json) => c.id);
    const all = await ids();
    expect(all).toEqual(expect.arrayContaining([a.id, b.id]));
    const demo = await ids(`?user_id=${h.ids.demoUserId}`);
    expect(demo).toEqual(expect.arrayContaining([a.id, b.id]));
    const totp = await ids(`?user_id=${h.ids.demoUserId}&type=totp`);
    expect(totp).toEqual([a.id]);
    expect(await ids('?type=none')).toEqual([]);
  });

  it('deleting the user deletes its credentials', async () => {
    const u = await h.call('POST', '/v3/users', {
      token: h.adminToken,
      body: { user: { name: 'cred-owner' } },
    });
    const c = await createCredential({ user_id: u.json().user.id, type: 'cert', blob: 'x' });
    await h.call('DELETE', `/v3/users/${u.json().user.id}`, { token: h.adminToken });
    expect((await h.call('GET', `/v3/credentials/${c.id}`, { token: h.adminToken })).statusCode).toBe(404);
  });
});

describe('credentials: owner access', () => {
  it('lets a member manage its own credentials and nobody else’s', async () => {
    const own = await createCredential(
      { user_id: h.ids.demoUserId, project_id: h.ids.demoProjectId, type: 'ec2', blob: ec2('DemoOwn') },
      h.demoToken,
    );
    const admins = await createCredential({ user_id: h.ids.adminUserId, type: 'cert', blob: 'admin-only' });

    const mine = await h.call('GET', '/v3/credentials', { token: h.demoToken });
    expect(mine.statusCode).toBe(200);
    const visible = mine.json().credentials as Json[];
    expect(visible.map((c) => c.id)).toContain(own.id);
    expect(visible.every((c) => c.user_id === h.ids.demoUserId)).toBe(true);

    expect((await h.call('GET', `/v3/credentials/${own.id}`, { token: h.demoToken })).statusCode).toBe(200);
    const upd = await h.call('PATCH', `/v3/credentials/${own.id}`, {
      token: h.demoToken,
      body: { credential: { blob: ec2('DemoOwn', 'rotated') } },
    });
    expect(upd.statusCode).toBe(200);

    const denied: [string, string, unknown?][] = [
      ['GET', `/v3/credentials?user_id=${h.ids.adminUserId}`],
      ['GET', `/v3/credentials/${admins.id}`],
      ['PATCH', `/v3/credentials/${admins.id}`, { credential: { blob: 'mine now' } }],
      ['DELETE', `/v3/credentials/${admins.id}`],
      ['POST', '/v3/credentials', { credential: { user_id: h.ids.adminUserId, type: 'cert', blob: 'x' } }],
      ['PATCH', `/v3/credentials/${own.id}`, { credential: { user_id: h.ids.adminUserId } }],
    ];
    for (const [method, url, body] of denied) {
      const res = await h.call(method, url, { token: h.demoToken, body });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }

    expect((await h.call('DELETE', `/v3/credentials/${own.id}`, { token: h.demoToken })).statusCode).toBe(
      204,
    );
  });
});

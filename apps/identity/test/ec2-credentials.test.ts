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
const ec2Url = (userId: string, access = '') =>
  `/v3/users/${userId}/credentials/OS-EC2${access ? `/${access}` : ''}`;

async function createEc2(userId: string, tenantId: string, token = h.demoToken): Promise<Json> {
  const res = await h.call('POST', ec2Url(userId), { token, body: { tenant_id: tenantId } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().credential;
}

describe('OS-EC2 credentials', () => {
  it('creates, lists, shows and deletes its own (Tempest test_ec2_credentials)', async () => {
    const { demoUserId: user, demoProjectId: project } = h.ids;
    const c = await createEc2(user, project);
    expect(c).toMatchObject({ user_id: user, tenant_id: project, trust_id: null });
    expect(c.access).toMatch(/^[0-9a-f]{32}$/);
    expect(c.secret).toMatch(/^[0-9a-f]{32}$/);
    expect((c.links as Json).self).toMatch(new RegExp(`${ec2Url(user, c.access as string)}$`));

    // stored as an ec2 credential named by the SHA-256 of the access key
    const stored = await h.call('GET', `/v3/credentials/${sha256(c.access as string)}`, {
      token: h.adminToken,
    });
    expect(stored.statusCode).toBe(200);
    expect(stored.json().credential).toMatchObject({ type: 'ec2', user_id: user, project_id: project });
    expect(JSON.parse(stored.json().credential.blob)).toEqual({
      access: c.access,
      secret: c.secret,
      trust_id: null,
    });

    const c2 = await createEc2(user, project);
    const list = await h.call('GET', ec2Url(user), { token: h.demoToken });
    expect(list.statusCode).toBe(200);
    const accesses = (list.json().credentials as Json[]).map((x) => x.access);
    expect(accesses).toEqual(expect.arrayContaining([c.access, c2.access]));

    const shown = await h.call('GET', ec2Url(user, c.access as string), { token: h.demoToken });
    expect(shown.statusCode).toBe(200);
    expect(shown.json().credential).toEqual(c);
    expect((await h.call('HEAD', ec2Url(user, c.access as string), { token: h.demoToken })).statusCode).toBe(
      200,
    );

    const del = await h.call('DELETE', ec2Url(user, c.access as string), { token: h.demoToken });
    expect(del.statusCode).toBe(204);
    expect((await h.call('GET', ec2Url(user, c.access as string), { token: h.demoToken })).statusCode).toBe(
      404,
    );
    expect(
      (await h.call('DELETE', ec2Url(user, c.access as string), { token: h.demoToken })).statusCode,
    ).toBe(404);
    const after = (await h.call('GET', ec2Url(user), { token: h.demoToken })).json().credentials as Json[];
    expect(after.map((x) => x.access)).toEqual([c2.access]);
  });

  it('lets an admin manage another user’s credentials', async () => {
    const { demoUserId: user, demoProjectId: project } = h.ids;
    const c = await createEc2(user, project, h.adminToken);
    expect(c.user_id).toBe(user);
    expect((await h.call('GET', ec2Url(user), { token: h.adminToken })).statusCode).toBe(200);
    expect((await h.call('GET', ec2Url(user, c.access as string), { token: h.adminToken })).statusCode).toBe(
      200,
    );
    expect(
      (await h.call('DELETE', ec2Url(user, c.access as string), { token: h.adminToken })).statusCode,
    ).toBe(204);
  });

  it('refuses a member another user’s credentials with 403', async () => {
    const { adminUserId: admin, adminProjectId: adminProject } = h.ids;
    const c = await createEc2(admin, adminProject, h.adminToken);
    const calls: [string, string, unknown?][] = [
      ['GET', ec2Url(admin)],
      ['POST', ec2Url(admin), { tenant_id: adminProject }],
      ['GET', ec2Url(admin, c.access as string)],
      ['DELETE', ec2Url(admin, c.access as string)],
    ];
    for (const [method, url, body] of calls) {
      const res = await h.call(method, url, { token: h.demoToken, body });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
    // another user's access key is not found under the caller's own path
    const mine = await h.call('GET', ec2Url(h.ids.demoUserId, c.access as string), { token: h.demoToken });
    expect(mine.statusCode).toBe(403);
    const asAdmin = await h.call('GET', ec2Url(h.ids.demoUserId, c.access as string), {
      token: h.adminToken,
    });
    expect(asAdmin.statusCode).toBe(404);
    expect((await h.call('GET', ec2Url(admin))).statusCode).toBe(401);
  });

  it('needs a role of the owner on the project', async () => {
    const res = await h.call('POST', ec2Url(h.ids.demoUserId), {
      token: h.demoToken,
      body: { tenant_id: h.ids.adminProjectId },
    });
    expect(res.statusCode).toBe(403);
    const byAdmin = await h.call('POST', ec2Url(h.ids.demoUserId), {
      token: h.adminToken,
      body: { tenant_id: h.ids.adminProjectId },
    });
    expect(byAdmin.statusCode).toBe(403);
  });

  it('rejects bad input with 400 and unknown users and projects with 404', async () => {
    const user = h.ids.demoUserId;
    for (const body of [
      {},
      { tenant_id: 5 },
      { tenant_id: '' },
      { tenant_id: 'x'.repeat(10_000) },
      [1, 2],
      { tenant_id: null },
    ]) {
      const res = await h.call('POST', ec2Url(user), { token: h.demoToken, body });
      expect(res.statusCode, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
    const noProject = await h.call('POST', ec2Url(user), {
      token: h.demoToken,
      body: { tenant_id: 'f'.repeat(32) },
    });
    expect(noProject.statusCode).toBe(404);
    const nope = 'f'.repeat(32);
    for (const [method, url, body] of [
      ['POST', ec2Url(nope), { tenant_id: h.ids.demoProjectId }],
      ['GET', ec2Url(nope)],
      ['GET', ec2Url(user, 'no-such-access')],
      ['DELETE', ec2Url(user, 'no-such-access')],
      ['GET', ec2Url('%00')],
    ] as const) {
      const res = await h.call(method, url, { token: h.adminToken, body });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
  });

  it('deleting the user deletes its EC2 credentials', async () => {
    const u = await h.call('POST', '/v3/users', {
      token: h.adminToken,
      body: { user: { name: 'ec2-owner', password: 'ec2-owner-secret' } },
    });
    const userId = u.json().user.id as string;
    const grant = await h.call(
      'PUT',
      `/v3/projects/${h.ids.demoProjectId}/users/${userId}/roles/${await memberRoleId()}`,
      {
        token: h.adminToken,
      },
    );
    expect(grant.statusCode).toBe(204);
    const c = await createEc2(userId, h.ids.demoProjectId, h.adminToken);
    await h.call('DELETE', `/v3/users/${userId}`, { token: h.adminToken });
    const gone = await h.call('GET', `/v3/credentials/${sha256(c.access as string)}`, {
      token: h.adminToken,
    });
    expect(gone.statusCode).toBe(404);
  });
});

async function memberRoleId(): Promise<string> {
  const res = await h.call('GET', '/v3/roles?name=member', { token: h.adminToken });
  return res.json().roles[0].id;
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groups, userGroups, users } from '../src/db/schema.js';
import { newId } from '../src/domain/ids.js';
import { hashPassword } from '../src/domain/passwords.js';
import { DEMO_PASSWORD, type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
let domainId: string;
let projectId: string;
let userId: string;
let groupId: string;
let roleId: string;

const admin = (method: string, url: string, body?: unknown) =>
  h.call(method, url, { token: h.adminToken, body });

async function create(kind: 'domain' | 'project' | 'role', body: Record<string, unknown>) {
  const res = await admin('POST', `/v3/${kind}s`, { [kind]: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json()[kind].id as string;
}

async function insertUser(name: string, domain: string, password?: string) {
  const id = newId();
  await h.ctx.db.insert(users).values({
    id,
    name,
    domainId: domain,
    passwordHash: password ? await hashPassword(password, h.ctx.settings.scrypt) : null,
  });
  return id;
}

async function insertGroup(name: string, domain: string, members: string[] = []) {
  const id = newId();
  await h.ctx.db.insert(groups).values({ id, name, domainId: domain });
  for (const u of members) await h.ctx.db.insert(userGroups).values({ userId: u, groupId: id });
  return id;
}

beforeAll(async () => {
  h = await startIdentity();
  domainId = await create('domain', { name: 'grants-domain' });
  projectId = await create('project', { name: 'grants-project', domain_id: domainId });
  userId = await insertUser('grants-user', domainId);
  groupId = await insertGroup('grants-group', domainId);
  roleId = await create('role', { name: 'grants-role' });
});
afterAll(async () => {
  await h?.close();
});

const roleIds = (res: { json(): { roles: { id: string }[] } }) => res.json().roles.map((r) => r.id);

describe('grants', () => {
  const kinds = () => [
    { name: 'user on project', coll: `/v3/projects/${projectId}/users/${userId}/roles`, suffix: '' },
    { name: 'group on project', coll: `/v3/projects/${projectId}/groups/${groupId}/roles`, suffix: '' },
    { name: 'user on domain', coll: `/v3/domains/${domainId}/users/${userId}/roles`, suffix: '' },
    { name: 'group on domain', coll: `/v3/domains/${domainId}/groups/${groupId}/roles`, suffix: '' },
    { name: 'user on system', coll: `/v3/system/users/${userId}/roles`, suffix: '' },
    { name: 'group on system', coll: `/v3/system/groups/${groupId}/roles`, suffix: '' },
    {
      name: 'inherited user on domain',
      coll: `/v3/OS-INHERIT/domains/${domainId}/users/${userId}/roles`,
      suffix: '/inherited_to_projects',
    },
    {
      name: 'inherited group on domain',
      coll: `/v3/OS-INHERIT/domains/${domainId}/groups/${groupId}/roles`,
      suffix: '/inherited_to_projects',
    },
    {
      name: 'inherited user on project',
      coll: `/v3/OS-INHERIT/projects/${projectId}/users/${userId}/roles`,
      suffix: '/inherited_to_projects',
    },
    {
      name: 'inherited group on project',
      coll: `/v3/OS-INHERIT/projects/${projectId}/groups/${groupId}/roles`,
      suffix: '/inherited_to_projects',
    },
  ];

  it('grants, checks, lists and revokes each kind', async () => {
    for (const k of kinds()) {
      const one = `${k.coll}/${roleId}${k.suffix}`;
      const list = `${k.coll}${k.suffix}`;
      expect((await admin('HEAD', one)).statusCode, k.name).toBe(404);
      expect((await admin('PUT', one)).statusCode, k.name).toBe(204);
      expect((await admin('PUT', one)).statusCode, `${k.name} twice`).toBe(204);
      expect((await admin('HEAD', one)).statusCode, k.name).toBe(204);
      expect((await admin('GET', one)).statusCode, k.name).toBe(204);
      const listed = await admin('GET', list);
      expect(listed.statusCode, k.name).toBe(200);
      expect(roleIds(listed), k.name).toEqual([roleId]);
      expect(listed.json().roles[0]).toMatchObject({ id: roleId, name: 'grants-role', domain_id: null });
      expect(listed.json().links.self, k.name).toContain(list);
      expect((await admin('DELETE', one)).statusCode, k.name).toBe(204);
      expect((await admin('HEAD', one)).statusCode, k.name).toBe(404);
      expect((await admin('DELETE', one)).statusCode, k.name).toBe(404);
      expect(roleIds(await admin('GET', list)), k.name).toEqual([]);
    }
  });

  it('accepts an empty body sent as JSON, as Tempest sends it', async () => {
    const url = `/v3/projects/${projectId}/users/${userId}/roles/${roleId}`;
    const res = await h.call('PUT', url, {
      token: h.adminToken,
      headers: { 'content-type': 'application/json', 'content-length': '0' },
    });
    expect(res.statusCode, res.body).toBe(204);
    const bare = await h.call('PUT', url, {
      token: h.adminToken,
      headers: { 'content-type': 'application/json' },
    });
    expect(bare.statusCode, bare.body).toBe(204);
    expect((await admin('DELETE', url)).statusCode).toBe(204);
  });

  it('keeps inherited and direct grants apart', async () => {
    const direct = `/v3/domains/${domainId}/users/${userId}/roles/${roleId}`;
    const inherited = `/v3/OS-INHERIT/domains/${domainId}/users/${userId}/roles/${roleId}/inherited_to_projects`;
    expect((await admin('PUT', inherited)).statusCode).toBe(204);
    expect((await admin('HEAD', direct)).statusCode).toBe(404);
    expect(roleIds(await admin('GET', `/v3/domains/${domainId}/users/${userId}/roles`))).toEqual([]);
    expect((await admin('DELETE', inherited)).statusCode).toBe(204);
  });

  it('answers 404 for unknown projects, domains, users, groups and roles', async () => {
    const cases = [
      `/v3/projects/nope/users/${userId}/roles/${roleId}`,
      `/v3/projects/${projectId}/users/nope/roles/${roleId}`,
      `/v3/projects/${projectId}/users/${userId}/roles/nope`,
      `/v3/projects/${projectId}/groups/nope/roles/${roleId}`,
      `/v3/domains/nope/users/${userId}/roles/${roleId}`,
      `/v3/domains/${domainId}/groups/${groupId}/roles/nope`,
      `/v3/system/users/nope/roles/${roleId}`,
      `/v3/system/groups/nope/roles/${roleId}`,
      `/v3/OS-INHERIT/domains/nope/users/${userId}/roles/${roleId}/inherited_to_projects`,
      `/v3/OS-INHERIT/projects/${projectId}/groups/${groupId}/roles/nope/inherited_to_projects`,
      `/v3/projects/%00/users/${userId}/roles/${roleId}`,
    ];
    for (const url of cases) {
      const put = await admin('PUT', url);
      expect(put.statusCode, url).toBe(404);
      expect(put.json().error.code).toBe(404);
      expect((await admin('HEAD', url)).statusCode, url).toBe(404);
      expect((await admin('DELETE', url)).statusCode, url).toBe(404);
    }
    expect((await admin('GET', `/v3/projects/nope/users/${userId}/roles`)).statusCode).toBe(404);
    expect((await admin('GET', `/v3/projects/${projectId}/users/nope/roles`)).statusCode).toBe(404);
    expect((await admin('GET', '/v3/system/groups/nope/roles')).statusCode).toBe(404);
  });

  it('checks domain-specific roles', async () => {
    const otherDomain = await create('domain', { name: 'grants-other-domain' });
    const foreignRole = await create('role', { name: 'foreign-role', domain_id: otherDomain });
    const localRole = await create('role', { name: 'local-role', domain_id: domainId });
    expect(
      (await admin('PUT', `/v3/projects/${projectId}/users/${userId}/roles/${foreignRole}`)).statusCode,
    ).toBe(403);
    expect(
      (await admin('PUT', `/v3/projects/${projectId}/users/${userId}/roles/${localRole}`)).statusCode,
    ).toBe(204);
    expect((await admin('PUT', `/v3/system/users/${userId}/roles/${localRole}`)).statusCode).toBe(400);
    expect(
      (await admin('DELETE', `/v3/projects/${projectId}/users/${userId}/roles/${localRole}`)).statusCode,
    ).toBe(204);
  });

  it('refuses a member the admin calls', async () => {
    const url = `/v3/projects/${projectId}/users/${userId}/roles/${roleId}`;
    const demo = (method: string, u: string) => h.call(method, u, { token: h.demoToken });
    expect((await demo('PUT', url)).statusCode).toBe(403);
    expect((await demo('DELETE', url)).statusCode).toBe(403);
    expect((await demo('HEAD', url)).statusCode).toBe(403);
    expect((await demo('GET', `/v3/projects/${projectId}/users/${userId}/roles`)).statusCode).toBe(403);
    // unknown ids too: authorization comes first
    expect((await demo('PUT', '/v3/projects/nope/users/nope/roles/nope')).statusCode).toBe(403);
    // a user may list its own system roles
    expect((await demo('GET', `/v3/system/users/${h.ids.demoUserId}/roles`)).statusCode).toBe(200);
    expect((await demo('GET', `/v3/system/users/${h.ids.adminUserId}/roles`)).statusCode).toBe(403);
  });
});

describe('revoking a grant revokes tokens', () => {
  it("ends a member's token once its role on the project is revoked", async () => {
    const token = await h.login('demo', DEMO_PASSWORD, 'demo');
    const project = `/v3/projects/${h.ids.demoProjectId}`;
    expect((await h.call('GET', project, { token })).statusCode).toBe(200);
    const memberId = (await admin('GET', '/v3/roles?name=member')).json().roles[0].id;
    const grant = `${project}/users/${h.ids.demoUserId}/roles/${memberId}`;
    expect((await admin('DELETE', grant)).statusCode).toBe(204);
    expect((await h.call('GET', project, { token })).statusCode).toBe(401);
    // without a role the user cannot scope to the project any more; restore it
    expect((await admin('PUT', grant)).statusCode).toBe(204);
    const fresh = await h.login('demo', DEMO_PASSWORD, 'demo');
    expect((await h.call('GET', project, { token: fresh })).statusCode).toBe(200);
  });

  it("ends the group members' tokens once the group's role is revoked", async () => {
    const pid = await create('project', { name: 'group-grant-project', domain_id: 'default' });
    const uid = await insertUser('group-grant-user', 'default', 'pw-group-grant');
    const gid = await insertGroup('group-grant-group', 'default', [uid]);
    const memberId = (await admin('GET', '/v3/roles?name=member')).json().roles[0].id;
    const grant = `/v3/projects/${pid}/groups/${gid}/roles/${memberId}`;
    expect((await admin('PUT', grant)).statusCode).toBe(204);
    const token = await h.login('group-grant-user', 'pw-group-grant', 'group-grant-project');
    expect((await h.call('GET', `/v3/projects/${pid}`, { token })).statusCode).toBe(200);
    expect((await admin('DELETE', grant)).statusCode).toBe(204);
    expect((await h.call('GET', `/v3/projects/${pid}`, { token })).statusCode).toBe(401);
  });
});

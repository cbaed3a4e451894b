import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groups, userGroups, users } from '../src/db/schema.js';
import { newId } from '../src/domain/ids.js';
import { type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
const id: Record<string, string> = {};

const admin = (method: string, url: string, body?: unknown) =>
  h.call(method, url, { token: h.adminToken, body });

async function create(kind: 'domain' | 'project' | 'role', body: Record<string, unknown>) {
  const res = await admin('POST', `/v3/${kind}s`, { [kind]: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json()[kind].id as string;
}

async function insertUser(name: string, domain: string) {
  const uid = newId();
  await h.ctx.db.insert(users).values({ id: uid, name, domainId: domain });
  return uid;
}

async function put(url: string) {
  const res = await admin('PUT', url);
  expect(res.statusCode, `${url}: ${res.body}`).toBe(204);
}

interface Assignment {
  role: { id: string; name?: string; domain?: { id: string; name: string } };
  user?: { id: string; name?: string; domain?: { id: string; name: string } };
  group?: { id: string };
  scope: {
    project?: { id: string; name?: string; domain?: { id: string; name: string } };
    domain?: { id: string; name?: string };
    system?: { all: boolean };
    'OS-INHERIT:inherited_to'?: string;
  };
  links: { assignment: string; membership?: string; prior_role?: string };
}

async function list(query: string, token = h.adminToken): Promise<Assignment[]> {
  const res = await h.call('GET', `/v3/role_assignments?${query}`, { token });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().links).toMatchObject({ previous: null, next: null });
  return res.json().role_assignments;
}

/** A readable key per assignment: role@target by actor, with a trailing * when inherited. */
const name = (v: string) => Object.entries(id).find(([, x]) => x === v)?.[0] ?? v;
const key = (a: Assignment) => {
  const target = a.scope.project
    ? `p:${name(a.scope.project.id)}`
    : a.scope.domain
      ? `d:${name(a.scope.domain.id)}`
      : 'system';
  const actor = a.user ? name(a.user.id) : `g:${name(a.group!.id)}`;
  return `${name(a.role.id)}@${target}/${actor}${a.scope['OS-INHERIT:inherited_to'] ? '*' : ''}`;
};
const keys = (as: Assignment[]) => as.map(key).sort();

beforeAll(async () => {
  h = await startIdentity();
  id.D = await create('domain', { name: 'ra-domain' });
  id.P = await create('project', { name: 'ra-parent', domain_id: id.D });
  id.C = await create('project', { name: 'ra-child', domain_id: id.D, parent_id: id.P });
  id.U = await insertUser('ra-user', id.D);
  id.U2 = await insertUser('ra-user-2', id.D);
  id.G = newId();
  await h.ctx.db.insert(groups).values({ id: id.G, name: 'ra-group', domainId: id.D });
  await h.ctx.db.insert(userGroups).values([
    { userId: id.U, groupId: id.G },
    { userId: id.U2, groupId: id.G },
  ]);
  for (const r of ['R1', 'R2', 'R3', 'R4']) id[r] = await create('role', { name: `ra-${r}` });
  id.DR = await create('role', { name: 'ra-domain-role', domain_id: id.D });
  expect((await admin('PUT', `/v3/roles/${id.R1}/implies/${id.R2}`)).statusCode).toBe(201);

  await put(`/v3/projects/${id.P}/users/${id.U}/roles/${id.R1}`);
  await put(`/v3/projects/${id.P}/groups/${id.G}/roles/${id.R3}`);
  await put(`/v3/OS-INHERIT/domains/${id.D}/users/${id.U}/roles/${id.R4}/inherited_to_projects`);
  await put(`/v3/domains/${id.D}/groups/${id.G}/roles/${id.R3}`);
  await put(`/v3/projects/${id.P}/users/${id.U}/roles/${id.DR}`);
  await put(`/v3/OS-INHERIT/projects/${id.P}/users/${id.U2}/roles/${id.R4}/inherited_to_projects`);
  await put(`/v3/system/users/${id.U}/roles/${id.R3}`);
  await put(`/v3/projects/${id.C}/users/${id.U2}/roles/${id.R1}`);
});
afterAll(async () => {
  await h?.close();
});

describe('role assignments (as stored)', () => {
  it('filters by user and formats each scope', async () => {
    const as = await list(`user.id=${id.U}`);
    expect(keys(as)).toEqual(['DR@p:P/U', 'R1@p:P/U', 'R3@system/U', 'R4@d:D/U*']);
    const base = (a: Assignment) => a.links.assignment.replace(/^http:\/\/[^/]+\/v3/, '');
    const byKey = new Map(as.map((a) => [key(a), a]));
    expect(byKey.get('R1@p:P/U')).toEqual({
      role: { id: id.R1 },
      user: { id: id.U },
      scope: { project: { id: id.P } },
      links: { assignment: expect.stringMatching(/\/v3\/projects\//) },
    });
    expect(base(byKey.get('R1@p:P/U')!)).toBe(`/projects/${id.P}/users/${id.U}/roles/${id.R1}`);
    expect(byKey.get('R3@system/U')!.scope).toEqual({ system: { all: true } });
    expect(base(byKey.get('R3@system/U')!)).toBe(`/system/users/${id.U}/roles/${id.R3}`);
    expect(byKey.get('R4@d:D/U*')!.scope).toEqual({
      domain: { id: id.D },
      'OS-INHERIT:inherited_to': 'projects',
    });
    expect(base(byKey.get('R4@d:D/U*')!)).toBe(
      `/OS-INHERIT/domains/${id.D}/users/${id.U}/roles/${id.R4}/inherited_to_projects`,
    );
  });

  it('filters by group, role, project, domain, system and inheritance', async () => {
    expect(keys(await list(`group.id=${id.G}`))).toEqual(['R3@d:D/g:G', 'R3@p:P/g:G']);
    expect(keys(await list(`role.id=${id.R3}&scope.system=all`))).toEqual(['R3@system/U']);
    expect(keys(await list(`scope.project.id=${id.P}`))).toEqual([
      'DR@p:P/U',
      'R1@p:P/U',
      'R3@p:P/g:G',
      'R4@p:P/U2*',
    ]);
    expect(keys(await list(`scope.project.id=${id.P}&scope.OS-INHERIT:inherited_to=projects`))).toEqual([
      'R4@p:P/U2*',
    ]);
    expect(keys(await list(`scope.domain.id=${id.D}`))).toEqual(['R3@d:D/g:G', 'R4@d:D/U*']);
    expect(keys(await list(`role.id=${id.R4}`))).toEqual(['R4@d:D/U*', 'R4@p:P/U2*']);
    expect(await list('user.id=no-such-user')).toEqual([]);
    expect(await list('scope.project.id=no-such-project')).toEqual([]);
    // the bootstrap's admin shows up on the system
    const sys = await list('scope.system=all');
    expect(sys.some((a) => a.user?.id === h.ids.adminUserId)).toBe(true);
  });

  it('includes the projects below with include_subtree', async () => {
    expect(keys(await list(`scope.project.id=${id.P}&include_subtree=true`))).toEqual([
      'DR@p:P/U',
      'R1@p:C/U2',
      'R1@p:P/U',
      'R3@p:P/g:G',
      'R4@p:P/U2*',
    ]);
    const noProject = await admin('GET', '/v3/role_assignments?include_subtree=true');
    expect(noProject.statusCode).toBe(400);
    expect(
      (await admin('GET', '/v3/role_assignments?scope.project.id=nope&include_subtree')).statusCode,
    ).toBe(404);
  });

  it('adds names with include_names', async () => {
    const as = await list(`user.id=${id.U}&scope.project.id=${id.P}&include_names=true`);
    const r1 = as.find((a) => a.role.id === id.R1)!;
    expect(r1.role).toEqual({ id: id.R1, name: 'ra-R1' });
    expect(r1.user).toEqual({ id: id.U, name: 'ra-user', domain: { id: id.D, name: 'ra-domain' } });
    expect(r1.scope.project).toEqual({
      id: id.P,
      name: 'ra-parent',
      domain: { id: id.D, name: 'ra-domain' },
    });
    const dr = as.find((a) => a.role.id === id.DR)!;
    expect(dr.role).toEqual({ id: id.DR, name: 'ra-domain-role', domain: { id: id.D, name: 'ra-domain' } });
    const dom = await list(`group.id=${id.G}&scope.domain.id=${id.D}&include_names`);
    expect(dom[0]!.scope.domain).toEqual({ id: id.D, name: 'ra-domain' });
    expect(dom[0]!.group).toEqual({ id: id.G, name: 'ra-group', domain: { id: id.D, name: 'ra-domain' } });
  });
});

describe('effective role assignments', () => {
  it('expands groups, inheritance and implied roles, and drops domain roles', async () => {
    const as = await list(`user.id=${id.U}&scope.project.id=${id.P}&effective`);
    expect(keys(as)).toEqual(['R1@p:P/U', 'R2@p:P/U', 'R3@p:P/U', 'R4@p:P/U*']);
    const byRole = new Map(as.map((a) => [name(a.role.id), a]));
    const path = (u: string) => u.replace(/^http:\/\/[^/]+\/v3/, '');
    expect(path(byRole.get('R2')!.links.assignment)).toBe(`/projects/${id.P}/users/${id.U}/roles/${id.R1}`);
    expect(path(byRole.get('R2')!.links.prior_role!)).toBe(`/roles/${id.R1}/implies/${id.R2}`);
    expect(path(byRole.get('R3')!.links.assignment)).toBe(`/projects/${id.P}/groups/${id.G}/roles/${id.R3}`);
    expect(path(byRole.get('R3')!.links.membership!)).toBe(`/groups/${id.G}/users/${id.U}`);
    expect(path(byRole.get('R4')!.links.assignment)).toBe(
      `/OS-INHERIT/domains/${id.D}/users/${id.U}/roles/${id.R4}/inherited_to_projects`,
    );
    expect(byRole.get('R1')!.links).toEqual({ assignment: expect.any(String) });
  });

  it('applies inherited grants to the projects below', async () => {
    expect(keys(await list(`user.id=${id.U}&scope.project.id=${id.C}&effective`))).toEqual(['R4@p:C/U*']);
    expect(keys(await list(`user.id=${id.U2}&scope.project.id=${id.C}&effective`))).toEqual([
      'R1@p:C/U2',
      'R2@p:C/U2',
      'R4@p:C/U2*',
    ]);
    // a project-inherited grant applies below its project, not on it
    expect(keys(await list(`user.id=${id.U2}&scope.project.id=${id.P}&effective`))).toEqual(['R3@p:P/U2']);
    expect(keys(await list(`role.id=${id.R4}&effective`))).toEqual(['R4@p:C/U*', 'R4@p:C/U2*', 'R4@p:P/U*']);
    expect(keys(await list(`scope.domain.id=${id.D}&effective`))).toEqual(['R3@d:D/U', 'R3@d:D/U2']);
  });

  it('follows revocations and removed inference rules (Tempest inherits and implied roles)', async () => {
    const inherited = `/v3/OS-INHERIT/domains/${id.D}/users/${id.U}/roles/${id.R4}/inherited_to_projects`;
    expect((await admin('DELETE', inherited)).statusCode).toBe(204);
    expect(await list(`user.id=${id.U}&scope.project.id=${id.C}&effective`)).toEqual([]);
    await put(inherited);

    expect((await admin('DELETE', `/v3/roles/${id.R1}/implies/${id.R2}`)).statusCode).toBe(204);
    const as = await list(`user.id=${id.U}&scope.project.id=${id.P}&effective&role.id=${id.R1}`);
    expect(keys(as)).toEqual(['R1@p:P/U']);
    expect(keys(await list(`user.id=${id.U}&scope.project.id=${id.P}&effective`))).not.toContain('R2@p:P/U');
    expect((await admin('PUT', `/v3/roles/${id.R1}/implies/${id.R2}`)).statusCode).toBe(201);
  });

  it('answers 404 for an unknown project', async () => {
    expect((await admin('GET', '/v3/role_assignments?scope.project.id=nope&effective')).statusCode).toBe(404);
  });
});

describe('role assignment queries', () => {
  it('refuses filters that contradict each other', async () => {
    for (const query of [
      `user.id=${id.U}&group.id=${id.G}`,
      `scope.project.id=${id.P}&scope.domain.id=${id.D}`,
      `scope.project.id=${id.P}&scope.system=all`,
      `scope.domain.id=${id.D}&scope.system=all`,
      `group.id=${id.G}&effective`,
      `scope.domain.id=${id.D}&scope.OS-INHERIT:inherited_to=projects&effective`,
      `user.id=${'x'.repeat(10_000)}`,
      'user.id=%00',
    ]) {
      const res = await admin('GET', `/v3/role_assignments?${query}`);
      expect(res.statusCode, query.slice(0, 80)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
  });

  it('lets a member list its own assignments only', async () => {
    const own = await list(`user.id=${h.ids.demoUserId}`, h.demoToken);
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((a) => a.user?.id === h.ids.demoUserId)).toBe(true);
    const effective = await list(`user.id=${h.ids.demoUserId}&effective&include_names`, h.demoToken);
    expect(effective.map((a) => a.role.name).sort()).toEqual(['member', 'reader']);
    const demo = (query: string) => h.call('GET', `/v3/role_assignments?${query}`, { token: h.demoToken });
    expect((await demo('')).statusCode).toBe(403);
    expect((await demo(`user.id=${h.ids.adminUserId}`)).statusCode).toBe(403);
    expect((await demo(`group.id=${id.G}`)).statusCode).toBe(403);
    expect((await h.call('GET', '/v3/role_assignments')).statusCode).toBe(401);
  });
});

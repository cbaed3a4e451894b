import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await startIdentity();
});
afterAll(async () => {
  await h?.close();
});

const admin = (method: string, url: string, body?: unknown) =>
  h.call(method, url, { token: h.adminToken, body });

async function createRole(name: string, extra: Record<string, unknown> = {}) {
  const res = await admin('POST', '/v3/roles', { role: { name, ...extra } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().role as { id: string; name: string; domain_id: string | null };
}

async function createDomain(name: string) {
  const res = await admin('POST', '/v3/domains', { domain: { name } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().domain as { id: string; name: string };
}

describe('roles CRUD', () => {
  it('creates, shows, lists, updates and deletes a role', async () => {
    const res = await admin('POST', '/v3/roles', { role: { name: 'crud-role', description: 'd' } });
    expect(res.statusCode).toBe(201);
    const role = res.json().role;
    expect(role).toMatchObject({ name: 'crud-role', description: 'd', domain_id: null, options: {} });
    expect(role.id).toMatch(/^[0-9a-f]{32}$/);
    expect(role.links.self).toMatch(new RegExp(`/v3/roles/${role.id}$`));

    const shown = await admin('GET', `/v3/roles/${role.id}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.json().role).toEqual(role);

    // Tempest compares the listed dicts with the created ones
    const list = await admin('GET', '/v3/roles');
    expect(list.statusCode).toBe(200);
    expect(list.json().roles).toContainEqual(role);
    expect(list.json().links.self).toContain('/v3/roles');

    const byName = await admin('GET', '/v3/roles?name=crud-role');
    expect(byName.json().roles.map((r: { id: string }) => r.id)).toEqual([role.id]);

    const upd = await admin('PATCH', `/v3/roles/${role.id}`, { role: { name: 'crud-role-2' } });
    expect(upd.statusCode).toBe(200);
    expect(upd.json().role).toMatchObject({ id: role.id, name: 'crud-role-2', description: 'd' });
    expect(upd.json().role.links).toBeDefined();
    expect((await admin('GET', `/v3/roles/${role.id}`)).json().role.name).toBe('crud-role-2');

    expect((await admin('DELETE', `/v3/roles/${role.id}`)).statusCode).toBe(204);
    expect((await admin('GET', `/v3/roles/${role.id}`)).statusCode).toBe(404);
    expect((await admin('DELETE', `/v3/roles/${role.id}`)).statusCode).toBe(404);
  });

  it('keeps unknown attributes, as Keystone does', async () => {
    const role = await createRole('extra-role', { color: 'blue' });
    expect(role).toMatchObject({ color: 'blue' });
    expect((await admin('GET', `/v3/roles/${role.id}`)).json().role.color).toBe('blue');
  });

  it('refuses duplicate names in the same domain only', async () => {
    await createRole('dup-role');
    const again = await admin('POST', '/v3/roles', { role: { name: 'dup-role' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe(409);

    const d = await createDomain('dup-roles-domain');
    const inDomain = await createRole('dup-role', { domain_id: d.id });
    expect(inDomain.domain_id).toBe(d.id);
    const dupInDomain = await admin('POST', '/v3/roles', { role: { name: 'dup-role', domain_id: d.id } });
    expect(dupInDomain.statusCode).toBe(409);

    const other = await createRole('dup-role-other');
    const rename = await admin('PATCH', `/v3/roles/${other.id}`, { role: { name: 'dup-role' } });
    expect(rename.statusCode).toBe(409);
  });

  it('lists global roles by default and a domain role only with domain_id', async () => {
    const d = await createDomain('domain-roles-domain');
    const dr = await createRole('domain-only-role', { domain_id: d.id });
    const global = await admin('GET', '/v3/roles');
    expect(global.json().roles.map((r: { id: string }) => r.id)).not.toContain(dr.id);
    expect(global.json().roles.every((r: { domain_id: unknown }) => r.domain_id === null)).toBe(true);
    const scoped = await admin('GET', `/v3/roles?domain_id=${d.id}`);
    expect(scoped.json().roles).toEqual([dr]);
    expect((await admin('DELETE', `/v3/roles/${dr.id}`)).statusCode).toBe(204);
    expect((await admin('GET', `/v3/roles?domain_id=${d.id}`)).json().roles).toEqual([]);
  });

  it('answers 404 for unknown roles and domains', async () => {
    expect((await admin('GET', '/v3/roles/nope')).statusCode).toBe(404);
    expect((await admin('GET', '/v3/roles/%00')).statusCode).toBe(404);
    expect((await admin('PATCH', '/v3/roles/nope', { role: { name: 'x' } })).statusCode).toBe(404);
    expect((await admin('DELETE', '/v3/roles/nope')).statusCode).toBe(404);
    const res = await admin('POST', '/v3/roles', { role: { name: 'r', domain_id: 'no-such-domain' } });
    expect(res.statusCode).toBe(404);
  });

  it('answers 400 for bad bodies', async () => {
    const role = await createRole('bad-input-role');
    for (const body of [
      undefined,
      {},
      { role: {} },
      { role: { name: '' } },
      { role: { name: '   ' } },
      { role: { name: 'x'.repeat(256) } },
      { role: { name: 'x'.repeat(10_000) } },
      { role: { name: 42 } },
      { role: { name: 'ok', description: 7 } },
      { role: { name: 'ok', options: { unknown_option: true } } },
      { role: { name: 'ok', options: { immutable: 'yes' } } },
      { role: 'nope' },
    ]) {
      const res = await admin('POST', '/v3/roles', body);
      expect(res.statusCode, JSON.stringify(body)?.slice(0, 80)).toBe(400);
    }
    expect((await admin('PATCH', `/v3/roles/${role.id}`, { role: {} })).statusCode).toBe(400);
    expect(
      (await admin('PATCH', `/v3/roles/${role.id}`, { role: { domain_id: 'default' } })).statusCode,
    ).toBe(400);
    expect(
      (await admin('PATCH', `/v3/roles/${role.id}`, { role: { name: 'x'.repeat(300) } })).statusCode,
    ).toBe(400);
  });

  it('protects immutable roles', async () => {
    const role = await createRole('locked-role', { options: { immutable: true } });
    expect(role).toMatchObject({ options: { immutable: true } });
    expect((await admin('PATCH', `/v3/roles/${role.id}`, { role: { name: 'renamed' } })).statusCode).toBe(
      403,
    );
    expect((await admin('DELETE', `/v3/roles/${role.id}`)).statusCode).toBe(403);
    const unlock = await admin('PATCH', `/v3/roles/${role.id}`, { role: { options: { immutable: false } } });
    expect(unlock.statusCode).toBe(200);
    expect((await admin('DELETE', `/v3/roles/${role.id}`)).statusCode).toBe(204);
  });

  it('refuses a member the admin calls', async () => {
    const role = await createRole('member-cannot-touch');
    const demo = (method: string, url: string, body?: unknown) =>
      h.call(method, url, { token: h.demoToken, body });
    expect((await demo('POST', '/v3/roles', { role: { name: 'x' } })).statusCode).toBe(403);
    expect((await demo('PATCH', `/v3/roles/${role.id}`, { role: { name: 'x' } })).statusCode).toBe(403);
    expect((await demo('DELETE', `/v3/roles/${role.id}`)).statusCode).toBe(403);
    expect((await demo('GET', '/v3/roles')).statusCode).toBe(403);
    expect((await demo('PUT', `/v3/roles/${role.id}/implies/${role.id}`)).statusCode).toBe(403);
    expect((await h.call('GET', '/v3/roles')).statusCode).toBe(401);
  });

  it('revokes the tokens holding a deleted role', async () => {
    const role = await createRole('doomed-role');
    const grant = await admin(
      'PUT',
      `/v3/projects/${h.ids.demoProjectId}/users/${h.ids.demoUserId}/roles/${role.id}`,
    );
    expect(grant.statusCode).toBe(204);
    const token = await h.login('demo', DEMO_PASSWORD, 'demo');
    expect((await h.call('GET', `/v3/projects/${h.ids.demoProjectId}`, { token })).statusCode).toBe(200);
    expect((await admin('DELETE', `/v3/roles/${role.id}`)).statusCode).toBe(204);
    expect((await h.call('GET', `/v3/projects/${h.ids.demoProjectId}`, { token })).statusCode).toBe(401);
    const fresh = await h.login('demo', DEMO_PASSWORD, 'demo');
    expect((await h.call('GET', `/v3/projects/${h.ids.demoProjectId}`, { token: fresh })).statusCode).toBe(
      200,
    );
  });
});

describe('implied roles', () => {
  it('creates, checks, shows, lists and deletes an inference rule', async () => {
    const prior = await createRole('prior-a');
    const implied = await createRole('implied-a');
    const put = await h.call('PUT', `/v3/roles/${prior.id}/implies/${implied.id}`, {
      token: h.adminToken,
      headers: { 'content-type': 'application/json' },
    });
    expect(put.statusCode).toBe(201);
    const body = put.json();
    expect(body.role_inference.prior_role).toMatchObject({ id: prior.id, name: 'prior-a' });
    expect(body.role_inference.implies).toMatchObject({ id: implied.id, name: 'implied-a' });
    expect(body.role_inference.prior_role.links.self).toMatch(new RegExp(`/v3/roles/${prior.id}$`));
    expect(body.role_inference.implies.links.self).toMatch(new RegExp(`/v3/roles/${implied.id}$`));

    const head = await admin('HEAD', `/v3/roles/${prior.id}/implies/${implied.id}`);
    expect(head.statusCode).toBe(204);
    const get = await admin('GET', `/v3/roles/${prior.id}/implies/${implied.id}`);
    expect(get.statusCode).toBe(200);
    expect(get.json().role_inference).toEqual(body.role_inference);

    expect((await admin('PUT', `/v3/roles/${prior.id}/implies/${implied.id}`)).statusCode).toBe(409);

    const list = await admin('GET', `/v3/roles/${prior.id}/implies`);
    expect(list.statusCode).toBe(200);
    expect(list.json().role_inference.prior_role.id).toBe(prior.id);
    expect(list.json().role_inference.implies.map((r: { id: string }) => r.id)).toEqual([implied.id]);

    const all = await admin('GET', '/v3/role_inferences');
    expect(all.statusCode).toBe(200);
    const rule = all
      .json()
      .role_inferences.find((r: { prior_role: { id: string } }) => r.prior_role.id === prior.id);
    expect(rule.implies.map((r: { id: string }) => r.id)).toEqual([implied.id]);
    // the bootstrap's admin → member → reader are there too
    expect(all.json().role_inferences.length).toBeGreaterThanOrEqual(3);

    expect((await admin('DELETE', `/v3/roles/${prior.id}/implies/${implied.id}`)).statusCode).toBe(204);
    expect((await admin('GET', `/v3/roles/${prior.id}/implies/${implied.id}`)).statusCode).toBe(404);
    expect((await admin('HEAD', `/v3/roles/${prior.id}/implies/${implied.id}`)).statusCode).toBe(404);
    expect((await admin('DELETE', `/v3/roles/${prior.id}/implies/${implied.id}`)).statusCode).toBe(404);
    expect((await admin('GET', `/v3/roles/${prior.id}/implies`)).json().role_inference.implies).toEqual([]);
  });

  it('lists only direct inferences (Tempest roles hierarchy)', async () => {
    const r0 = await createRole('hier-h0');
    const r1 = await createRole('hier-h1');
    const r2 = await createRole('hier-h2');
    const r3 = await createRole('hier-h3');
    const rules: [typeof r0, typeof r0][] = [
      [r0, r1],
      [r0, r2],
      [r2, r3],
    ];
    for (const [a, b] of rules)
      expect((await admin('PUT', `/v3/roles/${a.id}/implies/${b.id}`)).statusCode).toBe(201);
    const l2 = (await admin('GET', `/v3/roles/${r2.id}/implies`)).json().role_inference.implies;
    expect(l2.map((r: { id: string }) => r.id)).toEqual([r3.id]);
    const l0 = (await admin('GET', `/v3/roles/${r0.id}/implies`)).json().role_inference.implies;
    expect(l0.map((r: { id: string }) => r.id).sort()).toEqual([r1.id, r2.id].sort());
  });

  it('refuses cycles, the admin role and global → domain rules', async () => {
    const a = await createRole('cyc-a');
    const b = await createRole('cyc-b');
    const c = await createRole('cyc-c');
    expect((await admin('PUT', `/v3/roles/${a.id}/implies/${b.id}`)).statusCode).toBe(201);
    expect((await admin('PUT', `/v3/roles/${b.id}/implies/${c.id}`)).statusCode).toBe(201);
    const cycle = await admin('PUT', `/v3/roles/${c.id}/implies/${a.id}`);
    expect(cycle.statusCode).toBe(400);
    expect(cycle.json().error.code).toBe(400);
    expect((await admin('PUT', `/v3/roles/${a.id}/implies/${a.id}`)).statusCode).toBe(400);

    const adminRole = (await admin('GET', '/v3/roles?name=admin')).json().roles[0];
    expect((await admin('PUT', `/v3/roles/${a.id}/implies/${adminRole.id}`)).statusCode).toBe(403);

    const d = await createDomain('implied-domain');
    const d2 = await createDomain('implied-domain-2');
    const dr1 = await createRole('dom-r1', { domain_id: d.id });
    const dr2 = await createRole('dom-r2', { domain_id: d.id });
    const dr3 = await createRole('dom-r3', { domain_id: d2.id });
    expect((await admin('PUT', `/v3/roles/${dr1.id}/implies/${dr2.id}`)).statusCode).toBe(201);
    expect((await admin('PUT', `/v3/roles/${dr1.id}/implies/${dr3.id}`)).statusCode).toBe(201);
    expect((await admin('PUT', `/v3/roles/${dr1.id}/implies/${a.id}`)).statusCode).toBe(201);
    expect((await admin('PUT', `/v3/roles/${a.id}/implies/${dr1.id}`)).statusCode).toBe(403);
  });

  it('answers 404 for unknown roles in rules', async () => {
    const a = await createRole('known-prior');
    expect((await admin('PUT', `/v3/roles/${a.id}/implies/nope`)).statusCode).toBe(404);
    expect((await admin('PUT', `/v3/roles/nope/implies/${a.id}`)).statusCode).toBe(404);
    expect((await admin('GET', '/v3/roles/nope/implies')).statusCode).toBe(404);
    expect((await admin('GET', `/v3/roles/${a.id}/implies/nope`)).statusCode).toBe(404);
    expect((await admin('DELETE', `/v3/roles/${a.id}/implies/nope`)).statusCode).toBe(404);
  });

  it('drops the rules of a deleted role', async () => {
    const a = await createRole('gone-prior');
    const b = await createRole('gone-implied');
    expect((await admin('PUT', `/v3/roles/${a.id}/implies/${b.id}`)).statusCode).toBe(201);
    expect((await admin('DELETE', `/v3/roles/${b.id}`)).statusCode).toBe(204);
    expect((await admin('GET', `/v3/roles/${a.id}/implies`)).json().role_inference.implies).toEqual([]);
  });
});

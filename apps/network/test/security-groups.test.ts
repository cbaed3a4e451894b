import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkHarness, startNetwork } from './harness.js';

let h: NetworkHarness;
beforeAll(async () => {
  h = await startNetwork();
});
afterAll(async () => {
  await h?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON bodies
type Json = Record<string, any>;
const errType = (body: string) => (JSON.parse(body) as Json).NeutronError?.type;

async function createSg(token: string, name = 'web', extra: Json = {}) {
  const r = await h.call('POST', '/v2.0/security-groups', {
    token,
    body: { security_group: { name, ...extra } },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().security_group as Json;
}

async function rule(token: string, body: Json) {
  return h.call('POST', '/v2.0/security-group-rules', { token, body: { security_group_rule: body } });
}

describe('security groups', () => {
  it('creates the default group on the first list, with Neutron default rules', async () => {
    const t = await h.tenant('sg-default');
    const r = await h.call('GET', '/v2.0/security-groups', { token: t.token });
    expect(r.statusCode).toBe(200);
    const groups = r.json().security_groups as Json[];
    expect(groups).toHaveLength(1);
    const d = groups[0]!;
    expect(d).toMatchObject({
      name: 'default',
      project_id: t.projectId,
      tenant_id: t.projectId,
      stateful: true,
      shared: false,
    });
    expect(d.revision_number).toBeGreaterThanOrEqual(0);
    const rules = d.security_group_rules as Json[];
    expect(rules).toHaveLength(4);
    const summary = rules
      .map((x) => `${x.direction}/${x.ethertype}/${x.remote_group_id === d.id ? 'self' : x.remote_group_id}`)
      .sort();
    expect(summary).toEqual([
      'egress/IPv4/null',
      'egress/IPv6/null',
      'ingress/IPv4/self',
      'ingress/IPv6/self',
    ]);
    // a second list does not create another one
    const again = await h.call('GET', '/v2.0/security-groups', { token: t.token });
    expect(again.json().security_groups).toHaveLength(1);
  });

  it('20 concurrent first lists of a fresh project make exactly one default group', async () => {
    const t = await h.tenant('sg-race');
    const all = await Promise.all(
      Array.from({ length: 20 }, () => h.call('GET', '/v2.0/security-groups', { token: t.token })),
    );
    for (const r of all) expect(r.statusCode, r.body).toBe(200);
    const ids = new Set(all.flatMap((r) => (r.json().security_groups as Json[]).map((g) => g.id)));
    expect(ids.size).toBe(1);
    const admin = await h.call('GET', `/v2.0/security-groups?project_id=${t.projectId}&name=default`, {
      token: h.adminToken,
    });
    expect(admin.json().security_groups).toHaveLength(1);
  });

  it('CRUD: create with egress rules, update, show, list, delete', async () => {
    const sg = await createSg(h.demoToken, 'crud', { description: 'd1' });
    expect(sg.description).toBe('d1');
    expect((sg.security_group_rules as Json[]).map((r) => `${r.direction}/${r.ethertype}`).sort()).toEqual([
      'egress/IPv4',
      'egress/IPv6',
    ]);
    expect(sg.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const up = await h.call('PUT', `/v2.0/security-groups/${sg.id}`, {
      token: h.demoToken,
      body: { security_group: { name: 'crud2', description: 'd2' } },
    });
    expect(up.statusCode, up.body).toBe(200);
    expect(up.json().security_group).toMatchObject({
      name: 'crud2',
      description: 'd2',
      revision_number: sg.revision_number + 1,
    });
    const show = await h.call('GET', `/v2.0/security-groups/${sg.id}?fields=name&fields=id`, {
      token: h.demoToken,
    });
    expect(show.json().security_group).toEqual({ id: sg.id, name: 'crud2' });
    const list = await h.call('GET', '/v2.0/security-groups?name=crud2', { token: h.demoToken });
    expect((list.json().security_groups as Json[]).map((g) => g.id)).toEqual([sg.id]);
    const del = await h.call('DELETE', `/v2.0/security-groups/${sg.id}`, { token: h.demoToken });
    expect(del.statusCode).toBe(204);
    const gone = await h.call('GET', `/v2.0/security-groups/${sg.id}`, { token: h.demoToken });
    expect(gone.statusCode).toBe(404);
    expect(errType(gone.body)).toBe('SecurityGroupNotFound');
    const rules = await h.call('GET', `/v2.0/security-group-rules?security_group_id=${sg.id}`, {
      token: h.demoToken,
    });
    expect(rules.json().security_group_rules).toEqual([]);
  });

  it("refuses a second 'default', renaming to or from it, deleting it (non-admin)", async () => {
    const t = await h.tenant('sg-def2');
    const d = (await h.call('GET', '/v2.0/security-groups', { token: t.token })).json()
      .security_groups[0] as Json;
    const dup = await h.call('POST', '/v2.0/security-groups', {
      token: t.token,
      body: { security_group: { name: 'default' } },
    });
    expect(dup.statusCode).toBe(409);
    const sg = await createSg(t.token, 'x');
    const ren = await h.call('PUT', `/v2.0/security-groups/${sg.id}`, {
      token: t.token,
      body: { security_group: { name: 'default' } },
    });
    expect(ren.statusCode).toBe(409);
    const renDef = await h.call('PUT', `/v2.0/security-groups/${d.id}`, {
      token: t.token,
      body: { security_group: { name: 'other' } },
    });
    expect(renDef.statusCode).toBe(409);
    expect(renDef.json().NeutronError.message).toContain('Updating default security group not allowed');
    const descDef = await h.call('PUT', `/v2.0/security-groups/${d.id}`, {
      token: t.token,
      body: { security_group: { description: 'mine' } },
    });
    expect(descDef.statusCode).toBe(200);
    const delDef = await h.call('DELETE', `/v2.0/security-groups/${d.id}`, { token: t.token });
    expect(delDef.statusCode).toBe(409);
    // the admin may delete it (Tempest's cleanup does); the next list makes a new one
    const adminDel = await h.call('DELETE', `/v2.0/security-groups/${d.id}`, { token: h.adminToken });
    expect(adminDel.statusCode).toBe(204);
    const again = (await h.call('GET', '/v2.0/security-groups?name=default', { token: t.token })).json()
      .security_groups as Json[];
    expect(again).toHaveLength(1);
    expect(again[0]!.id).not.toBe(d.id);
  });

  it("hides other tenants' groups (404) and lets the admin create for a project", async () => {
    const t = await h.tenant('sg-other');
    const sg = await createSg(t.token, 'private');
    for (const [m, body] of [
      ['GET', undefined],
      ['PUT', { security_group: { name: 'x' } }],
      ['DELETE', undefined],
    ] as const) {
      const r = await h.call(m, `/v2.0/security-groups/${sg.id}`, { token: h.demoToken, body });
      expect(r.statusCode, `${m} ${r.body}`).toBe(404);
    }
    const r = await rule(h.demoToken, { security_group_id: sg.id, direction: 'ingress' });
    expect(r.statusCode).toBe(404);
    const list = await h.call('GET', '/v2.0/security-groups', { token: h.demoToken });
    expect((list.json().security_groups as Json[]).some((g) => g.id === sg.id)).toBe(false);
    const forbidden = await h.call('POST', '/v2.0/security-groups', {
      token: h.demoToken,
      body: { security_group: { name: 'y', project_id: t.projectId } },
    });
    expect(forbidden.statusCode).toBe(403);
    const byAdmin = await h.call('POST', '/v2.0/security-groups', {
      token: h.adminToken,
      body: { security_group: { name: 'y', project_id: t.projectId } },
    });
    expect(byAdmin.statusCode).toBe(201);
    expect(byAdmin.json().security_group.project_id).toBe(t.projectId);
  });

  it('refuses deleting a group a port uses (409 SecurityGroupInUse)', async () => {
    const sg = await createSg(h.demoToken, 'inuse');
    const net = await h.call('POST', '/v2.0/networks', {
      token: h.demoToken,
      body: { network: { name: 'sgnet' } },
    });
    const netId = net.json().network.id as string;
    const port = await h.call('POST', '/v2.0/ports', {
      token: h.demoToken,
      body: { port: { network_id: netId, security_groups: [sg.id] } },
    });
    expect(port.statusCode, port.body).toBe(201);
    const del = await h.call('DELETE', `/v2.0/security-groups/${sg.id}`, { token: h.demoToken });
    expect(del.statusCode).toBe(409);
    expect(errType(del.body)).toBe('SecurityGroupInUse');
    const stateful = await h.call('PUT', `/v2.0/security-groups/${sg.id}`, {
      token: h.demoToken,
      body: { security_group: { stateful: false } },
    });
    expect(stateful.statusCode).toBe(409);
    await h.call('DELETE', `/v2.0/ports/${port.json().port.id}`, { token: h.demoToken });
    const del2 = await h.call('DELETE', `/v2.0/security-groups/${sg.id}`, { token: h.demoToken });
    expect(del2.statusCode).toBe(204);
  });

  it('a port without security_groups gets the default group', async () => {
    const t = await h.tenant('sg-port');
    const net = await h.call('POST', '/v2.0/networks', { token: t.token, body: { network: { name: 'n' } } });
    const port = await h.call('POST', '/v2.0/ports', {
      token: t.token,
      body: { port: { network_id: net.json().network.id } },
    });
    expect(port.statusCode, port.body).toBe(201);
    const groups = (await h.call('GET', '/v2.0/security-groups', { token: t.token })).json()
      .security_groups as Json[];
    expect(groups).toHaveLength(1);
    expect(port.json().port.security_groups).toEqual([groups[0]!.id]);
  });

  it('If-Match: revision_number guards update and delete (412)', async () => {
    const sg = await createSg(h.demoToken, 'ifmatch');
    const bad = await h.call('PUT', `/v2.0/security-groups/${sg.id}`, {
      token: h.demoToken,
      headers: { 'if-match': `revision_number=${sg.revision_number + 5}` },
      body: { security_group: { name: 'z' } },
    });
    expect(bad.statusCode).toBe(412);
    const ok = await h.call('DELETE', `/v2.0/security-groups/${sg.id}`, {
      token: h.demoToken,
      headers: { 'if-match': `revision_number=${sg.revision_number}` },
    });
    expect(ok.statusCode).toBe(204);
  });

  it('enforces the security_group quota (409 OverQuota)', async () => {
    const t = await h.tenant('sg-quota');
    const q = await h.call('PUT', `/v2.0/quotas/${t.projectId}`, {
      token: h.adminToken,
      body: { quota: { security_group: 2 } },
    });
    expect(q.statusCode, q.body).toBe(200);
    await createSg(t.token, 'a'); // + default = 2
    const over = await h.call('POST', '/v2.0/security-groups', {
      token: t.token,
      body: { security_group: { name: 'b' } },
    });
    expect(over.statusCode).toBe(409);
    expect(errType(over.body)).toBe('OverQuota');
  });

  it('pages and sorts', async () => {
    const t = await h.tenant('sg-page');
    for (const n of ['p1', 'p2', 'p3']) await createSg(t.token, n);
    const r = await h.call('GET', '/v2.0/security-groups?limit=2&sort_key=name&sort_dir=asc', {
      token: t.token,
    });
    const body = r.json();
    expect((body.security_groups as Json[]).map((g) => g.name)).toEqual(['default', 'p1']);
    expect(body.security_groups_links[0].rel).toBe('next');
    const bad = await h.call('GET', '/v2.0/security-groups?bogus=1', { token: t.token });
    expect(bad.statusCode).toBe(400);
  });
});

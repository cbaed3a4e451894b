import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await startIdentity();
});
afterAll(async () => {
  await h?.close();
});

describe('project hierarchy and domains seen as projects', () => {
  it('nests projects; a top-level parent is its domain; a parent with children cannot be deleted', async () => {
    const top = await h.call('POST', '/v3/projects', {
      token: h.adminToken,
      body: { project: { name: 'top' } },
    });
    expect(top.json().project.parent_id).toBe('default');
    const topId = top.json().project.id;
    const child = await h.call('POST', '/v3/projects', {
      token: h.adminToken,
      body: { project: { name: 'child', parent_id: topId } },
    });
    expect(child.statusCode).toBe(201);
    expect(child.json().project.parent_id).toBe(topId);
    const below = await h.call('GET', `/v3/projects?parent_id=${topId}`, { token: h.adminToken });
    expect(below.json().projects.map((p: { name: string }) => p.name)).toEqual(['child']);
    expect((await h.call('DELETE', `/v3/projects/${topId}`, { token: h.adminToken })).statusCode).toBe(403);
  });

  it('creates, lists, shows, disables and deletes a domain through the projects API', async () => {
    const res = await h.call('POST', '/v3/projects', {
      token: h.adminToken,
      body: { project: { name: 'as-domain', domain_id: null, is_domain: true } },
    });
    expect(res.statusCode).toBe(201);
    const p = res.json().project;
    expect(p).toMatchObject({ is_domain: true, domain_id: null, parent_id: null });
    const listed = await h.call('GET', '/v3/projects?is_domain=true', { token: h.adminToken });
    expect(listed.json().projects.map((x: { id: string }) => x.id)).toContain(p.id);
    const plain = await h.call('GET', '/v3/projects', { token: h.adminToken });
    expect(plain.json().projects.map((x: { id: string }) => x.id)).not.toContain(p.id);
    const domains = await h.call('GET', '/v3/domains', { token: h.adminToken });
    expect(domains.json().domains.map((x: { id: string }) => x.id)).toContain(p.id);
    expect(
      (await h.call('GET', `/v3/projects/${p.id}`, { token: h.adminToken })).json().project.is_domain,
    ).toBe(true);
    expect((await h.call('DELETE', `/v3/projects/${p.id}`, { token: h.adminToken })).statusCode).toBe(403);
    const off = await h.call('PATCH', `/v3/projects/${p.id}`, {
      token: h.adminToken,
      body: { project: { enabled: false } },
    });
    expect(off.json().project.enabled).toBe(false);
    expect((await h.call('DELETE', `/v3/projects/${p.id}`, { token: h.adminToken })).statusCode).toBe(204);
    expect((await h.call('GET', `/v3/domains/${p.id}`, { token: h.adminToken })).statusCode).toBe(404);
  });

  it('refuses a domain-project with a parent', async () => {
    const res = await h.call('POST', '/v3/projects', {
      token: h.adminToken,
      body: { project: { name: 'bad', is_domain: true, parent_id: 'default' } },
    });
    expect(res.statusCode).toBe(400);
  });
});

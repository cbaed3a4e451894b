import { rotateKeyRepository } from '@kumo/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, DEMO_PASSWORD, type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await startIdentity({ tokenTtlSeconds: 2 });
});
afterAll(async () => {
  await h?.close();
});

const pw = (user: string, password: string, scope?: unknown) => ({
  auth: {
    identity: {
      methods: ['password'],
      password: { user: { name: user, domain: { id: 'default' }, password } },
    },
    ...(scope === undefined ? {} : { scope }),
  },
});

describe('token scopes', () => {
  it('scopes to the system and to a domain', async () => {
    const sys = await h.call('POST', '/v3/auth/tokens', {
      body: pw('admin', ADMIN_PASSWORD, { system: { all: true } }),
    });
    expect(sys.statusCode).toBe(201);
    expect(sys.json().token.system).toEqual({ all: true });
    expect(sys.json().token.roles.map((r: { name: string }) => r.name)).toContain('admin');
    const dom = await h.call('POST', '/v3/auth/tokens', {
      body: pw('admin', ADMIN_PASSWORD, { domain: { id: 'default' } }),
    });
    // admin holds no role on the Default domain itself
    expect(dom.statusCode).toBe(401);
  });

  it('scopes to the default project when no scope is asked, and omits the catalog on request', async () => {
    const res = await h.call('POST', '/v3/auth/tokens?nocatalog', { body: pw('demo', DEMO_PASSWORD) });
    expect(res.statusCode).toBe(201);
    expect(res.json().token.project.name).toBe('demo');
    expect(res.json().token.catalog).toBeUndefined();
  });

  it('refuses a project the user has no role on, and an unknown one, with 401', async () => {
    expect(
      (
        await h.call('POST', '/v3/auth/tokens', {
          body: pw('demo', DEMO_PASSWORD, { project: { name: 'admin', domain: { id: 'default' } } }),
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (
        await h.call('POST', '/v3/auth/tokens', {
          body: pw('demo', DEMO_PASSWORD, { project: { id: 'nope' } }),
        })
      ).statusCode,
    ).toBe(401);
  });

  it('rejects malformed auth bodies with 400', async () => {
    for (const body of [
      {},
      { auth: {} },
      { auth: { identity: { methods: 'password' } } },
      pw('demo', DEMO_PASSWORD, { project: { name: 'demo' } }),
    ]) {
      const res = await h.call('POST', '/v3/auth/tokens', { body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
  });

  it('lists the projects and domains a token may scope to', async () => {
    const res = await h.call('GET', '/v3/auth/projects', { token: h.demoToken });
    expect(res.json().projects.map((p: { name: string }) => p.name)).toEqual(['demo']);
    const cat = await h.call('GET', '/v3/auth/catalog', { token: h.demoToken });
    expect(cat.json().catalog[0].endpoints).toHaveLength(3);
    const sys = await h.call('GET', '/v3/auth/system', { token: h.adminToken });
    expect(sys.json().system).toEqual([{ all: true }]);
  });

  it('answers HEAD on a token check without a body', async () => {
    const res = await h.call('HEAD', '/v3/auth/tokens', {
      token: h.adminToken,
      headers: { 'x-subject-token': h.demoToken },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
  });

  it('keeps tokens valid across a key rotation', async () => {
    const before = await h.login('demo', DEMO_PASSWORD, 'demo');
    rotateKeyRepository(h.ctx.settings.tokenKeyDir, 3);
    const { loadKeyRepository } = await import('@kumo/service-kit');
    h.ctx.validator.setKeys(loadKeyRepository(h.ctx.settings.tokenKeyDir));
    expect((await h.call('GET', '/v3/auth/projects', { token: before })).statusCode).toBe(200);
  });

  it('expires tokens', async () => {
    const t = await h.login('demo', DEMO_PASSWORD, 'demo');
    await new Promise((r) => setTimeout(r, 2100));
    const res = await h.call('GET', '/v3/auth/projects', { token: t });
    expect(res.statusCode).toBe(401);
    const check = await h.call('GET', '/v3/auth/tokens', {
      token: await h.login('admin', ADMIN_PASSWORD, 'admin'),
      headers: { 'x-subject-token': t },
    });
    expect(check.statusCode).toBe(404);
  });
});

describe('domain-specific roles', () => {
  it('confer their implied global roles but never appear in a token', async () => {
    const admin = await h.login('admin', ADMIN_PASSWORD, 'admin');
    const dr = await h.call('POST', '/v3/roles', {
      token: admin,
      body: { role: { name: 'dom-helper', domain_id: 'default' } },
    });
    expect(dr.statusCode).toBe(201);
    const gr = await h.call('POST', '/v3/roles', { token: admin, body: { role: { name: 'auditor' } } });
    const domRole = dr.json().role.id;
    const globalRole = gr.json().role.id;
    expect(
      (await h.call('PUT', `/v3/roles/${domRole}/implies/${globalRole}`, { token: admin })).statusCode,
    ).toBe(201);
    const grant = await h.call(
      'PUT',
      `/v3/projects/${h.ids.demoProjectId}/users/${h.ids.demoUserId}/roles/${domRole}`,
      { token: admin },
    );
    expect(grant.statusCode).toBe(204);
    const t = await h.call('POST', '/v3/auth/tokens', {
      body: pw('demo', DEMO_PASSWORD, { project: { id: h.ids.demoProjectId } }),
    });
    const names = t.json().token.roles.map((r: { name: string }) => r.name);
    expect(names).toContain('auditor');
    expect(names).not.toContain('dom-helper');
  });
});

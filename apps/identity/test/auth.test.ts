import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await startIdentity();
});
afterAll(async () => {
  await h?.close();
});

describe('tokens', () => {
  it('issues a project-scoped token with roles and catalog', async () => {
    const res = await h.call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { name: 'Default' }, password: ADMIN_PASSWORD } },
          },
          scope: { project: { name: 'admin', domain: { id: 'default' } } },
        },
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-subject-token']).toBeTruthy();
    const t = res.json().token;
    expect(t.project.name).toBe('admin');
    expect(t.roles.map((r: { name: string }) => r.name).sort()).toEqual(['admin', 'member', 'reader']);
    expect(t.catalog[0].type).toBe('identity');
    expect(t.expires_at).toMatch(/\.\d{6}Z$/);
  });

  it('authenticates by user id', async () => {
    const res = await h.call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { id: h.ids.adminUserId, password: ADMIN_PASSWORD } },
          },
        },
      },
    });
    expect(res.statusCode).toBe(201);
  });

  it('answers a wrong password and an unknown user alike', async () => {
    const bad = (name: string) =>
      h.call('POST', '/v3/auth/tokens', {
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name, domain: { id: 'default' }, password: 'nope' } },
            },
          },
        },
      });
    const a = await bad('admin');
    const b = await bad('no-such-user');
    expect(a.statusCode).toBe(401);
    expect(b.statusCode).toBe(401);
    expect(a.json()).toEqual(b.json());
    expect(a.json().error.code).toBe(401);
  });

  it('validates, rescopes and revokes', async () => {
    const unscoped = await h.login('admin', ADMIN_PASSWORD);
    const rescoped = await h.call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['token'], token: { id: unscoped } },
          scope: { project: { name: 'admin', domain: { id: 'default' } } },
        },
      },
    });
    expect(rescoped.statusCode).toBe(201);
    const sub = rescoped.headers['x-subject-token'] as string;
    const v = await h.call('GET', '/v3/auth/tokens', {
      token: h.adminToken,
      headers: { 'x-subject-token': sub },
    });
    expect(v.statusCode).toBe(200);
    expect(v.json().token.methods).toContain('token');
    const del = await h.call('DELETE', '/v3/auth/tokens', {
      token: h.adminToken,
      headers: { 'x-subject-token': sub },
    });
    expect(del.statusCode).toBe(204);
    const again = await h.call('GET', '/v3/auth/tokens', {
      token: h.adminToken,
      headers: { 'x-subject-token': sub },
    });
    expect(again.statusCode).toBe(404);
    expect((await h.call('GET', '/v3/projects', { token: sub })).statusCode).toBe(401);
  });

  it('rejects malformed JSON, tampered and missing tokens in Keystone format', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v3/auth/tokens',
      payload: '{"auth": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe(400);
    const t = h.adminToken;
    const tampered = t.slice(0, -3) + (t.endsWith('A') ? 'BBB' : 'AAA');
    expect((await h.call('GET', '/v3/projects', { token: tampered })).statusCode).toBe(401);
    expect((await h.call('GET', '/v3/projects')).statusCode).toBe(401);
  });

  it('denies a member an admin call with 403', async () => {
    const res = await h.call('POST', '/v3/projects', {
      token: h.demoToken,
      body: { project: { name: 'x' } },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.title).toBe('Forbidden');
  });
});

describe('projects', () => {
  it('creates exactly one of 50 concurrent same-name projects', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        h.call('POST', '/v3/projects', { token: h.adminToken, body: { project: { name: 'race' } } }),
      ),
    );
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(49);
  });

  it('rejects a 10,000-character name and wrong types with 400', async () => {
    const long = await h.call('POST', '/v3/projects', {
      token: h.adminToken,
      body: { project: { name: 'x'.repeat(10_000) } },
    });
    expect(long.statusCode).toBe(400);
    const wrong = await h.call('POST', '/v3/projects', {
      token: h.adminToken,
      body: { project: { name: 5, enabled: 'yes' } },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.message).toMatch(/Invalid input/);
  });

  it('answers 404 for an unknown project', async () => {
    const res = await h.call('GET', '/v3/projects/nope', { token: h.adminToken });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.title).toBe('Not Found');
  });
});

describe('revocation without Redis', () => {
  it('records the event and honours it here even when the fan-out fails', async () => {
    const t = await h.login('demo', 'demo-secret', 'demo');
    const feed = h.ctx.revocations;
    const publish = feed.publish.bind(feed);
    feed.publish = async () => {
      throw new Error('redis is down');
    };
    try {
      const del = await h.call('DELETE', '/v3/auth/tokens', {
        token: h.adminToken,
        headers: { 'x-subject-token': t },
      });
      expect(del.statusCode).toBe(204);
      expect((await h.call('GET', '/v3/auth/projects', { token: t })).statusCode).toBe(401);
      const rows = await h.ctx.pool.query('SELECT count(*)::int AS n FROM identity.revocation_events');
      expect(rows.rows[0].n).toBeGreaterThan(0);
    } finally {
      feed.publish = publish;
    }
  });
});

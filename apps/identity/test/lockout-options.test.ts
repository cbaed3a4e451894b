import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
beforeAll(async () => {
  h = await startIdentity({ lockout: { failures: 2, seconds: 60 } });
});
afterAll(async () => {
  await h?.close();
});

const auth = (name: string, password: string) =>
  h.call('POST', '/v3/auth/tokens', {
    body: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name, domain: { id: 'default' }, password } },
        },
      },
    },
  });

describe('per-user exemptions from lockout and expiry', () => {
  it('never locks a user with ignore_lockout_failure_attempts', async () => {
    const u = await h.call('POST', '/v3/users', {
      token: h.adminToken,
      body: {
        user: { name: 'robot', password: 'right-1', options: { ignore_lockout_failure_attempts: true } },
      },
    });
    expect(u.statusCode).toBe(201);
    for (let i = 0; i < 3; i++) expect((await auth('robot', 'wrong')).statusCode).toBe(401);
    expect((await auth('robot', 'right-1')).statusCode).toBe(201);
  });

  it('locks others after the configured failures', async () => {
    await h.call('POST', '/v3/users', {
      token: h.adminToken,
      body: { user: { name: 'human', password: 'right-2' } },
    });
    for (let i = 0; i < 2; i++) expect((await auth('human', 'wrong')).statusCode).toBe(401);
    expect((await auth('human', 'right-2')).statusCode).toBe(401);
  });

  it('lets a user with ignore_password_expiry log in past the expiry', async () => {
    const u = await h.call('POST', '/v3/users', {
      token: h.adminToken,
      body: { user: { name: 'svc', password: 'right-3', options: { ignore_password_expiry: true } } },
    });
    await h.ctx.pool.query(
      `UPDATE identity.users SET password_expires_at = now() - interval '1 day' WHERE id = $1`,
      [u.json().user.id],
    );
    expect((await auth('svc', 'right-3')).statusCode).toBe(201);
  });
});

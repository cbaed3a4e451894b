import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityConfigSchema, identitySettings, type PasswordPolicySettings } from '../src/config.js';
import { passwordHistory, users } from '../src/db/schema.js';
import { checkPasswordPattern } from '../src/domain/password-rules.js';
import { DEMO_PASSWORD, type IdentityHarness, startIdentity } from './harness.js';

const OFF: PasswordPolicySettings = {
  regex: null,
  regexDescription: null,
  uniqueLastCount: 0,
  minAgeDays: 0,
  changeOnFirstUse: false,
};
const REGEX = '^(?=.*\\d)(?=.*[a-zA-Z]).{7,}$';
const REGEX_DESCRIPTION = 'at least 7 characters, with a letter and a digit';

const authBody = (name: string, password: string) => ({
  auth: {
    identity: { methods: ['password'], password: { user: { name, domain: { id: 'default' }, password } } },
  },
});

/** Helpers bound to one harness. */
function usersOf(h: () => IdentityHarness) {
  const create = async (user: Record<string, unknown>) => {
    const res = await h().call('POST', '/v3/users', { token: h().adminToken, body: { user } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().user as { id: string; password_expires_at: string | null };
  };
  const reset = (id: string, password: string) =>
    h().call('PATCH', `/v3/users/${id}`, { token: h().adminToken, body: { user: { password } } });
  const change = (id: string, original: string, password: string) =>
    h().call('POST', `/v3/users/${id}/password`, {
      body: { user: { password, original_password: original } },
    });
  const auth = (name: string, password: string) =>
    h().call('POST', '/v3/auth/tokens', { body: authBody(name, password) });
  return { create, reset, change, auth };
}

describe('security compliance: settings', () => {
  const parse = (env: Record<string, string>) => identityConfigSchema.safeParse(env);

  it('defaults to every rule off', () => {
    const env = parse({});
    expect(env.success).toBe(true);
    expect(identitySettings(env.data!, '/tmp', 'RegionOne').passwordPolicy).toEqual(OFF);
  });

  it('reads the rules from the environment and refuses a pattern that does not compile', () => {
    const env = parse({
      KUMO_PASSWORD_REGEX: REGEX,
      KUMO_PASSWORD_REGEX_DESCRIPTION: REGEX_DESCRIPTION,
      KUMO_PASSWORD_UNIQUE_LAST_COUNT: '5',
      KUMO_PASSWORD_MIN_AGE_DAYS: '1',
      KUMO_PASSWORD_CHANGE_ON_FIRST_USE: 'true',
    });
    expect(identitySettings(env.data!, '/tmp', 'RegionOne').passwordPolicy).toEqual({
      regex: REGEX,
      regexDescription: REGEX_DESCRIPTION,
      uniqueLastCount: 5,
      minAgeDays: 1,
      changeOnFirstUse: true,
    });
    expect(parse({ KUMO_PASSWORD_REGEX: '(unclosed' }).success).toBe(false);
    expect(parse({ KUMO_PASSWORD_UNIQUE_LAST_COUNT: '-1' }).success).toBe(false);
  });

  it('matches the pattern from the start of the password, as Python re.match does', () => {
    const policy = { ...OFF, regex: 'ab+', regexDescription: 'starts with ab' };
    expect(() => checkPasswordPattern(policy, 'abbbzz')).not.toThrow();
    expect(() => checkPasswordPattern(policy, 'zzab')).toThrow(/starts with ab/);
    expect(() => checkPasswordPattern(OFF, '')).not.toThrow();
  });
});

describe('security compliance: pattern and history', () => {
  let h: IdentityHarness;
  const u = usersOf(() => h);
  beforeAll(async () => {
    h = await startIdentity({
      passwordPolicy: { ...OFF, regex: REGEX, regexDescription: REGEX_DESCRIPTION, uniqueLastCount: 3 },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('publishes the pattern through the default domain security_compliance config', async () => {
    const all = await h.call('GET', '/v3/domains/default/config/security_compliance', { token: h.demoToken });
    expect(all.statusCode).toBe(200);
    expect(all.json().config).toEqual({
      security_compliance: { password_regex: REGEX, password_regex_description: REGEX_DESCRIPTION },
    });
    const one = await h.call(
      'GET',
      '/v3/domains/default/config/security_compliance/password_regex_description',
      {
        token: h.demoToken,
      },
    );
    expect(one.json().config).toEqual({ password_regex_description: REGEX_DESCRIPTION });
  });

  it('refuses a password that does not match the pattern on create, reset and self-service', async () => {
    const bad = await h.call('POST', '/v3/users', {
      token: h.adminToken,
      body: { user: { name: 'weak', password: 'short' } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toBe(
      `The password does not match the requirements: ${REGEX_DESCRIPTION}.`,
    );
    // a user without a password is fine
    const nopw = await u.create({ name: 'nopw' });
    expect((await u.reset(nopw.id, 'nodigits')).statusCode).toBe(400);
    expect((await u.reset(nopw.id, 'digits123')).statusCode).toBe(200);
    expect((await u.change(nopw.id, 'digits123', 'nodigits')).statusCode).toBe(400);
    expect((await u.auth('nopw', 'digits123')).statusCode).toBe(201);
  });

  it('refuses a self-service change to one of the last 3 passwords, the current one included', async () => {
    const user = await u.create({ name: 'hist', password: 'first111' });
    expect((await u.change(user.id, 'first111', 'first111')).statusCode).toBe(400);
    expect((await u.change(user.id, 'first111', 'second22')).statusCode).toBe(204);
    const again = await u.change(user.id, 'second22', 'first111');
    expect(again.statusCode).toBe(400);
    expect(again.json().error.message).toMatch(/cannot be identical to a previous password.* is 3\.$/);
    expect((await u.change(user.id, 'second22', 'third333')).statusCode).toBe(204);
    expect((await u.change(user.id, 'third333', 'first111')).statusCode).toBe(400);
    expect((await u.change(user.id, 'third333', 'fourth44')).statusCode).toBe(204);
    // first111 is now the 4th most recent: allowed again
    expect((await u.change(user.id, 'fourth44', 'first111')).statusCode).toBe(204);
    expect((await u.auth('hist', 'first111')).statusCode).toBe(201);
    // only the last 3 are kept
    const kept = await h.ctx.db.select().from(passwordHistory).where(eq(passwordHistory.userId, user.id));
    expect(kept).toHaveLength(3);
  });

  it('does not check the history on an admin reset, but records it', async () => {
    const user = await u.create({ name: 'reset-hist', password: 'reset111' });
    expect((await u.reset(user.id, 'reset111')).statusCode).toBe(200);
    expect((await u.reset(user.id, 'reset222')).statusCode).toBe(200);
    expect((await u.auth('reset-hist', 'reset222')).statusCode).toBe(201);
    expect((await u.change(user.id, 'reset222', 'reset111')).statusCode).toBe(400);
  });

  it('counts the current password of a user with no recorded history', async () => {
    // demo was bootstrapped directly in the database: no password_history row
    const res = await u.change(h.ids.demoUserId, DEMO_PASSWORD, DEMO_PASSWORD);
    expect(res.statusCode).toBe(400);
  });
});

describe('security compliance: change upon first use and minimum age', () => {
  let h: IdentityHarness;
  const u = usersOf(() => h);
  beforeAll(async () => {
    h = await startIdentity({ passwordPolicy: { ...OFF, minAgeDays: 1, changeOnFirstUse: true } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('expires a password an admin sets, until its owner changes it', async () => {
    const user = await u.create({ name: 'first', password: 'admin-set-1' });
    expect(Date.parse(user.password_expires_at!)).toBeLessThanOrEqual(Date.now());
    const refused = await u.auth('first', 'admin-set-1');
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.message).toMatch(/expired/);
    // the owner may change it at once, whatever the minimum age
    expect((await u.change(user.id, 'admin-set-1', 'mine-1')).statusCode).toBe(204);
    expect((await u.auth('first', 'mine-1')).statusCode).toBe(201);
    const shown = await h.call('GET', `/v3/users/${user.id}`, { token: h.adminToken });
    expect(shown.json().user.password_expires_at).toBeNull();
    // an admin reset expires it again
    expect((await u.reset(user.id, 'admin-set-2')).statusCode).toBe(200);
    expect((await u.auth('first', 'admin-set-2')).statusCode).toBe(401);
    expect((await u.change(user.id, 'admin-set-2', 'mine-2')).statusCode).toBe(204);
    expect((await u.auth('first', 'mine-2')).statusCode).toBe(201);
  });

  it('refuses a second self-service change within the minimum age', async () => {
    const user = await u.create({ name: 'aging', password: 'admin-set' });
    expect((await u.change(user.id, 'admin-set', 'mine-1')).statusCode).toBe(204);
    const soon = await u.change(user.id, 'mine-1', 'mine-2');
    expect(soon.statusCode).toBe(400);
    expect(soon.json().error.message).toMatch(/minimum password age.*used for 1 day\(s\).*in 0 day\(s\)/);
    // once the day has passed, it may change
    await h.ctx.db
      .update(users)
      .set({ passwordCreatedAt: new Date(Date.now() - 86_400_000 - 1000) })
      .where(eq(users.id, user.id));
    expect((await u.change(user.id, 'mine-1', 'mine-2')).statusCode).toBe(204);
    // an admin reset is not held back by the minimum age
    expect((await u.reset(user.id, 'admin-again')).statusCode).toBe(200);
  });

  it('honours ignore_change_password_upon_first_use and ignore_password_expiry', async () => {
    const a = await u.create({
      name: 'exempt-a',
      password: 'secret-a',
      options: { ignore_change_password_upon_first_use: true },
    });
    expect(a.password_expires_at).toBeNull();
    expect((await u.auth('exempt-a', 'secret-a')).statusCode).toBe(201);
    const b = await u.create({
      name: 'exempt-b',
      password: 'secret-b',
      options: { ignore_password_expiry: true },
    });
    expect(b.password_expires_at).toBeNull();
    expect((await u.auth('exempt-b', 'secret-b')).statusCode).toBe(201);
    // setting the option later lifts the pending change
    const c = await u.create({ name: 'exempt-c', password: 'secret-c' });
    expect((await u.auth('exempt-c', 'secret-c')).statusCode).toBe(401);
    const patched = await h.call('PATCH', `/v3/users/${c.id}`, {
      token: h.adminToken,
      body: { user: { options: { ignore_password_expiry: true } } },
    });
    expect(patched.json().user.password_expires_at).toBeNull();
    expect((await u.auth('exempt-c', 'secret-c')).statusCode).toBe(201);
  });

  it('refuses a self-service change when lock_password is set, with a 400 as Keystone', async () => {
    const user = await u.create({
      name: 'locked',
      password: 'locked-1',
      options: { lock_password: true, ignore_change_password_upon_first_use: true },
    });
    const res = await u.change(user.id, 'locked-1', 'locked-2');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/disallowing password changes/);
    expect((await u.reset(user.id, 'locked-2')).statusCode).toBe(200);
  });
});

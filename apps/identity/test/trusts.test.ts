import { eventMatches, type TokenData } from '@kumo/service-kit';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trusts } from '../src/db/schema.js';
import { DEMO_PASSWORD, type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
let projectId: string;
let trustorId: string;
let trustorToken: string;
let strangerId: string;
let strangerToken: string;
let demoId: string;
const role: Record<string, string> = {};

async function ok(res: { statusCode: number; body: string }, status: number) {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`);
  return JSON.parse(res.body || '{}');
}

async function makeUser(name: string, password: string): Promise<string> {
  const body = { user: { name, password, domain_id: 'default' } };
  return (await ok(await h.call('POST', '/v3/users', { token: h.adminToken, body }), 201)).user.id;
}

const grant = (user: string, roleId: string, method: 'PUT' | 'DELETE' = 'PUT') =>
  h.call(method, `/v3/projects/${projectId}/users/${user}/roles/${roleId}`, { token: h.adminToken });

beforeAll(async () => {
  h = await startIdentity();
  demoId = h.ids.demoUserId;
  projectId = (
    await ok(
      await h.call('POST', '/v3/projects', {
        token: h.adminToken,
        body: { project: { name: 'trusted', domain_id: 'default' } },
      }),
      201,
    )
  ).project.id;
  for (const name of ['delegated', 'kept', 'lost', 'implied']) {
    const res = await h.call('POST', '/v3/roles', { token: h.adminToken, body: { role: { name } } });
    role[name] = (await ok(res, 201)).role.id;
  }
  await ok(
    await h.call('PUT', `/v3/roles/${role.delegated}/implies/${role.implied}`, { token: h.adminToken }),
    201,
  );
  trustorId = await makeUser('trustor', 'trustor-secret');
  strangerId = await makeUser('stranger', 'stranger-secret');
  for (const r of ['delegated', 'kept', 'lost']) await ok(await grant(trustorId, role[r]!), 204);
  await ok(await grant(strangerId, role.kept!), 204);
  trustorToken = await h.login('trustor', 'trustor-secret', 'trusted');
  strangerToken = await h.login('stranger', 'stranger-secret', 'trusted');
});
afterAll(async () => {
  await h?.close();
});

const TRUSTS = '/v3/OS-TRUST/trusts';

function createTrust(body: Record<string, unknown>, token = trustorToken) {
  return h.call('POST', TRUSTS, {
    token,
    body: {
      trust: {
        trustor_user_id: trustorId,
        trustee_user_id: demoId,
        project_id: projectId,
        impersonation: true,
        roles: [{ name: 'delegated' }],
        ...body,
      },
    },
  });
}

/** A trust-scoped token for the trustee (demo), by password or with one of its tokens. */
function trustToken(trustId: string, how: 'password' | { token: string } = 'password') {
  const identity =
    how === 'password'
      ? {
          methods: ['password'],
          password: { user: { name: 'demo', domain: { id: 'default' }, password: DEMO_PASSWORD } },
        }
      : { methods: ['token'], token: { id: how.token } };
  return h.call('POST', '/v3/auth/tokens', {
    body: { auth: { identity, scope: { 'OS-TRUST:trust': { id: trustId } } } },
  });
}

const validate = (token: string) =>
  h.call('GET', '/v3/auth/tokens', { token: h.adminToken, headers: { 'x-subject-token': token } });

const names = (roles: { name: string }[]) => roles.map((r) => r.name).sort();

describe('OS-TRUST trusts', () => {
  it('creates, shows, lists and deletes a trust', async () => {
    const created = await ok(await createTrust({ expires_at: null }), 201);
    const t = created.trust;
    expect(t).toMatchObject({
      trustor_user_id: trustorId,
      trustee_user_id: demoId,
      project_id: projectId,
      impersonation: true,
      expires_at: null,
      remaining_uses: null,
      redelegation_count: 0,
      redelegated_trust_id: null,
    });
    expect(t.links.self).toMatch(new RegExp(`/v3/OS-TRUST/trusts/${t.id}$`));
    expect(t.roles).toHaveLength(1);
    expect(t.roles[0]).toMatchObject({ id: role.delegated, name: 'delegated', domain_id: null });
    expect(t.roles[0].links.self).toContain(`/v3/roles/${role.delegated}`);
    expect(t.roles_links.self).toContain(`/v3/OS-TRUST/trusts/${t.id}/roles`);

    for (const token of [trustorToken, h.demoToken, h.adminToken]) {
      const shown = await ok(await h.call('GET', `${TRUSTS}/${t.id}`, { token }), 200);
      expect(shown.trust.id).toBe(t.id);
      expect(names(shown.trust.roles)).toEqual(['delegated']);
    }
    expect((await h.call('GET', `${TRUSTS}/${t.id}`, { token: strangerToken })).statusCode).toBe(403);
    expect((await h.call('GET', `${TRUSTS}/nope`, { token: trustorToken })).statusCode).toBe(404);

    const byTrustor = await ok(
      await h.call('GET', `${TRUSTS}/?trustor_user_id=${trustorId}`, { token: trustorToken }),
      200,
    );
    expect(byTrustor.trusts.map((x: { id: string }) => x.id)).toContain(t.id);
    expect(byTrustor.trusts[0]).not.toHaveProperty('roles');
    const byTrustee = await ok(
      await h.call('GET', `${TRUSTS}?trustee_user_id=${demoId}`, { token: h.demoToken }),
      200,
    );
    expect(byTrustee.trusts.map((x: { id: string }) => x.id)).toContain(t.id);
    const all = await ok(await h.call('GET', TRUSTS, { token: h.adminToken }), 200);
    expect(all.trusts.map((x: { id: string }) => x.id)).toContain(t.id);
    // a user lists only its own trusts
    expect((await h.call('GET', TRUSTS, { token: h.demoToken })).statusCode).toBe(403);
    expect(
      (await h.call('GET', `${TRUSTS}?trustor_user_id=${trustorId}`, { token: strangerToken })).statusCode,
    ).toBe(403);
    expect(
      (await h.call('GET', `${TRUSTS}?trustee_user_id=${demoId}`, { token: trustorToken })).statusCode,
    ).toBe(403);

    // only the trustor (or an admin) deletes
    expect((await h.call('DELETE', `${TRUSTS}/${t.id}`, { token: h.demoToken })).statusCode).toBe(403);
    expect((await h.call('DELETE', `${TRUSTS}/${t.id}`, { token: strangerToken })).statusCode).toBe(403);
    expect((await h.call('DELETE', `${TRUSTS}/${t.id}`, { token: trustorToken })).statusCode).toBe(204);
    expect((await h.call('GET', `${TRUSTS}/${t.id}`, { token: trustorToken })).statusCode).toBe(404);
    expect((await h.call('DELETE', `${TRUSTS}/${t.id}`, { token: trustorToken })).statusCode).toBe(404);
    const after = await ok(
      await h.call('GET', `${TRUSTS}?trustor_user_id=${trustorId}`, { token: trustorToken }),
      200,
    );
    expect(after.trusts.map((x: { id: string }) => x.id)).not.toContain(t.id);
  });

  it('shows the delegated roles, one by one and with HEAD', async () => {
    const t = (await ok(await createTrust({ roles: [{ id: role.delegated }] }), 201)).trust;
    const roles = await ok(await h.call('GET', `${TRUSTS}/${t.id}/roles`, { token: h.demoToken }), 200);
    expect(roles.roles.map((r: { id: string }) => r.id)).toEqual([role.delegated]);
    const one = await ok(
      await h.call('GET', `${TRUSTS}/${t.id}/roles/${role.delegated}`, { token: trustorToken }),
      200,
    );
    expect(one.role).toMatchObject({ id: role.delegated, name: 'delegated' });
    const head = await h.call('HEAD', `${TRUSTS}/${t.id}/roles/${role.delegated}`, { token: trustorToken });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    for (const method of ['GET', 'HEAD'])
      expect(
        (await h.call(method, `${TRUSTS}/${t.id}/roles/${role.kept}`, { token: trustorToken })).statusCode,
      ).toBe(404);
    expect((await h.call('GET', `${TRUSTS}/${t.id}/roles`, { token: strangerToken })).statusCode).toBe(403);
  });

  it('issues a trust token that impersonates the trustor', async () => {
    const t = (await ok(await createTrust({}), 201)).trust;
    const res = await trustToken(t.id);
    const tok = (await ok(res, 201)).token;
    expect(tok.user).toMatchObject({ id: trustorId, name: 'trustor', domain: { id: 'default' } });
    expect(tok.project).toMatchObject({ id: projectId, name: 'trusted' });
    expect(names(tok.roles)).toEqual(['delegated', 'implied']);
    expect(tok['OS-TRUST:trust']).toEqual({
      id: t.id,
      impersonation: true,
      trustee_user: { id: demoId },
      trustor_user: { id: trustorId },
    });
    expect(tok.methods).toEqual(['password']);
    expect(tok.catalog).toBeDefined();

    const text = res.headers['x-subject-token'] as string;
    const shown = (await ok(await validate(text), 200)).token;
    expect(shown['OS-TRUST:trust'].id).toBe(t.id);
    expect(shown.user.id).toBe(trustorId);
    // the token works as the trustor: it reads the trust
    expect((await h.call('GET', `${TRUSTS}/${t.id}`, { token: text })).statusCode).toBe(200);

    // a token of the trustee may ask for it too; a trust token cannot be rescoped
    const viaToken = await ok(await trustToken(t.id, { token: h.demoToken }), 201);
    expect(viaToken.token['OS-TRUST:trust'].id).toBe(t.id);
    expect((await trustToken(t.id, { token: text })).statusCode).toBe(403);
    const rescope = await h.call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['token'], token: { id: text } },
          scope: { project: { id: projectId } },
        },
      },
    });
    expect(rescope.statusCode).toBe(403);
    // nor create a trust, since this one does not allow redelegation
    const again = await createTrust({}, text);
    expect(again.statusCode).toBe(403);
  });

  it('issues a trust token for the trustee without impersonation', async () => {
    const t = (await ok(await createTrust({ impersonation: false }), 201)).trust;
    const tok = (await ok(await trustToken(t.id), 201)).token;
    expect(tok.user).toMatchObject({ id: demoId, name: 'demo' });
    expect(tok.project.id).toBe(projectId);
    expect(names(tok.roles)).toEqual(['delegated', 'implied']);
    expect(tok['OS-TRUST:trust']).toMatchObject({
      impersonation: false,
      trustee_user: { id: demoId },
      trustor_user: { id: trustorId },
    });
  });

  it('refuses a trust token to anyone but the trustee, and scope mixes', async () => {
    const t = (await ok(await createTrust({}), 201)).trust;
    const res = await h.call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['token'], token: { id: strangerToken } },
          scope: { 'OS-TRUST:trust': { id: t.id } },
        },
      },
    });
    expect(res.statusCode).toBe(403);
    expect((await trustToken('no-such-trust')).statusCode).toBe(401);
    const mixed = await h.call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['token'], token: { id: h.demoToken } },
          scope: { 'OS-TRUST:trust': { id: t.id }, project: { id: projectId } },
        },
      },
    });
    expect(mixed.statusCode).toBe(400);
    const noId = await h.call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['token'], token: { id: h.demoToken } },
          scope: { 'OS-TRUST:trust': {} },
        },
      },
    });
    expect(noId.statusCode).toBe(400);
  });

  it('counts remaining uses down, atomically, to none', async () => {
    const t = (await ok(await createTrust({ remaining_uses: 3 }), 201)).trust;
    expect(t.remaining_uses).toBe(3);
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => trustToken(t.id)));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(3);
    expect(codes.filter((c) => c !== 201).every((c) => c === 401 || c === 403)).toBe(true);
    expect((await trustToken(t.id)).statusCode).toBe(401);
    // a used-up trust is gone, as in Keystone
    expect((await h.call('GET', `${TRUSTS}/${t.id}`, { token: trustorToken })).statusCode).toBe(404);
    const [row] = await h.ctx.db.select().from(trusts).where(eq(trusts.id, t.id));
    expect(row!.remainingUses).toBe(0);
  });

  it('caps the token at the trust expiry and refuses an expired trust', async () => {
    const expires = new Date(Date.now() + 600_000);
    expires.setUTCMilliseconds(0);
    const asked = `${expires.toISOString().slice(0, 19)}Z`;
    const t = (await ok(await createTrust({ expires_at: asked }), 201)).trust;
    expect(t.expires_at).toBe(`${asked.slice(0, 19)}.000000Z`);
    const tok = (await ok(await trustToken(t.id), 201)).token;
    expect(Date.parse(tok.expires_at)).toBe(expires.getTime());

    await h.ctx.db
      .update(trusts)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(trusts.id, t.id));
    expect((await trustToken(t.id)).statusCode).toBe(401);
    expect((await h.call('GET', `${TRUSTS}/${t.id}`, { token: trustorToken })).statusCode).toBe(404);
  });

  it('revokes the tokens of a deleted trust', async () => {
    const t = (await ok(await createTrust({}), 201)).trust;
    const res = await trustToken(t.id);
    await ok(res, 201);
    const text = res.headers['x-subject-token'] as string;
    expect((await validate(text)).statusCode).toBe(200);
    expect((await h.call('DELETE', `${TRUSTS}/${t.id}`, { token: trustorToken })).statusCode).toBe(204);
    expect((await validate(text)).statusCode).toBe(404);
    expect((await h.call('GET', '/v3/auth/projects', { token: text })).statusCode).toBe(401);
    expect((await trustToken(t.id)).statusCode).toBe(401);
    // the trustor's own token lives on
    expect((await validate(trustorToken)).statusCode).toBe(200);
  });

  it('revokes trust tokens when the trustor loses a delegated role', async () => {
    const t = (await ok(await createTrust({ impersonation: false, roles: [{ name: 'lost' }] }), 201)).trust;
    const res = await trustToken(t.id);
    const tok = (await ok(res, 201)).token;
    expect(tok.user.id).toBe(demoId);
    const text = res.headers['x-subject-token'] as string;
    expect((await grant(trustorId, role.lost!, 'DELETE')).statusCode).toBe(204);
    expect((await validate(text)).statusCode).toBe(404);
    await new Promise((r) => setTimeout(r, 5));
    expect((await trustToken(t.id)).statusCode).toBe(403);
    // the trustee's own tokens on other projects stay valid
    expect((await validate(h.demoToken)).statusCode).toBe(200);
    trustorToken = await h.login('trustor', 'trustor-secret', 'trusted');
  });

  it('rejects bad input with 400', async () => {
    const bad: Record<string, unknown>[] = [
      { impersonation: undefined },
      { impersonation: 'yes' },
      { trustee_user_id: 42 },
      { trustee_user_id: 'x'.repeat(10_000) },
      { project_id: 'a\u0000b' },
      { roles: [{ id: role.delegated, name: 'delegated' }] },
      { roles: [{}] },
      { roles: [{ id: 'bad id!' }] },
      { roles: 'delegated' },
      { remaining_uses: 0 },
      { remaining_uses: 1.5 },
      { remaining_uses: 10_000_000_000 },
      { redelegation_count: -1 },
      { expires_at: 'bad.123Z' },
      { expires_at: '2001-01-01T00:00:00Z' },
      { allow_redelegation: true, remaining_uses: 2 },
    ];
    for (const body of bad) {
      const res = await createTrust(body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
    const extraTop = await h.call('POST', TRUSTS, { token: trustorToken, body: { trust: {}, other: 1 } });
    expect(extraTop.statusCode).toBe(400);
    expect((await h.call('POST', TRUSTS, { token: trustorToken, body: [] })).statusCode).toBe(400);
  });

  it('refuses trusts for someone else or beyond the trustor roles', async () => {
    // the caller must be the trustor
    expect((await createTrust({}, h.demoToken)).statusCode).toBe(403);
    expect((await createTrust({}, h.adminToken)).statusCode).toBe(403);
    // a project needs roles
    expect((await createTrust({ roles: [] })).statusCode).toBe(403);
    // unknown trustee, project, role; a role the trustor does not hold
    expect((await createTrust({ trustee_user_id: 'nobody' })).statusCode).toBe(404);
    expect((await createTrust({ project_id: 'nowhere' })).statusCode).toBe(404);
    expect((await createTrust({ roles: [{ name: 'no-such-role' }] })).statusCode).toBe(404);
    expect((await createTrust({ roles: [{ id: 'no-such-role' }] })).statusCode).toBe(404);
    expect((await createTrust({ roles: [{ name: 'admin' }] })).statusCode).toBe(404);
    // no project: no role can be delegated
    expect((await createTrust({ project_id: null })).statusCode).toBe(404);
    // an unauthenticated caller
    const anon = await h.call('POST', TRUSTS, { body: { trust: {} } });
    expect(anon.statusCode).toBe(401);
  });

  it('keeps unknown attributes, as Keystone', async () => {
    const t = (await ok(await createTrust({ purpose: 'backup' }), 201)).trust;
    expect(t.purpose).toBe('backup');
    const shown = await ok(await h.call('GET', `${TRUSTS}/${t.id}`, { token: trustorToken }), 200);
    expect(shown.trust.purpose).toBe('backup');
  });

  it('redelegates within the limits of the parent trust', async () => {
    const soon = new Date(Date.now() + 600_000).toISOString();
    const parent = (await ok(await createTrust({ allow_redelegation: true, expires_at: soon }), 201)).trust;
    expect(parent.redelegation_count).toBe(3);
    const res = await trustToken(parent.id);
    await ok(res, 201);
    const text = res.headers['x-subject-token'] as string;

    // wider than the parent: a role it does not delegate, a longer life, a use limit
    expect((await createTrust({ roles: [{ name: 'kept' }] }, text)).statusCode).toBe(403);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    expect((await createTrust({ expires_at: later }, text)).statusCode).toBe(403);
    expect((await createTrust({ allow_redelegation: true, redelegation_count: 1 }, text)).statusCode).toBe(
      403,
    );

    const child = (
      await ok(await createTrust({ allow_redelegation: true, trustee_user_id: strangerId }, text), 201)
    ).trust;
    expect(child).toMatchObject({
      redelegated_trust_id: parent.id,
      redelegation_count: 2,
      expires_at: parent.expires_at,
    });
    // deleting the parent deletes the child
    expect((await h.call('DELETE', `${TRUSTS}/${parent.id}`, { token: trustorToken })).statusCode).toBe(204);
    expect((await h.call('GET', `${TRUSTS}/${child.id}`, { token: trustorToken })).statusCode).toBe(404);
  });

  it('refuses application credential tokens on trusts', async () => {
    const ac = await ok(
      await h.call('POST', `/v3/users/${demoId}/application_credentials`, {
        token: h.demoToken,
        body: { application_credential: { name: 'trusts-ac' } },
      }),
      201,
    );
    const res = await h.call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['application_credential'],
            application_credential: {
              id: ac.application_credential.id,
              secret: ac.application_credential.secret,
            },
          },
        },
      },
    });
    const acToken = res.headers['x-subject-token'] as string;
    await ok(res, 201);
    const list = await h.call('GET', `${TRUSTS}?trustee_user_id=${demoId}`, { token: acToken });
    expect(list.statusCode).toBe(403);
  });

  it('answers 404 to the token method with a revoked token, as Keystone', async () => {
    const token = await h.login('demo', DEMO_PASSWORD, 'demo');
    const del = await h.call('DELETE', '/v3/auth/tokens', {
      token: h.adminToken,
      headers: { 'x-subject-token': token },
    });
    expect(del.statusCode).toBe(204);
    expect((await trustToken('whatever', { token })).statusCode).toBe(404);
  });

  it('ends redelegation at depth zero', async () => {
    const parent = (await ok(await createTrust({ allow_redelegation: true, redelegation_count: 1 }), 201))
      .trust;
    const res = await trustToken(parent.id);
    await ok(res, 201);
    const child = (
      await ok(await createTrust({ allow_redelegation: true }, res.headers['x-subject-token'] as string), 201)
    ).trust;
    expect(child.redelegation_count).toBe(0);
    const res2 = await trustToken(child.id);
    await ok(res2, 201);
    expect((await createTrust({}, res2.headers['x-subject-token'] as string)).statusCode).toBe(403);
  });
});

describe('revocation events and trust tokens', () => {
  const token: TokenData = {
    methods: ['password'],
    user: { id: 'trustee', name: 'trustee', domain: { id: 'default', name: 'Default' } },
    project: { id: 'p', name: 'p', domain: { id: 'default', name: 'Default' } },
    roles: [{ id: 'r', name: 'r' }],
    auditIds: ['a'],
    issuedAt: 1000,
    expiresAt: 5000,
    trust: { id: 't1', impersonation: false, trustorUserId: 'trustor', trusteeUserId: 'trustee' },
  };

  it('matches by trust id, and by user on the trustor or the trustee', () => {
    expect(eventMatches({ trustId: 't1', issuedBefore: 2000 }, token)).toBe(true);
    expect(eventMatches({ trustId: 't2', issuedBefore: 2000 }, token)).toBe(false);
    expect(eventMatches({ userId: 'trustor', projectId: 'p', issuedBefore: 2000 }, token)).toBe(true);
    expect(eventMatches({ userId: 'trustee', issuedBefore: 2000 }, token)).toBe(true);
    expect(eventMatches({ userId: 'other', issuedBefore: 2000 }, token)).toBe(false);
    expect(eventMatches({ userId: 'trustor', projectId: 'q', issuedBefore: 2000 }, token)).toBe(false);
    const { trust: _, ...plain } = token;
    expect(eventMatches({ trustId: 't1', issuedBefore: 2000 }, plain)).toBe(false);
    expect(eventMatches({ userId: 'trustor', issuedBefore: 2000 }, plain)).toBe(false);
  });
});

describe('trusts follow their users and projects', () => {
  it('disappear when the trustee is deleted or the project is deleted', async () => {
    const trusteeId = await makeUser('short-lived', 'short-lived-secret');
    const t1 = (await ok(await createTrust({ trustee_user_id: trusteeId }), 201)).trust.id;
    await ok(await h.call('DELETE', `/v3/users/${trusteeId}`, { token: h.adminToken }), 204);
    expect((await h.call('GET', `${TRUSTS}/${t1}`, { token: h.adminToken })).statusCode).toBe(404);

    const p = (
      await ok(
        await h.call('POST', '/v3/projects', { token: h.adminToken, body: { project: { name: 'gone-p' } } }),
        201,
      )
    ).project.id;
    await ok(
      await h.call('PUT', `/v3/projects/${p}/users/${trustorId}/roles/${role.delegated}`, {
        token: h.adminToken,
      }),
      204,
    );
    const tok = await h.login('trustor', 'trustor-secret', 'gone-p');
    const t2 = (await ok(await createTrust({ project_id: p }, tok), 201)).trust.id;
    await ok(await h.call('DELETE', `/v3/projects/${p}`, { token: h.adminToken }), 204);
    expect((await h.call('GET', `${TRUSTS}/${t2}`, { token: h.adminToken })).statusCode).toBe(404);
  });
});

describe('what a trust token may do', () => {
  it('lets the trustee validate its impersonating token, but not mint an application credential', async () => {
    const t = (await ok(await createTrust({}), 201)).trust;
    const res = await trustToken(t.id);
    const text = res.headers['x-subject-token'] as string;
    const check = await h.call('GET', '/v3/auth/tokens', {
      token: h.demoToken,
      headers: { 'x-subject-token': text },
    });
    expect(check.statusCode).toBe(200);
    const ac = await h.call('POST', `/v3/users/${trustorId}/application_credentials`, {
      token: text,
      body: { application_credential: { name: 'from-trust' } },
    });
    expect(ac.statusCode).toBe(403);
  });
});

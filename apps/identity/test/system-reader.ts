import type { IdentityHarness } from './harness.js';

/** A new user holding `reader` on the system, and a system-scoped token for it. */
export async function systemReaderToken(h: IdentityHarness, name: string): Promise<string> {
  const password = `${name}-secret`;
  const user = await h.call('POST', '/v3/users', {
    token: h.adminToken,
    body: { user: { name, password, domain_id: 'default' } },
  });
  if (user.statusCode !== 201) throw new Error(`create ${name}: ${user.statusCode} ${user.body}`);
  const roles = await h.call('GET', '/v3/roles?name=reader', { token: h.adminToken });
  const readerId = roles.json().roles[0].id as string;
  const grant = await h.call('PUT', `/v3/system/users/${user.json().user.id}/roles/${readerId}`, {
    token: h.adminToken,
  });
  if (grant.statusCode !== 204) throw new Error(`grant reader: ${grant.statusCode} ${grant.body}`);
  const auth = await h.call('POST', '/v3/auth/tokens', {
    body: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name, domain: { id: 'default' }, password } },
        },
        scope: { system: { all: true } },
      },
    },
  });
  if (auth.statusCode !== 201) throw new Error(`login ${name}: ${auth.statusCode} ${auth.body}`);
  return auth.headers['x-subject-token'] as string;
}

import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainConfigs } from '../src/db/schema.js';
import { type IdentityHarness, startIdentity } from './harness.js';
import { systemReaderToken } from './system-reader.js';

let h: IdentityHarness;
let readerToken: string;
beforeAll(async () => {
  h = await startIdentity();
  readerToken = await systemReaderToken(h, 'config-reader');
});
afterAll(async () => {
  await h?.close();
});

type Json = Record<string, unknown>;
const admin = (method: string, url: string, body?: unknown) =>
  h.call(method, url, { token: h.adminToken, body });

let seq = 0;
async function newDomain(): Promise<string> {
  const res = await admin('POST', '/v3/domains', { domain: { name: `cfg-domain-${++seq}` } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().domain.id;
}

const custom = {
  identity: { driver: 'ldap' },
  ldap: { url: 'ldap://myldap.com:389/', user_tree_dn: 'ou=Users,dc=my_new_root,dc=org' },
};

describe('domain configuration: whole config', () => {
  it('creates (201), shows, replaces (200), merges and deletes (Tempest create/update/delete)', async () => {
    const d = await newDomain();
    const url = `/v3/domains/${d}/config`;
    expect((await admin('GET', url)).statusCode).toBe(404);

    const put = await admin('PUT', url, { config: custom });
    expect(put.statusCode, put.body).toBe(201);
    expect(put.json().config).toEqual(custom);
    expect((await admin('GET', url)).json().config).toEqual(custom);

    // as Keystone: creating again replaces the configuration and answers 200
    const again = await admin('PUT', url, { config: { identity: { driver: 'sql' } } });
    expect(again.statusCode).toBe(200);
    expect(again.json().config).toEqual({ identity: { driver: 'sql' } });

    const merged = await admin('PATCH', url, {
      config: { identity: { list_limit: 5 }, ldap: { url: 'ldap://other/' } },
    });
    expect(merged.statusCode).toBe(200);
    expect(merged.json().config).toEqual({
      identity: { driver: 'sql', list_limit: 5 },
      ldap: { url: 'ldap://other/' },
    });
    expect((await admin('GET', url)).json().config).toEqual(merged.json().config);

    expect((await admin('DELETE', url)).statusCode).toBe(204);
    expect((await admin('GET', url)).statusCode).toBe(404);
    // deleting a whole configuration that is not there is not an error (as Keystone)
    expect((await admin('DELETE', url)).statusCode).toBe(204);
  });

  it('stores the ldap password but never returns it', async () => {
    const d = await newDomain();
    const url = `/v3/domains/${d}/config`;
    const put = await admin('PUT', url, { config: { ldap: { url: 'ldap://x/', password: 's3cret' } } });
    expect(put.statusCode).toBe(201);
    expect(put.json().config).toEqual({ ldap: { url: 'ldap://x/' } });
    expect(put.body).not.toContain('s3cret');
    expect((await admin('GET', `${url}/ldap`)).json().config).toEqual({ ldap: { url: 'ldap://x/' } });
    expect((await admin('GET', `${url}/ldap/password`)).statusCode).toBe(404);
    const patched = await admin('PATCH', `${url}/ldap/password`, { config: { password: 'n3w' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.body).not.toContain('n3w');
    const [row] = await h.ctx.db
      .select()
      .from(domainConfigs)
      .where(and(eq(domainConfigs.domainId, d), eq(domainConfigs.option, 'password')));
    expect(row).toMatchObject({ group: 'ldap', value: 'n3w', sensitive: true });
    expect((await admin('DELETE', `${url}/ldap/password`)).statusCode).toBe(204);
    expect((await admin('DELETE', `${url}/ldap/password`)).statusCode).toBe(404);
  });

  it('keeps JSON values as sent, null included', async () => {
    const d = await newDomain();
    const config = {
      identity: { list_limit: null },
      ldap: { user_attribute_ignore: ['a', 'b'], use_tls: true, pool_retry_delay: 0.5 },
    };
    const put = await admin('PUT', `/v3/domains/${d}/config`, { config });
    expect(put.statusCode, put.body).toBe(201);
    expect(put.json().config).toEqual(config);
  });

  it('answers 404 for an unknown domain', async () => {
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PUT', '', { config: custom }],
      ['PATCH', '', { config: custom }],
      ['DELETE', '', undefined],
      ['GET', '/ldap', undefined],
      ['PATCH', '/ldap', { config: { ldap: { url: 'u' } } }],
      ['DELETE', '/ldap/url', undefined],
    ] as const) {
      const res = await admin(method, `/v3/domains/nope/config${suffix}`, body);
      expect(res.statusCode, `${method} ${suffix}`).toBe(404);
      expect(res.json().error.code).toBe(404);
    }
    expect((await admin('GET', '/v3/domains/a%00b/config')).statusCode).toBe(404);
  });
});

describe('domain configuration: groups and options', () => {
  it('shows, updates and deletes groups and options (Tempest groups_and_opts)', async () => {
    const d = await newDomain();
    const url = `/v3/domains/${d}/config`;
    await admin('PUT', url, { config: custom });

    for (const [group, opts] of Object.entries(custom)) {
      const g = await admin('GET', `${url}/${group}`);
      expect(g.statusCode).toBe(200);
      expect(g.json().config).toEqual({ [group]: opts });
      for (const [option, value] of Object.entries(opts)) {
        const o = await admin('GET', `${url}/${group}/${option}`);
        expect(o.statusCode).toBe(200);
        expect(o.json().config).toEqual({ [option]: value });
      }
    }

    const grp = await admin('PATCH', `${url}/identity`, {
      config: { identity: { driver: 'd2', list_limit: 42 } },
    });
    expect(grp.statusCode).toBe(200);
    // the answer is the whole configuration
    expect(grp.json().config).toEqual({ ...custom, identity: { driver: 'd2', list_limit: 42 } });

    const opt = await admin('PATCH', `${url}/identity/driver`, { config: { driver: 'd3' } });
    expect(opt.statusCode).toBe(200);
    expect(opt.json().config.identity).toEqual({ driver: 'd3', list_limit: 42 });

    expect((await admin('DELETE', `${url}/identity/driver`)).statusCode).toBe(204);
    expect((await admin('GET', `${url}/identity/driver`)).statusCode).toBe(404);
    expect((await admin('DELETE', `${url}/identity/driver`)).statusCode).toBe(404);
    expect((await admin('DELETE', `${url}/identity`)).statusCode).toBe(204);
    expect((await admin('GET', `${url}/identity`)).statusCode).toBe(404);
    expect((await admin('DELETE', `${url}/identity`)).statusCode).toBe(404);
    expect((await admin('GET', url)).json().config).toEqual({ ldap: custom.ldap });
  });

  it('updates a group or option only when it exists (404) and only that one is sent (403)', async () => {
    const d = await newDomain();
    const url = `/v3/domains/${d}/config`;
    await admin('PUT', url, { config: { ldap: { url: 'ldap://a/' } } });
    expect(
      (await admin('PATCH', `${url}/identity`, { config: { identity: { driver: 'x' } } })).statusCode,
    ).toBe(404);
    expect((await admin('PATCH', `${url}/ldap/user`, { config: { user: 'cn=u' } })).statusCode).toBe(404);
    for (const [suffix, config] of [
      ['/ldap', { identity: { driver: 'x' } }],
      ['/ldap', { ldap: { url: 'u' }, identity: { driver: 'x' } }],
      ['/ldap/url', { url: 'u', user: 'v' }],
      ['/ldap/url', { user: 'v' }],
      ['/ldap/url', {}],
    ] as const) {
      const res = await admin('PATCH', `${url}${suffix}`, { config });
      expect(res.statusCode, `${suffix} ${JSON.stringify(config)}`).toBe(403);
    }
    expect((await admin('GET', url)).json().config).toEqual({ ldap: { url: 'ldap://a/' } });
  });
});

describe('domain configuration: validation', () => {
  it('answers 403 for unsupported groups and options and for empty configs (as Keystone)', async () => {
    const d = await newDomain();
    const url = `/v3/domains/${d}/config`;
    for (const config of [
      {},
      undefined,
      { nova: { foo: 'x' } },
      { ldap: { not_an_option: 'x' } },
      { identity: {} },
      { identity: 'ldap' },
      { ldap: { randomize_urls: true } },
      { __proto__x: { a: 1 } },
    ]) {
      const res = await admin('PUT', url, config === undefined ? {} : { config });
      expect(res.statusCode, JSON.stringify(config)).toBe(403);
      expect(res.json().error.message).toMatch(/^Invalid domain specific configuration/);
    }
    await admin('PUT', url, { config: custom });
    expect((await admin('GET', `${url}/nova`)).statusCode).toBe(403);
    expect((await admin('GET', `${url}/ldap/bogus`)).statusCode).toBe(403);
    expect((await admin('DELETE', `${url}/nova`)).statusCode).toBe(403);
    expect((await admin('PATCH', url, { config: { nova: { a: 1 } } })).statusCode).toBe(403);
    expect((await admin('GET', url)).json().config).toEqual(custom);
  });

  it('answers 400 for values of the wrong type or size and for a body that is not an object', async () => {
    const d = await newDomain();
    const url = `/v3/domains/${d}/config`;
    for (const body of [
      { config: 'x' },
      { config: [] },
      { config: { ldap: { url: 'x'.repeat(10_000) } } },
      { config: { ldap: { url: 5 } } },
      { config: { ldap: { url: { a: 1 } } } },
      { config: { ldap: { url: 'nul\u0000' } } },
      { config: { identity: { list_limit: 'many' } } },
      { config: { identity: { list_limit: 1.5 } } },
      { config: { identity: { list_limit: 2 ** 40 } } },
      { config: { ldap: { use_tls: 'maybe' } } },
      { config: { ldap: { user_attribute_ignore: [1] } } },
      { config: { ldap: { user_attribute_ignore: Array(101).fill('a') } } },
      { config: { ldap: { password: 'p'.repeat(10_000) } } },
      [],
    ]) {
      const res = await admin('PUT', url, body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
    expect((await admin('GET', url)).statusCode).toBe(404);
    // oslo.config spellings of numbers and booleans are accepted
    const ok = await admin('PUT', url, {
      config: { identity: { list_limit: '10' }, ldap: { use_tls: 'True' } },
    });
    expect(ok.statusCode).toBe(201);
    const patch = await admin('PATCH', `${url}/identity/list_limit`, {
      config: { list_limit: 'x'.repeat(10_000) },
    });
    expect(patch.statusCode).toBe(400);
  });
});

describe('domain configuration: defaults and security compliance', () => {
  it('shows the defaults of every group, of a group and of an option (Tempest show_default)', async () => {
    const all = await admin('GET', '/v3/domains/config/default');
    expect(all.statusCode).toBe(200);
    const config = all.json().config as Record<string, Json>;
    expect(Object.keys(config).sort()).toEqual(['identity', 'ldap']);
    expect(config.identity).toEqual({ driver: 'sql', list_limit: null });
    expect(config.ldap).toMatchObject({ url: 'ldap://localhost', user_tree_dn: null, pool_size: 10 });
    expect(config.ldap).not.toHaveProperty('password');

    const ldap = await admin('GET', '/v3/domains/config/ldap/default');
    expect(ldap.json().config).toEqual({ ldap: config.ldap });
    for (const option of Object.keys(config.ldap!)) {
      const o = await admin('GET', `/v3/domains/config/ldap/${option}/default`);
      expect(o.statusCode, option).toBe(200);
      expect(o.json().config).toEqual({ [option]: config.ldap![option] });
    }
    expect((await admin('GET', '/v3/domains/config/identity/list_limit/default')).json().config).toEqual({
      list_limit: null,
    });
    expect((await admin('GET', '/v3/domains/config/nova/default')).statusCode).toBe(403);
    expect((await admin('GET', '/v3/domains/config/ldap/bogus/default')).statusCode).toBe(403);
    expect((await admin('GET', '/v3/domains/config/ldap/password/default')).statusCode).toBe(403);
  });

  it('publishes the (empty) password rules of the default domain to any user', async () => {
    const res = await h.call('GET', '/v3/domains/default/config/security_compliance', { token: h.demoToken });
    expect(res.statusCode).toBe(200);
    expect(res.json().config).toEqual({
      security_compliance: { password_regex: null, password_regex_description: null },
    });
    const opt = await h.call('GET', '/v3/domains/default/config/security_compliance/password_regex', {
      token: h.demoToken,
    });
    expect(opt.json().config).toEqual({ password_regex: null });
    const d = await newDomain();
    expect((await admin('GET', `/v3/domains/${d}/config/security_compliance`)).statusCode).toBe(403);
    expect((await admin('GET', '/v3/domains/default/config/security_compliance/lockout')).statusCode).toBe(
      403,
    );
  });
});

describe('domain configuration: policy', () => {
  it('lets a system reader read, and refuses a project member (403)', async () => {
    const d = await newDomain();
    const url = `/v3/domains/${d}/config`;
    await admin('PUT', url, { config: custom });
    for (const u of [url, `${url}/ldap`, `${url}/ldap/url`, '/v3/domains/config/default']) {
      expect((await h.call('GET', u, { token: readerToken })).statusCode, u).toBe(200);
      expect((await h.call('GET', u, { token: h.demoToken })).statusCode, u).toBe(403);
    }
    for (const token of [readerToken, h.demoToken]) {
      for (const [method, u, body] of [
        ['PUT', url, { config: custom }],
        ['PATCH', url, { config: custom }],
        ['PATCH', `${url}/ldap/url`, { config: { url: 'u' } }],
        ['DELETE', url, undefined],
        ['DELETE', `${url}/ldap`, undefined],
      ] as const) {
        expect((await h.call(method, u, { token, body })).statusCode, `${method} ${u}`).toBe(403);
      }
    }
    expect((await admin('GET', url)).json().config).toEqual(custom);
  });

  it('disappears with its domain', async () => {
    const d = await newDomain();
    await admin('PUT', `/v3/domains/${d}/config`, { config: custom });
    await admin('PATCH', `/v3/domains/${d}`, { domain: { enabled: false } });
    expect((await admin('DELETE', `/v3/domains/${d}`)).statusCode).toBe(204);
    const rows = await h.ctx.db.select().from(domainConfigs).where(eq(domainConfigs.domainId, d));
    expect(rows).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentity } from './harness.js';
import { systemReaderToken } from './system-reader.js';

let h: IdentityHarness;
let readerToken: string;
beforeAll(async () => {
  h = await startIdentity();
  readerToken = await systemReaderToken(h, 'policy-reader');
});
afterAll(async () => {
  await h?.close();
});

type Json = Record<string, unknown>;

async function createPolicy(policy: Json): Promise<Json> {
  const res = await h.call('POST', '/v3/policies', { token: h.adminToken, body: { policy } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().policy;
}

describe('policies: CRUD (Tempest test_create_update_delete_policy, test_list_policies)', () => {
  it('creates, shows, updates and deletes a policy, keeping extra attributes', async () => {
    const p = await createPolicy({ type: 'application/json', blob: '{"a": "rule:x"}', note: 'n' });
    expect(p.id).toMatch(/^[0-9a-f]{32}$/);
    expect(p).toMatchObject({ type: 'application/json', blob: '{"a": "rule:x"}', note: 'n' });
    expect((p.links as Json).self).toMatch(new RegExp(`/v3/policies/${p.id}$`));
    const url = `/v3/policies/${p.id}`;

    const upd = await h.call('PATCH', url, { token: h.adminToken, body: { policy: { type: 'text/yaml' } } });
    expect(upd.statusCode).toBe(200);
    expect(upd.json().policy).toMatchObject({ id: p.id, type: 'text/yaml', blob: p.blob, note: 'n' });

    const got = await h.call('GET', url, { token: h.adminToken });
    expect(got.statusCode).toBe(200);
    expect(got.json().policy).toEqual(upd.json().policy);

    expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(204);
    expect((await h.call('GET', url, { token: h.adminToken })).statusCode).toBe(404);
    expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(404);
    expect(
      (await h.call('PATCH', url, { token: h.adminToken, body: { policy: { type: 'x' } } })).statusCode,
    ).toBe(404);
  });

  it('ignores an id in the body and lists with a type filter', async () => {
    const a = await createPolicy({ id: 'mine', type: 'filter-a', blob: 'A' });
    expect(a.id).not.toBe('mine');
    const b = await createPolicy({ type: 'filter-b', blob: 'B' });
    const all = await h.call('GET', '/v3/policies', { token: h.adminToken });
    expect(all.statusCode).toBe(200);
    const ids = all.json().policies.map((p: Json) => p.id);
    expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(all.json().links.self).toMatch(/\/v3\/policies$/);
    const only = await h.call('GET', '/v3/policies?type=filter-b', { token: h.adminToken });
    expect(only.json().policies.map((p: Json) => p.id)).toEqual([b.id]);
  });

  it('rejects bad input with 400', async () => {
    const bad: unknown[] = [
      {},
      { policy: { blob: 'x' } },
      { policy: { type: 'x' } },
      { policy: { type: 1, blob: 'x' } },
      { policy: { type: 'x', blob: { a: 1 } } },
      { policy: { type: 'x'.repeat(10_000), blob: 'x' } },
      { policy: { type: 'x', blob: 'x'.repeat(70_000) } },
      { policy: { type: 'x', blob: 'nul\u0000' } },
      { policy: 'x' },
      [],
    ];
    for (const body of bad) {
      const res = await h.call('POST', '/v3/policies', { token: h.adminToken, body });
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
    const p = await createPolicy({ type: 't', blob: 'b' });
    for (const body of [
      { policy: {} },
      { policy: { blob: 5 } },
      { policy: { type: 'y'.repeat(10_000) } },
      { policy: { id: 'other' } },
    ]) {
      const res = await h.call('PATCH', `/v3/policies/${p.id}`, { token: h.adminToken, body });
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect((await h.call('GET', '/v3/policies/a%00b', { token: h.adminToken })).statusCode).toBe(404);
  });

  it('lets a system reader read, and refuses a project member (403) and anonymous callers (401)', async () => {
    const p = await createPolicy({ type: 't', blob: 'b' });
    const url = `/v3/policies/${p.id}`;
    expect((await h.call('GET', '/v3/policies', { token: readerToken })).statusCode).toBe(200);
    expect((await h.call('GET', url, { token: readerToken })).statusCode).toBe(200);
    const write = { policy: { type: 't', blob: 'b' } };
    expect((await h.call('POST', '/v3/policies', { token: readerToken, body: write })).statusCode).toBe(403);
    expect((await h.call('DELETE', url, { token: readerToken })).statusCode).toBe(403);

    for (const [method, u, body] of [
      ['GET', '/v3/policies', undefined],
      ['GET', url, undefined],
      ['POST', '/v3/policies', write],
      ['PATCH', url, { policy: { type: 'z' } }],
      ['DELETE', url, undefined],
    ] as const) {
      expect((await h.call(method, u, { token: h.demoToken, body })).statusCode, `${method} ${u}`).toBe(403);
    }
    expect((await h.call('GET', '/v3/policies')).statusCode).toBe(401);
    expect((await h.call('GET', url, { token: h.adminToken })).json().policy.type).toBe('t');
  });
});

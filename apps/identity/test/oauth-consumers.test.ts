import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauthConsumers } from '../src/db/schema.js';
import { verifyPassword } from '../src/domain/passwords.js';
import { type IdentityHarness, startIdentity } from './harness.js';
import { systemReaderToken } from './system-reader.js';

let h: IdentityHarness;
let readerToken: string;
beforeAll(async () => {
  h = await startIdentity();
  readerToken = await systemReaderToken(h, 'consumer-reader');
});
afterAll(async () => {
  await h?.close();
});

type Json = Record<string, unknown>;
const base = '/v3/OS-OAUTH1/consumers';

async function createConsumer(consumer: Json = {}): Promise<Json> {
  const res = await h.call('POST', base, { token: h.adminToken, body: { consumer } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().consumer;
}

describe('OAuth1 consumers: CRUD (Tempest test_oauth_consumers)', () => {
  it('creates a consumer, returning its secret once and storing only a hash', async () => {
    const c = await createConsumer({ description: 'my app', secret: 'chosen', id: 'chosen', extra_attr: 1 });
    expect(c.id).toMatch(/^[0-9a-f]{32}$/);
    expect(c).toMatchObject({ description: 'my app', extra_attr: 1 });
    expect(c.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(c.secret).not.toBe('chosen');
    expect((c.links as Json).self).toMatch(new RegExp(`${base}/${c.id}$`));

    const [row] = await h.ctx.db
      .select()
      .from(oauthConsumers)
      .where(eq(oauthConsumers.id, String(c.id)));
    expect(row!.secretHash).not.toContain(String(c.secret));
    expect(await verifyPassword(String(c.secret), row!.secretHash)).toBe(true);

    const got = await h.call('GET', `${base}/${c.id}`, { token: h.adminToken });
    expect(got.statusCode).toBe(200);
    const shown = got.json().consumer;
    expect(shown).not.toHaveProperty('secret');
    const { secret: _secret, ...rest } = c;
    expect(shown).toEqual(rest);
  });

  it('creates a consumer without a description, and from an empty body object', async () => {
    expect(await createConsumer()).toMatchObject({ description: null });
    const res = await h.call('POST', base, { token: h.adminToken, body: {} });
    expect(res.statusCode).toBe(201);
    expect(res.json().consumer.description).toBeNull();
  });

  it('updates, lists and deletes', async () => {
    const a = await createConsumer({ description: 'a' });
    const b = await createConsumer({ description: 'b' });
    const url = `${base}/${a.id}`;
    const upd = await h.call('PATCH', url, {
      token: h.adminToken,
      body: { consumer: { description: 'a2' } },
    });
    expect(upd.statusCode).toBe(200);
    expect(upd.json().consumer).toMatchObject({ id: a.id, description: 'a2' });
    expect(upd.json().consumer).not.toHaveProperty('secret');
    expect((await h.call('GET', url, { token: h.adminToken })).json().consumer.description).toBe('a2');
    const cleared = await h.call('PATCH', url, {
      token: h.adminToken,
      body: { consumer: { description: null } },
    });
    expect(cleared.json().consumer.description).toBeNull();

    const list = await h.call('GET', base, { token: h.adminToken });
    expect(list.statusCode).toBe(200);
    const consumers = list.json().consumers as Json[];
    expect(consumers.map((c) => c.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(consumers.every((c) => !('secret' in c))).toBe(true);

    expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(204);
    expect((await h.call('GET', url, { token: h.adminToken })).statusCode).toBe(404);
    expect((await h.call('DELETE', url, { token: h.adminToken })).statusCode).toBe(404);
    const gone = await h.call('PATCH', url, {
      token: h.adminToken,
      body: { consumer: { description: 'x' } },
    });
    expect(gone.statusCode).toBe(404);
  });

  it('rejects bad input with 400', async () => {
    for (const body of [
      { consumer: { description: 5 } },
      { consumer: { description: 'x'.repeat(70_000) } },
      { consumer: { description: 'nul\u0000' } },
      { consumer: 'x' },
      [],
    ]) {
      const res = await h.call('POST', base, { token: h.adminToken, body });
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
    const c = await createConsumer({ description: 'd' });
    for (const body of [
      {},
      { consumer: {} },
      { consumer: { secret: 'new' } },
      { consumer: { id: 'other' } },
      { consumer: { description: ['x'] } },
      { consumer: { description: 'y'.repeat(70_000) } },
    ]) {
      const res = await h.call('PATCH', `${base}/${c.id}`, { token: h.adminToken, body });
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect((await h.call('GET', `${base}/a%00b`, { token: h.adminToken })).statusCode).toBe(404);
  });

  it('lets a system reader read, and refuses a project member (403)', async () => {
    const c = await createConsumer({ description: 'd' });
    const url = `${base}/${c.id}`;
    expect((await h.call('GET', base, { token: readerToken })).statusCode).toBe(200);
    expect((await h.call('GET', url, { token: readerToken })).statusCode).toBe(200);
    expect((await h.call('POST', base, { token: readerToken, body: { consumer: {} } })).statusCode).toBe(403);
    expect((await h.call('DELETE', url, { token: readerToken })).statusCode).toBe(403);
    for (const [method, u, body] of [
      ['GET', base, undefined],
      ['GET', url, undefined],
      ['POST', base, { consumer: {} }],
      ['PATCH', url, { consumer: { description: 'z' } }],
      ['DELETE', url, undefined],
    ] as const) {
      expect((await h.call(method, u, { token: h.demoToken, body })).statusCode, `${method} ${u}`).toBe(403);
    }
    expect((await h.call('GET', url, { token: h.adminToken })).json().consumer.description).toBe('d');
  });
});

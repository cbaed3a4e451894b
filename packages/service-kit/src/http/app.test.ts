import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RevocationList } from '../auth/revocation.js';
import { encodeToken } from '../auth/token-codec.js';
import type { TokenKeys } from '../auth/token-keys.js';
import { TokenValidator } from '../auth/validator.js';
import { loadConfig } from '../config.js';
import { conflict, notFound } from '../errors.js';
import { createLogger } from '../logger.js';
import { type ErrorFormat, renderError } from '../render-error.js';
import { callerOf, createServiceApp } from './app.js';
import type { AuditRecord } from './audit.js';

const key = Buffer.alloc(32, 7);
const keys: TokenKeys = {
  primary: key,
  primaryId: Buffer.from([1, 2, 3, 4]),
  byId: new Map([['01020304', key]]),
};
const token = encodeToken(keys, {
  methods: ['password'],
  user: { id: 'u1', name: 'alice', domain: { id: 'default', name: 'Default' } },
  project: { id: 'p1', name: 'demo', domain: { id: 'default', name: 'Default' } },
  roles: [{ id: 'r', name: 'member' }],
  auditIds: ['a1'],
  issuedAt: Date.now(),
  expiresAt: Date.now() + 60_000,
});

const audits: AuditRecord[] = [];
const logLines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    logLines.push(String(chunk));
    cb();
  },
});
let ready = true;
const app = createServiceApp({
  service: 'test',
  logger: createLogger({ service: 'test', level: 'info', destination: sink }),
  errorFormat: 'keystone',
  validator: new TokenValidator(keys, new RevocationList(60_000)),
  authUri: 'http://id/v3',
  audit: (r) => audits.push(r),
  readiness: async () => {
    if (!ready) throw new Error('db down');
  },
});
app.get('/whoami', async (req) => ({ user: callerOf(req).user.id }));
app.post('/things', async (req, reply) => {
  const body = z.object({ name: z.string().max(5) }).parse(req.body);
  if (body.name === 'dup') throw conflict('exists');
  return reply.code(201).send({ ok: true });
});
app.get('/missing', async () => {
  throw notFound('thing', 'x');
});
app.get('/boom', async () => {
  throw new Error('secret internals');
});

beforeAll(async () => {
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

describe('createServiceApp', () => {
  it('requires a valid token and exposes the caller', async () => {
    const none = await app.inject({ url: '/whoami' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Keystone uri="http://id/v3"');
    expect(none.json().error.code).toBe(401);
    const ok = await app.inject({ url: '/whoami', headers: { 'x-auth-token': token } });
    expect(ok.json()).toEqual({ user: 'u1' });
  });

  it('keeps a well-formed caller request id and makes one otherwise', async () => {
    const id = 'req-0b8e0a34-6b1a-4f4e-9c43-3a1d2b3c4d5e';
    const kept = await app.inject({ url: '/healthz', headers: { 'x-openstack-request-id': id } });
    expect(kept.headers['x-openstack-request-id']).toBe(id);
    const made = await app.inject({ url: '/healthz', headers: { 'x-openstack-request-id': 'evil\nheader' } });
    expect(made.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
  });

  it('renders typed errors, malformed JSON and unknown routes in the service format; hides internals', async () => {
    const mal = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'x-auth-token': token, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(mal.statusCode).toBe(400);
    expect(mal.json().error.message).toMatch(/not valid JSON/);
    const dup = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'x-auth-token': token },
      payload: { name: 'dup' },
    });
    expect(dup.statusCode).toBe(409);
    const missing = await app.inject({ url: '/missing', headers: { 'x-auth-token': token } });
    expect(missing.json()).toEqual({
      error: { code: 404, title: 'Not Found', message: 'Could not find thing: x.' },
    });
    const unknown = await app.inject({ url: '/nowhere' });
    expect(unknown.statusCode).toBe(404);
    const boom = await app.inject({ url: '/boom', headers: { 'x-auth-token': token } });
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toMatch(/secret internals/);
  });

  it('answers 413 for a body over the limit', async () => {
    const big = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'x-auth-token': token, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe(413);
  });

  it('serves health, readiness and metrics', async () => {
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    ready = false;
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    ready = true;
    const m = await app.inject({ url: '/metrics' });
    expect(m.body).toMatch(
      /kumo_http_requests_total\{service="test",method="GET",route="\/whoami",status="200"\}/,
    );
    expect(m.body).toMatch(/kumo_http_request_duration_seconds_bucket/);
  });

  it('audits mutating calls with who, what and the outcome', async () => {
    audits.length = 0;
    await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'x-auth-token': token },
      payload: { name: 'ok' },
    });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      method: 'POST',
      route: '/things',
      status: 201,
      outcome: 'success',
      userId: 'u1',
      projectId: 'p1',
    });
  });

  it('never logs the token', () => {
    expect(logLines.join('')).not.toContain(token);
  });
});

describe('error renderers', () => {
  const formats: ErrorFormat[] = ['keystone', 'nova', 'neutron', 'glance', 'cinder'];
  it('render a 404 in each OpenStack format', () => {
    const bodies = formats.map((f) => renderError(f, notFound('network', 'n1', 'NetworkNotFound')).body);
    expect(bodies[0]).toMatchObject({ error: { code: 404 } });
    expect(bodies[1]).toMatchObject({ itemNotFound: { code: 404 } });
    expect(bodies[2]).toMatchObject({ NeutronError: { type: 'NetworkNotFound' } });
    expect(bodies[3]).toMatchObject({ code: 404 });
    expect(bodies[4]).toMatchObject({ itemNotFound: { code: 404 } });
  });
});

describe('loadConfig', () => {
  it('parses and reports every bad setting', () => {
    const schema = z.object({ PORT: z.coerce.number().int().max(65535), NAME: z.string() });
    expect(loadConfig(schema, { PORT: '80', NAME: 'x' })).toEqual({ PORT: 80, NAME: 'x' });
    expect(() => loadConfig(schema, { PORT: '99999' })).toThrow(/PORT[\s\S]*NAME/);
  });
});

describe('bodies and database input errors', () => {
  const app2 = createServiceApp({
    service: 't2',
    logger: createLogger({ service: 't2', level: 'silent' }),
    errorFormat: 'keystone',
  });
  app2.put('/empty', { config: { auth: false } }, async (req, reply) =>
    reply.code(204).send(req.body === undefined ? undefined : 'x'),
  );
  app2.get('/pg', { config: { auth: false } }, async () => {
    throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
  });
  it('treats an empty JSON body as no body', async () => {
    const res = await app2.inject({
      method: 'PUT',
      url: '/empty',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(204);
  });
  it('maps PostgreSQL input errors to 400', async () => {
    const res = await app2.inject({ url: '/pg' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe(400);
  });
});

describe('wrapped database errors', () => {
  const app3 = createServiceApp({
    service: 't3',
    logger: createLogger({ service: 't3', level: 'silent' }),
    errorFormat: 'nova',
  });
  app3.get('/wrapped', { config: { auth: false } }, async () => {
    throw Object.assign(new Error('Failed query'), { cause: { code: '22021' } });
  });
  app3.get('/jsonb-nul', { config: { auth: false } }, async () => {
    // a NUL (\u0000) inside a jsonb value: "unsupported Unicode escape sequence"
    throw Object.assign(new Error('Failed query'), { cause: { code: '22P05' } });
  });
  it('sees the SQLSTATE through an ORM wrapper', async () => {
    const res = await app3.inject({ url: '/wrapped' });
    expect(res.statusCode).toBe(400);
    expect(res.json().badRequest.code).toBe(400);
  });
  it('maps a NUL in a jsonb value to 400', async () => {
    const res = await app3.inject({ url: '/jsonb-nul' });
    expect(res.statusCode).toBe(400);
  });
  app3.get('/deadlock', { config: { auth: false } }, async () => {
    throw Object.assign(new Error('Failed query'), { cause: { code: '40P01' } });
  });
  it('maps a deadlock (a lost race between concurrent requests) to 409', async () => {
    const res = await app3.inject({ url: '/deadlock' });
    expect(res.statusCode).toBe(409);
  });
});

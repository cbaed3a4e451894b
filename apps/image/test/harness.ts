import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IdentityHarness, startIdentity, testServiceRuntime } from '@kumo/identity/testing';
import type { ServiceRuntime } from '@kumo/service-kit';
import { createTestDatabase, createTestRedis } from '@kumo/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createImageService, type ImageService, imageMigrations } from '../src/index.js';

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Raw payload (Buffer or stream), sent as is. */
  payload?: Buffer | string | NodeJS.ReadableStream;
  headers?: Record<string, string>;
}

export interface ImageHarness {
  app: FastifyInstance;
  service: ImageService;
  identity: IdentityHarness;
  home: string;
  adminToken: string;
  demoToken: string;
  demoProjectId: string;
  call(method: string, url: string, opts?: CallOptions): Promise<LightMyRequestResponse>;
  /** A new project with a member user; returns its id and a token scoped to it. */
  tenant(name: string, role?: string): Promise<{ projectId: string; token: string }>;
  /** Create an image as `token` and return its JSON (fails the test on an unexpected status). */
  createImage(token: string, body?: Record<string, unknown>): Promise<Record<string, unknown>>;
  upload(token: string, id: string, data: Buffer): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A real image service (real PG, Redis, identity tokens, filesystem store in a temp dir). */
export async function startImage(opts: { maxBytes?: number; baseUrl?: string } = {}): Promise<ImageHarness> {
  const identity = await startIdentity();
  const db = await createTestDatabase([imageMigrations]);
  const redis = await createTestRedis();
  const home = mkdtempSync(join(tmpdir(), 'kumo-image-'));
  const rt: ServiceRuntime = testServiceRuntime(identity, {
    service: 'image',
    databaseUrl: db.url,
    redisPrefix: redis.prefix,
    home: home,
    urls: opts.baseUrl ? { image: opts.baseUrl } : {},
  });
  const service = await createImageService(rt, {
    KUMO_IMAGE_PORT: 9292,
    KUMO_IMAGE_STORE_DIR: undefined,
    KUMO_IMAGE_MAX_BYTES: opts.maxBytes ?? 64 * 1024 * 1024,
    KUMO_IMAGE_URL_TTL_SECONDS: 3600,
  });
  const app = service.app;
  await app.ready();

  const call: ImageHarness['call'] = (method, url, o = {}) => {
    const headers: Record<string, string> = {
      ...(o.token ? { 'x-auth-token': o.token } : {}),
      ...(o.headers ?? {}),
    };
    let payload: LightMyRequestResponse['rawPayload'] | string | NodeJS.ReadableStream | undefined;
    if (o.payload !== undefined) payload = o.payload;
    else if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    return app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
  };

  const memberRole = async (name: string): Promise<string> => {
    const res = await identity.call('GET', `/v3/roles?name=${name}`, { token: identity.adminToken });
    return (res.json() as { roles: { id: string }[] }).roles[0]!.id;
  };

  const tenant: ImageHarness['tenant'] = async (name, role = 'member') => {
    const t = identity.adminToken;
    const p = await identity.call('POST', '/v3/projects', {
      token: t,
      body: { project: { name, domain_id: 'default' } },
    });
    const projectId = (p.json() as { project: { id: string } }).project.id;
    const u = await identity.call('POST', '/v3/users', {
      token: t,
      body: { user: { name, password: `${name}-secret`, domain_id: 'default' } },
    });
    const userId = (u.json() as { user: { id: string } }).user.id;
    const g = await identity.call(
      'PUT',
      `/v3/projects/${projectId}/users/${userId}/roles/${await memberRole(role)}`,
      {
        token: t,
      },
    );
    if (g.statusCode !== 204) throw new Error(`grant failed: ${g.statusCode} ${g.body}`);
    return { projectId, token: await identity.login(name, `${name}-secret`, name) };
  };

  const createImage: ImageHarness['createImage'] = async (token, body = {}) => {
    const res = await call('POST', '/v2/images', {
      token,
      body: { name: 'img', disk_format: 'raw', container_format: 'bare', ...body },
    });
    if (res.statusCode !== 201) throw new Error(`create image: ${res.statusCode} ${res.body}`);
    return res.json() as Record<string, unknown>;
  };

  const upload: ImageHarness['upload'] = (token, id, data) =>
    call('PUT', `/v2/images/${id}/file`, {
      token,
      payload: data,
      headers: { 'content-type': 'application/octet-stream' },
    });

  return {
    app,
    service,
    identity,
    home,
    adminToken: identity.adminToken,
    demoToken: identity.demoToken,
    demoProjectId: identity.ids.demoProjectId,
    call,
    tenant,
    createImage,
    upload,
    async close() {
      await service.close();
      await redis.cleanup();
      await db.drop();
      await identity.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

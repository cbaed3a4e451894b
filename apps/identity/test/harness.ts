import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type ServiceRuntime, type ServiceUrls } from '@kumo/service-kit';
import { createTestDatabase, createTestRedis, testRedisUrl } from '@kumo/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createIdentityContext } from '../src/deps.js';
import { bootstrapIdentity } from '../src/domain/bootstrap.js';
import {
  buildIdentityApp,
  type IdentityContext,
  type IdentitySettings,
  identityMigrations,
} from '../src/index.js';

export const ADMIN_PASSWORD = 'admin-secret';
export const DEMO_PASSWORD = 'demo-secret';

export interface IdentityHarness {
  app: FastifyInstance;
  ctx: IdentityContext;
  adminToken: string;
  demoToken: string;
  ids: { adminUserId: string; adminProjectId: string; demoUserId: string; demoProjectId: string };
  /** Issue a token for a user (by name in Default) scoped to a project by name, or unscoped. */
  login(user: string, password: string, project?: string): Promise<string>;
  call(
    method: string,
    url: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A real identity service on a throwaway database and Redis prefix, bootstrapped. */
export async function startIdentity(overrides: Partial<IdentitySettings> = {}): Promise<IdentityHarness> {
  const db = await createTestDatabase([identityMigrations]);
  const redis = await createTestRedis();
  const keyDir = mkdtempSync(join(tmpdir(), 'kumo-keys-'));
  const settings: IdentitySettings = {
    tokenKeyDir: keyDir,
    tokenTtlSeconds: 3600,
    maxActiveKeys: 3,
    scrypt: { log2N: 10, r: 8, p: 1 },
    lockout: { failures: 0, seconds: 60 },
    passwordExpiresDays: 0,
    passwordPolicy: {
      regex: null,
      regexDescription: null,
      uniqueLastCount: 0,
      minAgeDays: 0,
      changeOnFirstUse: false,
    },
    region: 'RegionOne',
    ...overrides,
  };
  const log = createLogger({ service: 'identity', level: process.env.KUMO_TEST_LOG ?? 'silent' });
  const { ctx, close } = await createIdentityContext({
    settings,
    log,
    databaseUrl: db.url,
    redisUrl: 'redis://127.0.0.1:6379/0',
    redisPrefix: redis.prefix,
  });
  const ids = await bootstrapIdentity(ctx.db, {
    adminPassword: ADMIN_PASSWORD,
    demoPassword: DEMO_PASSWORD,
    region: 'RegionOne',
    scrypt: settings.scrypt,
    services: [
      { type: 'identity', name: 'keystone', description: 'Identity', url: 'http://127.0.0.1:5000/v3' },
    ],
  });
  const app = buildIdentityApp(ctx);
  await app.ready();

  const call: IdentityHarness['call'] = (method, url, opts = {}) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: { ...(opts.token ? { 'x-auth-token': opts.token } : {}), ...(opts.headers ?? {}) },
      ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
    });

  const login = async (user: string, password: string, project?: string) => {
    const res = await call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: user, domain: { id: 'default' }, password } },
          },
          ...(project
            ? { scope: { project: { name: project, domain: { id: 'default' } } } }
            : { scope: 'unscoped' }),
        },
      },
    });
    if (res.statusCode !== 201) throw new Error(`login ${user} failed: ${res.statusCode} ${res.body}`);
    return res.headers['x-subject-token'] as string;
  };

  const adminToken = await login('admin', ADMIN_PASSWORD, 'admin');
  const demoToken = await login('demo', DEMO_PASSWORD, 'demo');
  return {
    app,
    ctx,
    adminToken,
    demoToken,
    ids,
    login,
    call,
    async close() {
      await app.close();
      await close();
      await redis.cleanup();
      await db.drop();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}

/**
 * The runtime another service gets in a test: it validates this identity's
 * tokens and calls other services as its admin. URLs default to the standard
 * ports on loopback.
 */
export function testServiceRuntime(
  h: IdentityHarness,
  o: { service: string; databaseUrl: string; redisPrefix: string; home: string; urls?: Partial<ServiceUrls> },
): ServiceRuntime {
  return {
    log: createLogger({ service: o.service, level: process.env.KUMO_TEST_LOG ?? 'silent' }),
    home: o.home,
    databaseUrl: o.databaseUrl,
    redisUrl: testRedisUrl(),
    redisPrefix: o.redisPrefix,
    tokenKeyDir: h.ctx.settings.tokenKeyDir,
    maxTokenLifetimeMs: 3_600_000,
    region: 'RegionOne',
    urls: {
      identity: 'http://127.0.0.1:5000',
      image: 'http://127.0.0.1:9292',
      compute: 'http://127.0.0.1:8774',
      scheduler: 'http://127.0.0.1:8778',
      network: 'http://127.0.0.1:9696',
      ...o.urls,
    },
    serviceToken: async () => h.adminToken,
  };
}

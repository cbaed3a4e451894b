import { createPool, type Pool } from '@kumo/db';
import { Redis } from 'ioredis';
import { startTokenValidation, type TokenValidation } from './auth/token-validation.js';
import type { Logger } from './logger.js';

/** The base URLs (no version suffix) of the Kumo services, as clients reach them. */
export interface ServiceUrls {
  identity: string;
  image: string;
  compute: string;
  scheduler: string;
  network: string;
}

/**
 * What every Kumo service gets from whoever starts it (`kumo up`, `kumo serve`,
 * a test harness): settings shared by all services, parsed once, and the way to
 * call other services on its own behalf.
 */
export interface ServiceRuntime {
  log: Logger;
  /** KUMO_HOME: where services keep their state (image store, CA, ...). */
  home: string;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  /** The identity service's token key repository (validation needs no database). */
  tokenKeyDir: string;
  maxTokenLifetimeMs: number;
  region: string;
  urls: ServiceUrls;
  /** A token of the Kumo service user (admin on project `service`), for service-to-service calls. */
  serviceToken(): Promise<string>;
}

export interface ServiceBase {
  pool: Pool;
  redis: Redis;
  validation: TokenValidation;
  close(): Promise<void>;
}

/** Open what every service needs: its Postgres pool, Redis, and token validation. */
export async function openServiceBase(
  rt: ServiceRuntime,
  name: string,
  opts: { poolMax?: number } = {},
): Promise<ServiceBase> {
  const pool = createPool(rt.databaseUrl, { applicationName: `kumo-${name}`, max: opts.poolMax });
  const redis = new Redis(rt.redisUrl, { maxRetriesPerRequest: null });
  try {
    const validation = await startTokenValidation({
      keyDir: rt.tokenKeyDir,
      redis,
      redisPrefix: rt.redisPrefix,
      maxTokenLifetimeMs: rt.maxTokenLifetimeMs,
      log: rt.log,
    });
    return {
      pool,
      redis,
      validation,
      async close() {
        await validation.stop();
        redis.disconnect();
        await pool.end();
      },
    };
  } catch (err) {
    redis.disconnect();
    await pool.end();
    throw err;
  }
}

/**
 * A service token from the identity service by password, cached until five
 * minutes before it expires; concurrent callers share one request.
 */
export function passwordServiceToken(o: {
  identityUrl: string;
  user: string;
  password: string;
  project: string;
  domain?: string;
  fetch?: typeof fetch;
}): () => Promise<string> {
  let cached: { token: string; expiresAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  const doFetch = o.fetch ?? fetch;
  const issue = async (): Promise<string> => {
    const domain = { id: o.domain ?? 'default' };
    const res = await doFetch(`${o.identityUrl}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: o.user, domain, password: o.password } },
          },
          scope: { project: { name: o.project, domain } },
        },
      }),
    });
    const token = res.headers.get('x-subject-token');
    if (res.status !== 201 || !token) throw new Error(`service token for ${o.user}: HTTP ${res.status}`);
    const body = (await res.json()) as { token?: { expires_at?: string } };
    const expiresAt = Date.parse(body.token?.expires_at ?? '') || Date.now() + 600_000;
    cached = { token, expiresAt };
    return token;
  };
  return async () => {
    if (cached && cached.expiresAt - Date.now() > 300_000) return cached.token;
    inflight ??= issue().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };
}

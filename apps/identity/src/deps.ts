import { readFileSync } from 'node:fs';
import { createPool } from '@kumo/db';
import {
  initKeyRepository,
  type Logger,
  Policy,
  type PolicyRules,
  type RevocationEvent,
  startTokenValidation,
} from '@kumo/service-kit';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Redis } from 'ioredis';
import { parse as parseYaml } from 'yaml';
import type { IdentitySettings } from './config.js';
import type { IdentityContext } from './context.js';
import { loadCatalog } from './db/catalog.repo.js';
import { loadRevocationEvents, recordRevocationEvent } from './db/revocations.repo.js';
import * as schema from './db/schema.js';
import { CatalogCache } from './domain/catalog-cache.js';
import { identityPolicyDefaults } from './domain/policy-defaults.js';

export interface IdentityDepsInput {
  settings: IdentitySettings;
  log: Logger;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
}

function loadPolicyOverrides(file: string | undefined): PolicyRules {
  if (!file) return {};
  const parsed = parseYaml(readFileSync(file, 'utf8')) as unknown;
  if (!parsed || typeof parsed !== 'object') return {};
  return Object.fromEntries(
    Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
  );
}

/** Open the identity service's connections and build its context. */
export async function createIdentityContext(
  input: IdentityDepsInput,
): Promise<{ ctx: IdentityContext; close(): Promise<void> }> {
  const { settings, log } = input;
  const pool = createPool(input.databaseUrl, { applicationName: 'kumo-identity' });
  const db = drizzle(pool, { schema });
  const redis = new Redis(input.redisUrl, { maxRetriesPerRequest: null });
  initKeyRepository(settings.tokenKeyDir);
  const maxTokenLifetimeMs = settings.tokenTtlSeconds * 1000;
  const tokens = await startTokenValidation({
    keyDir: settings.tokenKeyDir,
    redis,
    redisPrefix: input.redisPrefix,
    maxTokenLifetimeMs,
    log,
    // Postgres is the truth: re-seed Redis from it, then follow the feed
    seed: await loadRevocationEvents(db, Date.now() - maxTokenLifetimeMs),
  });
  const { validator, feed } = tokens;
  const reseed = setInterval(() => {
    loadRevocationEvents(db, Date.now() - maxTokenLifetimeMs)
      .then((events) => feed.seed(events))
      .catch((err) => log.warn({ err }, 'could not re-seed revocation events into Redis'));
  }, 60_000);
  reseed.unref();

  const ctx: IdentityContext = {
    settings,
    log,
    db,
    pool,
    policy: new Policy(identityPolicyDefaults, loadPolicyOverrides(settings.policyFile)),
    keys: tokens.keys,
    validator,
    revocations: feed,
    catalog: new CatalogCache(() => loadCatalog(db)),
    async revoke(e) {
      // one millisecond of slack: a token issued in the same millisecond is revoked too
      const event: RevocationEvent = { ...e, issuedBefore: e.issuedBefore ?? Date.now() + 1 };
      // Postgres first (the truth), then this process, then everyone else through Redis. A Redis
      // outage must not fail the call: the periodic re-seed below delivers the event once Redis is back.
      await recordRevocationEvent(db, event);
      validator.revocations.add(event);
      // not awaited: while Redis is away ioredis queues the command and sends it on reconnect
      void feed.publish(event).catch((err) => log.warn({ err }, 'revocation not fanned out yet (Redis)'));
    },
  };
  return {
    ctx,
    async close() {
      clearInterval(reseed);
      await tokens.stop();
      redis.disconnect();
      await pool.end();
    },
  };
}

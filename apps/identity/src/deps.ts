import { readFileSync } from 'node:fs';
import { createPool } from '@kumo/db';
import {
  initKeyRepository,
  type Logger,
  loadKeyRepository,
  Policy,
  type PolicyRules,
  RedisRevocationFeed,
  type RevocationEvent,
  RevocationList,
  type TokenKeys,
  TokenValidator,
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
  let keys: TokenKeys = loadKeyRepository(settings.tokenKeyDir);
  const maxLifetimeMs = settings.tokenTtlSeconds * 1000;
  const list = new RevocationList(maxLifetimeMs);
  const validator = new TokenValidator(keys, list);
  const feed = new RedisRevocationFeed(redis, input.redisPrefix, list, log);
  // Postgres is the truth: re-seed Redis from it, then follow the feed
  await feed.seed(await loadRevocationEvents(db, Date.now() - maxLifetimeMs));
  await feed.start();
  // pick up keys rotated by `kumo identity rotate-keys` without a restart
  const keyTimer = setInterval(() => {
    try {
      keys = loadKeyRepository(settings.tokenKeyDir);
      validator.setKeys(keys);
    } catch (err) {
      log.warn({ err }, 'could not reload token keys');
    }
  }, 10_000);
  keyTimer.unref();

  const ctx: IdentityContext = {
    settings,
    log,
    db,
    pool,
    policy: new Policy(identityPolicyDefaults, loadPolicyOverrides(settings.policyFile)),
    keys: () => keys,
    validator,
    revocations: feed,
    catalog: new CatalogCache(() => loadCatalog(db)),
    async revoke(e) {
      // one millisecond of slack: a token issued in the same millisecond is revoked too
      const event: RevocationEvent = { ...e, issuedBefore: e.issuedBefore ?? Date.now() + 1 };
      await recordRevocationEvent(db, event);
      await feed.publish(event);
    },
  };
  return {
    ctx,
    async close() {
      clearInterval(keyTimer);
      await feed.stop();
      redis.disconnect();
      await pool.end();
    },
  };
}

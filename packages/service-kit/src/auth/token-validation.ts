import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { RedisRevocationFeed, type RevocationEvent, RevocationList } from './revocation.js';
import { loadKeyRepository, type TokenKeys } from './token-keys.js';
import { TokenValidator } from './validator.js';

export interface TokenValidationOptions {
  keyDir: string;
  redis: Redis;
  redisPrefix: string;
  /** The longest token lifetime: revocation events older than that are dropped. */
  maxTokenLifetimeMs: number;
  log?: Logger;
  /** Replace Redis' revocation list with these events before following it (the identity service's truth). */
  seed?: RevocationEvent[];
  keyReloadMs?: number;
}

export interface TokenValidation {
  validator: TokenValidator;
  feed: RedisRevocationFeed;
  /** The keys in force now (they are re-read from disk every keyReloadMs). */
  keys(): TokenKeys;
  stop(): Promise<void>;
}

/**
 * What any Kumo service needs to validate tokens by itself: the key repository
 * (re-read periodically, so a rotation needs no restart) and the revocation
 * list followed through Redis. No database.
 */
export async function startTokenValidation(o: TokenValidationOptions): Promise<TokenValidation> {
  let keys = loadKeyRepository(o.keyDir);
  const list = new RevocationList(o.maxTokenLifetimeMs);
  const validator = new TokenValidator(keys, list);
  const feed = new RedisRevocationFeed(o.redis, o.redisPrefix, list, o.log);
  if (o.seed) await feed.seed(o.seed);
  await feed.start();
  const timer = setInterval(() => {
    try {
      keys = loadKeyRepository(o.keyDir);
      validator.setKeys(keys);
      list.prune();
    } catch (err) {
      o.log?.warn({ err }, 'could not reload token keys');
    }
  }, o.keyReloadMs ?? 10_000);
  timer.unref();
  return {
    validator,
    feed,
    keys: () => keys,
    async stop() {
      clearInterval(timer);
      await feed.stop();
    },
  };
}

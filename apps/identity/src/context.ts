import type {
  Logger,
  Policy,
  RedisRevocationFeed,
  RevocationEvent,
  TokenKeys,
  TokenValidator,
} from '@kumo/service-kit';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import type { IdentitySettings } from './config.js';
import type * as schema from './db/schema.js';
import type { CatalogCache } from './domain/catalog-cache.js';

export type Db = NodePgDatabase<typeof schema>;

/** Everything the identity routes need, built once and passed in. */
export interface IdentityContext {
  settings: IdentitySettings;
  log: Logger;
  db: Db;
  pool: pg.Pool;
  policy: Policy;
  keys: () => TokenKeys;
  validator: TokenValidator;
  revocations: RedisRevocationFeed;
  catalog: CatalogCache;
  /** Record a revocation event in Postgres and fan it out through Redis. */
  revoke(event: Omit<RevocationEvent, 'issuedBefore'> & { issuedBefore?: number }): Promise<void>;
}

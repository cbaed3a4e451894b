import { randomBytes } from 'node:crypto';
import { createPool, migrateAll, type ServiceMigrations, withDatabase } from '@kumo/db';
import pg from 'pg';

export const adminDatabaseUrl = () =>
  process.env.KUMO_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A throwaway database per test file, migrated, dropped afterwards. */
export async function createTestDatabase(migrations: ServiceMigrations[] = []): Promise<TestDatabase> {
  const name = `kumo_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = withDatabase(adminDatabaseUrl(), name);
  const pool = createPool(url, { max: 20, applicationName: 'kumo-test' });
  await migrateAll(pool, migrations);
  return {
    url,
    name,
    pool,
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: adminDatabaseUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

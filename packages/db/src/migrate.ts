import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type pg from 'pg';

export interface ServiceMigrations {
  /** The service's Postgres schema (e.g. `identity`). */
  schema: string;
  /** Folder of drizzle-kit generated SQL migrations (with meta/_journal.json). */
  folder: string;
}

/**
 * Apply every service's checked-in migrations. Safe to run twice and from two
 * processes at once: a Postgres advisory lock serialises runs, and drizzle
 * records what it applied in `<schema>.__migrations`.
 */
export async function migrateAll(pool: pg.Pool, services: ServiceMigrations[]): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['kumo-migrate']);
    try {
      const db = drizzle(client);
      for (const s of services) {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${s.schema}"`);
        await migrate(db, {
          migrationsFolder: s.folder,
          migrationsSchema: s.schema,
          migrationsTable: '__migrations',
        });
        applied.push(s.schema);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['kumo-migrate']);
    }
  } finally {
    client.release();
  }
  return applied;
}

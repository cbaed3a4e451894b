import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrateAll } from '@kumo/db';
import { createTestDatabase } from '@kumo/testing';
import { describe, expect, it } from 'vitest';
import { identityMigrations } from '../src/index.js';

describe('identity migrations', () => {
  it('apply concurrently and a second time without effect', async () => {
    const db = await createTestDatabase();
    try {
      await Promise.all([
        migrateAll(db.pool, [identityMigrations]),
        migrateAll(db.pool, [identityMigrations]),
      ]);
      await migrateAll(db.pool, [identityMigrations]);
      const applied = await db.pool.query('SELECT count(*)::int AS n FROM identity.__migrations');
      const journal = JSON.parse(readFileSync(join(identityMigrations.folder, 'meta/_journal.json'), 'utf8'));
      expect(applied.rows[0].n).toBe(journal.entries.length);
      const tables = await db.pool.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'identity' ORDER BY table_name`,
      );
      expect(tables.rows.map((r) => r.table_name)).toContain('access_rules');
    } finally {
      await db.drop();
    }
  });
});

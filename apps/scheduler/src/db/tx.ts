import { pgCode } from '@kumo/db';
import type pg from 'pg';

export type Pool = pg.Pool;
export type Client = pg.PoolClient;

const RETRY = new Set(['40P01', '40001']);

/** Run `fn` in a transaction; a deadlock or serialization failure is retried a few times. */
export async function withTx<T>(pool: Pool, fn: (c: Client) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      if (attempt < 4 && RETRY.has(pgCode(err) ?? '')) continue;
      throw err;
    } finally {
      c.release();
    }
  }
}

/** Thrown inside withTx to roll back and hand a value out. */
export class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super('rollback');
  }
}

export async function withTxOr<T, R>(pool: Pool, fn: (c: Client) => Promise<T>): Promise<T | R> {
  try {
    return await withTx(pool, fn);
  } catch (err) {
    if (err instanceof Rollback) return err.value as R;
    throw err;
  }
}

import pg from 'pg';

export type Pool = pg.Pool;

/** One pool per process and service; `max` stays small (2 cores here). */
export function createPool(url: string, opts: { max?: number; applicationName?: string } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'kumo',
    idleTimeoutMillis: 30_000,
  });
  // an idle client's error (server restart) must not crash the process
  pool.on('error', () => undefined);
  return pool;
}

/** Replace the database name of a connection URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

import type { JoinTokenRecord, JoinTokenRepo } from '@kumo/agent';
import type { Pool } from './tx.js';

/** Agent join tokens in the scheduler's schema (hashes only); `take` deletes and returns in one statement. */
export class PgJoinTokenRepo implements JoinTokenRepo {
  constructor(private readonly pool: Pool) {}

  async save(rec: JoinTokenRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO scheduler.join_tokens (hash, host_id, expires_at) VALUES ($1, $2, $3)',
      [rec.hash, rec.hostId ?? null, new Date(rec.expiresAt)],
    );
  }

  async take(hash: string): Promise<JoinTokenRecord | undefined> {
    const r = await this.pool.query('DELETE FROM scheduler.join_tokens WHERE hash = $1 RETURNING *', [hash]);
    const row = r.rows[0];
    return row
      ? { hash: row.hash, hostId: row.host_id ?? undefined, expiresAt: row.expires_at.getTime() }
      : undefined;
  }

  async deleteExpired(now: number): Promise<void> {
    await this.pool.query('DELETE FROM scheduler.join_tokens WHERE expires_at <= $1', [new Date(now)]);
  }
}

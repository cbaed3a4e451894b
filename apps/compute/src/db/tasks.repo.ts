import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, ne, notExists, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../context.js';
import type { ServerTaskKind } from '../domain/tasks.js';
import { serverTasks } from './schema.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export type ServerTaskRow = typeof serverTasks.$inferSelect;

/**
 * The `server_tasks` outbox, as the task worker and the API use it. A row is
 * pending → running → done | failed; a task that must retry later (a host that
 * is down) goes back to pending with its attempts counted (backoff).
 */

/** Write an outbox row (inside the API's transaction); dispatch its id after commit. */
export async function insertServerTask(
  db: Db | Tx,
  t: {
    id?: string;
    serverId: string;
    kind: ServerTaskKind;
    params?: Record<string, unknown>;
    requestId: string;
    actionId?: number | null;
  },
): Promise<string> {
  const id = t.id ?? randomUUID();
  await db.insert(serverTasks).values({
    id,
    serverId: t.serverId,
    kind: t.kind,
    params: t.params ?? {},
    requestId: t.requestId,
    actionId: t.actionId ?? null,
  });
  return id;
}

export async function loadTask(db: Db, id: string): Promise<ServerTaskRow | undefined> {
  const [row] = await db.select().from(serverTasks).where(eq(serverTasks.id, id));
  return row;
}

export type ClaimResult =
  | { claimed: ServerTaskRow }
  | { skipped: 'finished' | 'missing' | 'running' | 'blocked' };

/**
 * Take a pending task (→ running) unless another task of the same server runs
 * or an older one waits: tasks of one server run one at a time, oldest first.
 */
export async function claimTask(db: Db, id: string): Promise<ClaimResult> {
  const other = alias(serverTasks, 'o');
  const [claimed] = await db
    .update(serverTasks)
    .set({ state: 'running', attempts: sql`${serverTasks.attempts} + 1`, updatedAt: sql`now()` })
    .where(
      and(
        eq(serverTasks.id, id),
        eq(serverTasks.state, 'pending'),
        notExists(
          db
            .select({ one: sql`1` })
            .from(other)
            .where(
              and(
                eq(other.serverId, serverTasks.serverId),
                ne(other.id, serverTasks.id),
                or(
                  eq(other.state, 'running'),
                  and(
                    eq(other.state, 'pending'),
                    sql`(${other.createdAt}, ${other.id}) < (${serverTasks.createdAt}, ${serverTasks.id})`,
                  ),
                ),
              ),
            ),
        ),
      ),
    )
    .returning();
  if (claimed) return { claimed };
  const row = await loadTask(db, id);
  if (!row) return { skipped: 'missing' };
  if (row.state === 'done' || row.state === 'failed') return { skipped: 'finished' };
  if (row.state === 'running') return { skipped: 'running' };
  return { skipped: 'blocked' };
}

/** A running task is alive: the re-enqueuer leaves it alone. */
export async function touchTask(db: Db, id: string): Promise<void> {
  await db
    .update(serverTasks)
    .set({ updatedAt: sql`now()` })
    .where(and(eq(serverTasks.id, id), eq(serverTasks.state, 'running')));
}

export async function finishTask(
  db: Db,
  id: string,
  state: 'done' | 'failed',
  error?: string,
): Promise<void> {
  await db
    .update(serverTasks)
    .set({ state, error: error ?? null, updatedAt: sql`now()` })
    .where(eq(serverTasks.id, id));
}

/** Back to pending, to be retried after a backoff that grows with `attempts` (the re-enqueuer picks it). */
export async function deferTask(db: Db, id: string, error: string): Promise<void> {
  await db
    .update(serverTasks)
    .set({ state: 'pending', error, updatedAt: sql`now()` })
    .where(eq(serverTasks.id, id));
}

/** The oldest unfinished task of a server, if any (what to run after one finished). */
export async function nextTaskOfServer(db: Db, serverId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ id: serverTasks.id })
    .from(serverTasks)
    .where(and(eq(serverTasks.serverId, serverId), inArray(serverTasks.state, ['pending', 'running'])))
    .orderBy(asc(serverTasks.createdAt), asc(serverTasks.id))
    .limit(1);
  return row?.id;
}

export interface OutboxTiming {
  /** A pending row this old was probably never enqueued (Redis lost, crash between commit and dispatch). */
  pendingGraceMs: number;
  /** A running row not touched for this long lost its worker. */
  staleRunningMs: number;
  /** Retry backoff of a deferred task: base × 2^(attempts−1), capped. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/**
 * Tasks to (re)dispatch: stale running rows go back to pending first; pending
 * rows past their grace period (or their backoff, for a retried task) follow.
 */
export async function dueTasks(db: Db, t: OutboxTiming, limit = 500): Promise<string[]> {
  await db.execute(sql`
    UPDATE compute.server_tasks SET state = 'pending', updated_at = now() - make_interval(secs => 3600)
     WHERE state = 'running' AND updated_at < now() - make_interval(secs => ${t.staleRunningMs / 1000})`);
  const res = await db.execute<{ id: string }>(sql`
    SELECT id FROM compute.server_tasks
     WHERE state = 'pending'
       AND updated_at < now() - make_interval(secs => GREATEST(${t.pendingGraceMs / 1000}::float8,
             CASE WHEN attempts = 0 THEN 0
                  ELSE LEAST(${t.backoffBaseMs / 1000}::float8 * power(2, LEAST(attempts, 30) - 1),
                             ${t.backoffMaxMs / 1000}::float8) END))
     ORDER BY created_at, id
     LIMIT ${limit}`);
  return res.rows.map((r) => r.id);
}

/** Unfinished tasks of a server (tests, admin views). */
export async function openTasksOfServer(db: Db, serverId: string): Promise<ServerTaskRow[]> {
  return db
    .select()
    .from(serverTasks)
    .where(and(eq(serverTasks.serverId, serverId), inArray(serverTasks.state, ['pending', 'running'])))
    .orderBy(asc(serverTasks.createdAt));
}

/** Wait until a task is done or failed (polling its row); 'timeout' after `timeoutMs`. */
export async function waitForTask(
  db: Db,
  id: string,
  timeoutMs: number,
  pollMs = 25,
): Promise<'done' | 'failed' | 'timeout'> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const row = await loadTask(db, id);
    if (!row) return 'failed';
    if (row.state === 'done' || row.state === 'failed') return row.state;
    if (Date.now() >= until) return 'timeout';
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

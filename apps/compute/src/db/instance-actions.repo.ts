import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gte, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import type { ServerTaskKind } from '../domain/tasks.js';
import type { Queryable, Tx } from './quota-usage.repo.js';
import { instanceActionEvents, instanceActions, servers } from './schema.js';
import type { ServerInsert, ServerRow } from './servers.repo.js';
import { insertServerTask } from './tasks.repo.js';

export type InstanceActionRow = typeof instanceActions.$inferSelect;
export type InstanceActionEventRow = typeof instanceActionEvents.$inferSelect;

export interface ActionRecord {
  serverId: string;
  requestId: string;
  action: string;
  projectId: string;
  userId: string;
  /** Finished at once (lock, unlock): no task reports to it. */
  finished?: boolean;
}

/**
 * Records an instance action. A request id may only appear once per server
 * (Nova's key); a client reusing one gets a suffixed id rather than an error.
 */
export async function insertAction(tx: Queryable, a: ActionRecord): Promise<number> {
  const now = new Date();
  const values = {
    serverId: a.serverId,
    requestId: a.requestId,
    action: a.action,
    projectId: a.projectId,
    userId: a.userId,
    startTime: now,
    updatedAt: now,
    finishTime: a.finished ? now : null,
  };
  const [row] = await tx.insert(instanceActions).values(values).onConflictDoNothing().returning();
  if (row) return row.id;
  const [again] = await tx
    .insert(instanceActions)
    .values({ ...values, requestId: `${a.requestId}-${randomUUID().slice(0, 8)}` })
    .returning();
  return again!.id;
}

export interface ServerTaskStart {
  serverId: string;
  /** Throws (409, 403, …) when the locked row does not allow the action; returning 'skip' accepts it as already done. */
  guard: (row: ServerRow) => unknown;
  /** Columns to change with the action (task_state, old_flavor, image, …). */
  set: (row: ServerRow) => Partial<ServerInsert>;
  action: Omit<ActionRecord, 'serverId' | 'finished'>;
  /** The outbox task; null for actions finished in the API (lock, unlock). */
  task: { kind: ServerTaskKind; params: Record<string, unknown> } | null;
  /** More work in the same transaction (quota checks, metadata), after the guard. */
  within?: (tx: Tx, row: ServerRow) => Promise<void>;
}

/**
 * Starts a server action atomically: locks the server row, runs the guard,
 * moves the state (compare-and-swap on the states read), records the instance
 * action and the outbox task. Returns the updated row and the task id.
 */
export async function startServerTask(
  db: Db,
  s: ServerTaskStart,
): Promise<{ row: ServerRow; taskId: string | null } | undefined> {
  return db.transaction(async (tx) => {
    const [cur] = await tx
      .select()
      .from(servers)
      .where(and(eq(servers.id, s.serverId), isNull(servers.deletedAt)))
      .for('update');
    if (!cur) return undefined;
    if (s.guard(cur) === 'skip') return { row: cur, taskId: null };
    await s.within?.(tx, cur);
    const [row] = await tx
      .update(servers)
      .set({ ...s.set(cur), updatedAt: new Date() })
      .where(
        and(
          eq(servers.id, cur.id),
          eq(servers.vmState, cur.vmState),
          sql`${servers.taskState} IS NOT DISTINCT FROM ${cur.taskState}`,
        ),
      )
      .returning();
    if (!row) throw new Error(`server ${cur.id} changed under a row lock`);
    const actionId = await insertAction(tx, { ...s.action, serverId: cur.id, finished: s.task === null });
    const taskId = s.task
      ? await insertServerTask(tx, {
          serverId: cur.id,
          kind: s.task.kind,
          params: s.task.params,
          requestId: s.action.requestId,
          actionId,
        })
      : null;
    return { row, taskId };
  });
}

export interface ActionPage {
  limit?: number;
  /** request_id of the last action of the previous page. */
  marker?: string;
  changesSince?: Date;
  changesBefore?: Date;
}

/** A server's actions, newest first (2.58 paging by request id and changes-since/before on updated_at). */
export async function listActions(
  db: Queryable,
  serverId: string,
  page: ActionPage = {},
): Promise<InstanceActionRow[] | 'bad-marker'> {
  const w: (SQL | undefined)[] = [eq(instanceActions.serverId, serverId)];
  if (page.changesSince) w.push(gte(instanceActions.updatedAt, page.changesSince));
  if (page.changesBefore) w.push(lte(instanceActions.updatedAt, page.changesBefore));
  if (page.marker !== undefined) {
    const [m] = await db
      .select()
      .from(instanceActions)
      .where(and(eq(instanceActions.serverId, serverId), eq(instanceActions.requestId, page.marker)));
    if (!m) return 'bad-marker';
    w.push(
      or(
        lt(instanceActions.startTime, m.startTime),
        and(eq(instanceActions.startTime, m.startTime), lt(instanceActions.id, m.id)),
      ),
    );
  }
  const q = db
    .select()
    .from(instanceActions)
    .where(and(...w))
    .orderBy(desc(instanceActions.startTime), desc(instanceActions.id));
  return page.limit !== undefined ? q.limit(page.limit) : q;
}

/** One action of a server by request id, with its events (oldest first). */
export async function getActionWithEvents(
  db: Queryable,
  serverId: string,
  requestId: string,
): Promise<{ action: InstanceActionRow; events: InstanceActionEventRow[] } | undefined> {
  const [action] = await db
    .select()
    .from(instanceActions)
    .where(and(eq(instanceActions.serverId, serverId), eq(instanceActions.requestId, requestId)));
  if (!action) return undefined;
  const events = await db
    .select()
    .from(instanceActionEvents)
    .where(eq(instanceActionEvents.actionId, action.id))
    .orderBy(asc(instanceActionEvents.startTime), asc(instanceActionEvents.id));
  return { action, events };
}

import { and, eq, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import type { PowerStateCode, TaskState, VmState } from '../domain/states.js';
import {
  instanceActionEvents,
  instanceActions,
  serverGroups,
  serverMetadata,
  servers,
  serverTasks,
} from './schema.js';

/** The task worker's and the reconciler's own queries on servers and instance actions. */

export type ServerRow = typeof servers.$inferSelect;

export async function loadServerRow(db: Db, id: string): Promise<ServerRow | undefined> {
  const [row] = await db.select().from(servers).where(eq(servers.id, id));
  return row;
}

export type ServerPatch = Partial<
  Pick<
    typeof servers.$inferInsert,
    | 'host'
    | 'availabilityZone'
    | 'flavor'
    | 'oldFlavor'
    | 'imageId'
    | 'name'
    | 'fault'
    | 'powerState'
    | 'launchedAt'
    | 'terminatedAt'
    | 'deletedAt'
    | 'progress'
  >
> & { vmState?: VmState; taskState?: TaskState | null };

/**
 * Update a server (updated_at moves, so `changes-since` sees it). With
 * `expectTaskState`, only while task_state still is that (compare-and-swap);
 * returns the updated row, or undefined when nothing matched.
 */
export async function patchServer(
  db: Db,
  id: string,
  patch: ServerPatch,
  expect: { taskState?: TaskState | null; notDeleted?: boolean } = {},
): Promise<ServerRow | undefined> {
  const conds: SQL[] = [eq(servers.id, id)];
  if (expect.taskState !== undefined)
    conds.push(
      expect.taskState === null ? isNull(servers.taskState) : eq(servers.taskState, expect.taskState),
    );
  if (expect.notDeleted) conds.push(isNull(servers.deletedAt));
  const [row] = await db
    .update(servers)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(and(...conds))
    .returning();
  return row;
}

/**
 * The reconciler's write: the observed power state (and the vm_state it
 * implies) — only while no task is in flight and the server is as it was read.
 */
export async function syncPowerState(
  db: Db,
  id: string,
  seen: { vmState: string; powerState: number },
  next: { vmState: VmState; powerState: PowerStateCode },
): Promise<boolean> {
  const res = await db
    .update(servers)
    .set({ vmState: next.vmState, powerState: next.powerState, updatedAt: sql`now()` })
    .where(
      and(
        eq(servers.id, id),
        isNull(servers.taskState),
        isNull(servers.deletedAt),
        eq(servers.vmState, seen.vmState),
        eq(servers.powerState, seen.powerState),
      ),
    )
    .returning({ id: servers.id });
  return res.length > 0;
}

export interface HostServer {
  id: string;
  vmState: string;
  taskState: string | null;
  powerState: number;
}

/** The live servers placed on `host`. */
export async function serversOnHost(db: Db, host: string): Promise<HostServer[]> {
  return db
    .select({
      id: servers.id,
      vmState: servers.vmState,
      taskState: servers.taskState,
      powerState: servers.powerState,
    })
    .from(servers)
    .where(and(eq(servers.host, host), isNull(servers.deletedAt)));
}

/** Hosts that have live servers (the reconciler watches them). */
export async function hostsInUse(db: Db): Promise<string[]> {
  const rows = await db
    .selectDistinct({ host: servers.host })
    .from(servers)
    .where(and(isNotNull(servers.host), isNull(servers.deletedAt)));
  return rows.map((r) => r.host).filter((h): h is string => !!h);
}

export async function metadataOf(db: Db, serverId: string): Promise<Record<string, string>> {
  const rows = await db.select().from(serverMetadata).where(eq(serverMetadata.serverId, serverId));
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export async function serverGroupOf(
  db: Db,
  groupId: string,
): Promise<{ id: string; policy: string } | undefined> {
  const [row] = await db
    .select({ id: serverGroups.id, policy: serverGroups.policy })
    .from(serverGroups)
    .where(eq(serverGroups.id, groupId));
  return row;
}

/** Record a finished instance action event (one write per step: start and finish times together). */
export async function recordActionEvent(
  db: Db,
  e: {
    actionId: number;
    event: string;
    host: string | null;
    startTime: Date;
    result: 'Success' | 'Error';
    traceback?: string;
  },
): Promise<void> {
  await db.insert(instanceActionEvents).values({
    actionId: e.actionId,
    event: e.event,
    host: e.host,
    startTime: e.startTime,
    finishTime: new Date(),
    result: e.result,
    traceback: e.traceback ?? null,
  });
}

/** The action is over; Nova writes message 'Error' on the action when one of its events failed. */
export async function finishAction(db: Db, actionId: number, failed: boolean): Promise<void> {
  await db
    .update(instanceActions)
    .set({ finishTime: sql`now()`, updatedAt: sql`now()`, ...(failed ? { message: 'Error' } : {}) })
    .where(eq(instanceActions.id, actionId));
}

/** Resources placed on hosts by live servers, as claimed (root + ephemeral + swap GB; tests compare them with the scheduler). */
export async function usageByHost(
  db: Db,
): Promise<Map<string, { servers: number; vcpus: number; ramMb: number; diskGb: number }>> {
  const res = await db.execute<{ host: string; n: number; vcpus: number; ram: number; disk: number }>(sql`
    SELECT host, count(*)::int AS n,
           sum((flavor->>'vcpus')::int)::int AS vcpus,
           sum((flavor->>'ramMb')::int)::int AS ram,
           sum((flavor->>'diskGb')::int + coalesce((flavor->>'ephemeralGb')::int, 0)
               + ceil(coalesce((flavor->>'swapMb')::int, 0) / 1024.0)::int)::int AS disk
      FROM compute.servers WHERE host IS NOT NULL AND deleted_at IS NULL GROUP BY host`);
  return new Map(
    res.rows.map((r) => [r.host, { servers: r.n, vcpus: r.vcpus, ramMb: r.ram, diskGb: r.disk }]),
  );
}

/** Whether a server still has an unfinished task other than `exceptTask`. */
export async function hasOtherOpenTask(db: Db, serverId: string, exceptTask: string): Promise<boolean> {
  const res = await db.execute(sql`
    SELECT 1 FROM ${serverTasks}
     WHERE server_id = ${serverId} AND id <> ${exceptTask} AND state IN ('pending', 'running') LIMIT 1`);
  return res.rows.length > 0;
}

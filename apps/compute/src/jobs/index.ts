import { nextTaskOfServer, type OutboxTiming } from '../db/tasks.repo.js';
import type { TaskDispatcher } from '../domain/tasks.js';
import { type PowerSyncOptions, startPowerSync } from '../reconcile/power-sync.js';
import { startOutboxReenqueuer } from './outbox.js';
import { startTaskQueue } from './queue.js';
import { runTask } from './run-task.js';
import type { WorkerContext } from './saga-run.js';

export { bullPrefix, jobIdOf, SERVER_TASK_QUEUE } from './queue.js';
export { runTask, type TaskOutcome } from './run-task.js';
export type { WorkerContext } from './saga-run.js';

/** Timings of the workers; the defaults suit production, tests shorten them. */
export interface ComputeWorkerOptions {
  /** Outbox re-enqueuer period (ms). */
  outboxIntervalMs: number;
  outbox: OutboxTiming;
  /** A running task touches its row this often (ms). */
  taskHeartbeatMs: number;
  /** A job blocked behind an older task of its server looks again after this long (it is usually woken first). */
  blockedDelayMs: number;
  powerSync: PowerSyncOptions | false;
}

export const defaultWorkerOptions: ComputeWorkerOptions = {
  outboxIntervalMs: 5_000,
  outbox: { pendingGraceMs: 10_000, staleRunningMs: 60_000, backoffBaseMs: 5_000, backoffMaxMs: 300_000 },
  taskHeartbeatMs: 10_000,
  blockedDelayMs: 2_000,
  powerSync: { sweepMs: 60_000, hostsRefreshMs: 5_000, reconnectMinMs: 1_000, reconnectMaxMs: 30_000 },
};

export interface ComputeWorkers {
  dispatcher: TaskDispatcher;
  /** Run one outbox sweep now (tests; `kumo` admin tooling). */
  sweepOutbox(): Promise<number>;
  /** Run one power-state sweep now. */
  sweepPower(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The compute task workers: a BullMQ queue + worker running the server sagas
 * (job `server-task-<taskId>`, concurrency from settings), the outbox
 * re-enqueuer and the power-state reconciler.
 */
export async function startComputeWorkers(
  ctx: WorkerContext,
  options: Partial<ComputeWorkerOptions> = {},
): Promise<ComputeWorkers> {
  const opts = { ...defaultWorkerOptions, ...options };
  const log = ctx.log.child({ component: 'compute-workers' });
  // after a task settles, the next one of its server (if any) runs at once
  const wakeNext = async (serverId: string) => {
    const next = await nextTaskOfServer(ctx.db, serverId);
    if (next) await queue.dispatcher.wake(next);
  };
  const queue = startTaskQueue({
    redis: ctx.redis,
    redisPrefix: ctx.rt.redisPrefix,
    concurrency: ctx.settings.workerConcurrency,
    blockedDelayMs: opts.blockedDelayMs,
    log,
    async handle(taskId) {
      const { outcome, serverId } = await runTask(ctx, taskId, { heartbeatMs: opts.taskHeartbeatMs });
      if (outcome === 'blocked') return 'blocked';
      if (serverId && outcome !== 'deferred')
        await wakeNext(serverId).catch((err) => log.warn({ err }, 'waking the next task failed'));
      return 'run';
    },
  });
  const outbox = startOutboxReenqueuer({
    db: ctx.db,
    log,
    intervalMs: opts.outboxIntervalMs,
    timing: opts.outbox,
    dispatch: (id) => queue.dispatcher.wake(id),
  });
  const power = opts.powerSync
    ? startPowerSync({ db: ctx.db, agents: ctx.agents, log, opts: opts.powerSync })
    : undefined;
  return {
    dispatcher: { dispatch: (taskId) => queue.dispatcher.dispatch(taskId) },
    sweepOutbox: () => outbox.sweep(),
    sweepPower: () => power?.sweep() ?? Promise.resolve(),
    async close() {
      await power?.close();
      await outbox.close();
      await queue.close();
    },
  };
}

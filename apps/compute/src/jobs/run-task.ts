import { claimTask, deferTask, finishTask, type ServerTaskRow, touchTask } from '../db/tasks.repo.js';
import { finishAction, loadServerRow, patchServer } from '../db/worker.repo.js';
import type { ServerFault } from '../domain/server-record.js';
import type { ServerTaskKind } from '../domain/tasks.js';
import { SagaRun, StepFailed, Superseded, type WorkerContext } from './saga-run.js';
import { buildSaga } from './sagas/build.saga.js';
import { createImageSaga } from './sagas/create-image.saga.js';
import { deleteSaga } from './sagas/delete.saga.js';
import { attachInterfaceSaga, detachInterfaceSaga } from './sagas/interface.saga.js';
import {
  pauseSaga,
  rebootSaga,
  resumeSaga,
  startSaga,
  stopSaga,
  suspendSaga,
  unpauseSaga,
} from './sagas/power.saga.js';
import { rebuildSaga } from './sagas/rebuild.saga.js';
import { confirmResizeSaga, resizeSaga, revertResizeSaga } from './sagas/resize.saga.js';

type Saga = (run: SagaRun) => Promise<void>;

const SAGAS: Record<Exclude<ServerTaskKind, 'delete'>, Saga> = {
  build: buildSaga,
  start: startSaga,
  stop: stopSaga,
  reboot: rebootSaga,
  pause: pauseSaga,
  unpause: unpauseSaga,
  suspend: suspendSaga,
  resume: resumeSaga,
  rebuild: rebuildSaga,
  resize: resizeSaga,
  confirm_resize: confirmResizeSaga,
  revert_resize: revertResizeSaga,
  create_image: createImageSaga,
  attach_interface: attachInterfaceSaga,
  detach_interface: detachInterfaceSaga,
};

/** Kinds whose failure leaves the server in ERROR with a fault (the others go back to where they were). */
const FAULTING: ReadonlySet<string> = new Set(['build', 'rebuild', 'delete']);

export type TaskOutcome = 'done' | 'failed' | 'deferred' | 'blocked' | 'skipped';

export interface RunTaskOptions {
  /** How often a running task proves it is alive (ms). */
  heartbeatMs: number;
}

/**
 * One outbox row, end to end: claim it (unless done, or another task of the
 * server runs first), run its saga, settle the server, the instance action and
 * the row. Never throws for a saga failure — only for infrastructure errors
 * (database down), which BullMQ and the re-enqueuer retry.
 */
export async function runTask(
  ctx: WorkerContext,
  taskId: string,
  opts: RunTaskOptions,
): Promise<{ outcome: TaskOutcome; serverId?: string }> {
  const claim = await claimTask(ctx.db, taskId);
  if ('skipped' in claim) return { outcome: claim.skipped === 'blocked' ? 'blocked' : 'skipped' };
  const task = claim.claimed;
  return { outcome: await runClaimed(ctx, task, opts), serverId: task.serverId };
}

async function runClaimed(
  ctx: WorkerContext,
  task: ServerTaskRow,
  opts: RunTaskOptions,
): Promise<TaskOutcome> {
  const taskId = task.id;
  const log = ctx.log.child({ taskId, serverId: task.serverId, kind: task.kind, requestId: task.requestId });
  const beat = setInterval(() => {
    touchTask(ctx.db, taskId).catch((err) => log.warn({ err }, 'task heartbeat failed'));
  }, opts.heartbeatMs);
  beat.unref();
  try {
    const server = await loadServerRow(ctx.db, task.serverId);
    if (!server) {
      await finishTask(ctx.db, taskId, 'failed', `server ${task.serverId} does not exist`);
      return 'failed';
    }
    const run = new SagaRun(ctx, task, server, log);
    // a delete accepted after this task was queued supersedes it (the delete waits for it to finish)
    if ((server.deletedAt || server.taskState === 'deleting') && task.kind !== 'delete') {
      await finishTask(ctx.db, taskId, 'done', 'superseded: the server is being deleted');
      await closeAction(ctx, task, false);
      return 'skipped';
    }
    return await execute(run, task, log);
  } finally {
    clearInterval(beat);
  }
}

async function execute(run: SagaRun, task: ServerTaskRow, log: WorkerContext['log']): Promise<TaskOutcome> {
  const { ctx } = run;
  const t0 = performance.now();
  try {
    if (task.kind === 'delete') {
      const out = await deleteSaga(run);
      run.undo.success();
      await closeAction(ctx, task, false);
      if (out !== 'done') {
        await deferTask(ctx.db, task.id, out.retry);
        return 'deferred';
      }
    } else {
      const saga = SAGAS[task.kind as keyof typeof SAGAS];
      if (!saga) throw new StepFailed('dispatch', `unknown task kind ${task.kind}`, false);
      await saga(run);
      run.undo.success();
      await closeAction(ctx, task, false);
    }
    await finishTask(ctx.db, task.id, 'done');
    log.info({ ms: Math.round(performance.now() - t0) }, 'server task done');
    return 'done';
  } catch (err) {
    const undoFailed = await run.undo.fail(log);
    if (err instanceof Superseded) {
      // a delete (or another actor) took the server over: its own task settles it
      log.info({ err: err.message }, 'server task superseded');
      await closeAction(ctx, task, false);
      await finishTask(ctx.db, task.id, 'done', err.message);
      return 'done';
    }
    const message = failureMessage(task, err, undoFailed);
    log.warn({ err: err instanceof StepFailed ? err.message : err }, 'server task failed');
    await settleFailure(run, task, message);
    await closeAction(ctx, task, true);
    await finishTask(ctx.db, task.id, 'failed', message);
    return 'failed';
  }
}

function failureMessage(task: ServerTaskRow, err: unknown, undoFailed: string[]): string {
  const what = err instanceof Error ? err.message : String(err);
  const detail = err instanceof StepFailed && err.step === 'claim' ? what : null;
  const base =
    detail ??
    (task.kind === 'build'
      ? `Build of instance ${task.serverId} aborted: ${what}`
      : `${task.kind} of instance ${task.serverId} failed: ${what}`);
  return undoFailed.length ? `${base} (cleanup incomplete: ${undoFailed.join(', ')})` : base;
}

async function settleFailure(run: SagaRun, task: ServerTaskRow, message: string): Promise<void> {
  const { ctx } = run;
  if (FAULTING.has(task.kind)) {
    const fault: ServerFault = { code: 500, message, created: new Date().toISOString() };
    await patchServer(
      ctx.db,
      task.serverId,
      { vmState: 'error', taskState: null, fault },
      { notDeleted: true },
    );
    return;
  }
  // back to the state it rested in; the action event says Error
  await patchServer(
    ctx.db,
    task.serverId,
    { taskState: null },
    { taskState: run.taskState, notDeleted: true },
  );
}

async function closeAction(ctx: WorkerContext, task: ServerTaskRow, failed: boolean): Promise<void> {
  if (task.actionId != null) await finishAction(ctx.db, task.actionId, failed);
}

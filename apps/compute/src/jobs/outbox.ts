import type { Logger } from '@kumo/service-kit';
import type { Db } from '../context.js';
import { dueTasks, type OutboxTiming } from '../db/tasks.repo.js';

/**
 * The outbox re-enqueuer: every `intervalMs`, rows left pending (never
 * enqueued: Redis lost, a crash between commit and dispatch; or deferred with
 * backoff) or running without a heartbeat (their worker died) are dispatched
 * again. Dispatching twice is harmless: the job id is the task id and the
 * claim is a compare-and-swap.
 */
export function startOutboxReenqueuer(o: {
  db: Db;
  log: Logger;
  intervalMs: number;
  timing: OutboxTiming;
  dispatch: (taskId: string) => Promise<void>;
}): { close(): Promise<void>; sweep(): Promise<number> } {
  let running: Promise<number> | undefined;
  const sweep = (): Promise<number> => {
    running ??= (async () => {
      const ids = await dueTasks(o.db, o.timing);
      for (const id of ids) await o.dispatch(id);
      if (ids.length) o.log.info({ count: ids.length }, 'outbox: tasks re-enqueued');
      return ids.length;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    sweep().catch((err) => o.log.warn({ err }, 'outbox sweep failed'));
  }, o.intervalMs);
  timer.unref();
  return {
    sweep,
    async close() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

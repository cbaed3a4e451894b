import type { Logger } from '@kumo/service-kit';
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TaskDispatcher } from '../domain/tasks.js';

export const SERVER_TASK_QUEUE = 'compute-server-tasks';

/**
 * BullMQ job id of an outbox row. BullMQ refuses custom ids with one ':'
 * (its repeat-job format), so the brief's `server-task:<id>` is spelled
 * `server-task-<id>`.
 */
export const jobIdOf = (taskId: string) => `server-task-${taskId}`;

/** The BullMQ key prefix under the runtime's Redis prefix (`<prefix>bull:<queue>:…`). */
export function bullPrefix(redisPrefix: string): string {
  return redisPrefix.endsWith(':') ? `${redisPrefix}bull` : `${redisPrefix}:bull`;
}

export interface TaskQueue {
  dispatcher: TaskDispatcher & {
    /** Run `taskId` soon: enqueue it, or wake it when it waits delayed behind another task of its server. */
    wake(taskId: string): Promise<void>;
  };
  close(): Promise<void>;
}

export type Handler = (taskId: string) => Promise<'run' | 'blocked'>;

/**
 * One queue and one worker. A job carries only the task id (the row is the
 * truth); a job whose server is busy with an older task waits delayed and is
 * woken when that task settles.
 */
export function startTaskQueue(o: {
  redis: Redis;
  redisPrefix: string;
  concurrency: number;
  /** How long a blocked job waits before it looks again (it is woken earlier when possible). */
  blockedDelayMs: number;
  handle: Handler;
  log: Logger;
}): TaskQueue {
  const prefix = bullPrefix(o.redisPrefix);
  const queue = new Queue(SERVER_TASK_QUEUE, {
    connection: o.redis,
    prefix,
    defaultJobOptions: {
      removeOnComplete: true,
      removeOnFail: true,
      attempts: 5,
      backoff: { type: 'exponential', delay: 1_000 },
    },
  });
  const worker = new Worker(
    SERVER_TASK_QUEUE,
    async (job: Job<{ taskId: string }>, token?: string) => {
      const res = await o.handle(job.data.taskId);
      if (res === 'blocked') {
        await job.moveToDelayed(Date.now() + o.blockedDelayMs, token);
        throw new DelayedError();
      }
    },
    { connection: o.redis, prefix, concurrency: o.concurrency },
  );
  worker.on('error', (err) => o.log.warn({ err }, 'task worker error'));
  worker.on('failed', (job, err) =>
    o.log.warn(
      { err, jobId: job?.id },
      'task job failed (BullMQ retries it; the outbox re-enqueuer backs it up)',
    ),
  );
  const add = (taskId: string) => queue.add('server-task', { taskId }, { jobId: jobIdOf(taskId) });
  return {
    dispatcher: {
      async dispatch(taskId) {
        await add(taskId);
      },
      async wake(taskId) {
        const job = await queue.getJob(jobIdOf(taskId));
        if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
        else if (!job) await add(taskId);
      },
    },
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}

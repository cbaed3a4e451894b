import type { ServiceRuntime } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import { buildComputeApp } from './app.js';
import type { ComputeEnv } from './config.js';
import type { ComputeContext } from './context.js';
import { type ComputeDepsOptions, createComputeContext } from './deps.js';
import { startComputeWorkers } from './jobs/index.js';

export interface ComputeService {
  app: FastifyInstance;
  ctx: ComputeContext;
  close(): Promise<void>;
}

/**
 * Build the compute service on the shared runtime: connections, clients,
 * policy, the task workers (BullMQ + outbox + power-state reconciler) and the
 * Nova app. Does not listen.
 */
export async function createComputeService(
  rt: ServiceRuntime,
  env: ComputeEnv,
  opts: ComputeDepsOptions = {},
): Promise<ComputeService> {
  const base = await createComputeContext(rt, env, opts);
  let workers: Awaited<ReturnType<typeof startComputeWorkers>> | undefined;
  try {
    workers = await startComputeWorkers(base.ctx);
    const ctx: ComputeContext = { ...base.ctx, tasks: workers.dispatcher };
    const app = buildComputeApp(ctx);
    const started = workers;
    return {
      app,
      ctx,
      async close() {
        await app.close();
        await started.close();
        await base.close();
      },
    };
  } catch (err) {
    await workers?.close();
    await base.close();
    throw err;
  }
}

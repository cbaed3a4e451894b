import { createServiceApp, type Logger, type TokenValidator } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Pool } from './db/tx.js';
import { aggregatesRoutes } from './routes/aggregates.routes.js';
import { allocationsRoutes } from './routes/allocations.routes.js';
import type { RouteContext } from './routes/context.js';
import { hostsRoutes } from './routes/hosts.routes.js';

/** The scheduler's REST app (Kumo-native, token auth). Never listens. */
export function buildSchedulerApp(
  ctx: RouteContext & { log: Logger; validator: TokenValidator; pool: Pool },
): FastifyInstance {
  const app = createServiceApp({
    service: 'scheduler',
    logger: ctx.log,
    errorFormat: 'kumo',
    validator: ctx.validator,
    readiness: async () => {
      await ctx.pool.query('SELECT 1');
    },
  });
  allocationsRoutes(app, ctx);
  hostsRoutes(app, ctx);
  aggregatesRoutes(app, ctx);
  return app;
}

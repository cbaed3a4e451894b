import { createServiceApp } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ComputeContext } from './context.js';
import { registerMicroversions } from './http/microversion.js';
import { computeRoutes } from './routes/index.js';

/** The compute (Nova v2.1) app. Never listens: the caller does, tests inject. */
export function buildComputeApp(ctx: ComputeContext): FastifyInstance {
  const app = createServiceApp({
    service: 'compute',
    logger: ctx.log,
    errorFormat: 'nova',
    validator: ctx.validator,
    authUri: `${ctx.rt.urls.identity.replace(/\/+$/, '')}/v3`,
    readiness: async () => {
      await ctx.pool.query('SELECT 1');
    },
  });
  registerMicroversions(app);
  // Nova answers every request with its id under both names; instance actions record it (`request_id`)
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-compute-request-id', req.id);
  });
  computeRoutes(app, ctx);
  return app;
}

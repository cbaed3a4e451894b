import { createServiceApp } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import type { IdentityContext } from './context.js';
import { identityRoutes } from './routes/index.js';

/** The identity (Keystone v3) app. Never listens: the caller does, tests inject. */
export function buildIdentityApp(ctx: IdentityContext, opts: { authUri?: string } = {}): FastifyInstance {
  const app = createServiceApp({
    service: 'identity',
    logger: ctx.log,
    errorFormat: 'keystone',
    validator: ctx.validator,
    authUri: opts.authUri,
    readiness: async () => {
      await ctx.pool.query('SELECT 1');
    },
  });
  identityRoutes(app, ctx);
  return app;
}

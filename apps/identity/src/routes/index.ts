import type { FastifyInstance } from 'fastify';
import type { IdentityContext } from '../context.js';
import { authRoutes } from './auth.routes.js';
import { domainRoutes } from './domains.routes.js';
import { projectRoutes } from './projects.routes.js';
import { versionRoutes } from './versions.routes.js';

/** Every identity route, one file per resource. */
export function identityRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  versionRoutes(app);
  authRoutes(app, ctx);
  domainRoutes(app, ctx);
  projectRoutes(app, ctx);
}

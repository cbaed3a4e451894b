import type { FastifyInstance } from 'fastify';
import type { ComputeContext } from '../context.js';
import { aggregateRoutes } from './aggregates.routes.js';
import { auditLogRoutes } from './audit-log.routes.js';
import { diagnosticsRoutes } from './diagnostics.routes.js';
import { externalEventRoutes } from './external-events.routes.js';
import { hostRoutes } from './hosts.routes.js';
import { migrationRoutes } from './migrations.routes.js';
import { quotaClassRoutes } from './quotas.routes.js';

/**
 * The operator APIs: os-aggregates, os-hosts, os-migrations,
 * os-server-external-events, os-instance_usage_audit_log, server
 * diagnostics and os-quota-class-sets.
 */
export function adminRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  aggregateRoutes(app, ctx);
  hostRoutes(app, ctx);
  migrationRoutes(app, ctx);
  externalEventRoutes(app, ctx);
  auditLogRoutes(app, ctx);
  diagnosticsRoutes(app, ctx);
  quotaClassRoutes(app, ctx);
}

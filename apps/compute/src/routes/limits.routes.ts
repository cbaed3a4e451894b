import { callerOf } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ComputeContext } from '../context.js';
import { usageFor } from '../db/quota-usage.repo.js';
import { countServerGroups } from '../db/server-groups.repo.js';
import { q } from '../http/nova-request.js';
import { absoluteLimitsView } from '../views/quotas.view.js';
import { networkUsage, withNetworkLimits } from './quota-network.js';
import { allLimits } from './quotas.routes.js';

/** `GET /limits`: the caller's project's absolute limits and usage (an admin may name `tenant_id`). */
export function limitRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get('/v2.1/limits', async (req) => {
    const t = callerOf(req);
    const other = q(req, 'tenant_id');
    const projectId = other ?? t.project?.id ?? '';
    ctx.policy.authorize('os_compute_api:limits', t, { project_id: projectId });
    if (other !== undefined && other !== t.project?.id)
      ctx.policy.authorize('os_compute_api:limits:other_project', t, { project_id: projectId });
    const [limits, servers, serverGroups, net] = await Promise.all([
      allLimits(ctx, projectId).then((l) => withNetworkLimits(ctx, req, projectId, l)),
      usageFor(ctx.db, projectId),
      countServerGroups(ctx.db, projectId),
      networkUsage(ctx, req, projectId),
    ]);
    return {
      limits: {
        rate: [],
        absolute: absoluteLimitsView(req, limits, {
          ...servers,
          serverGroups,
          securityGroups: net.security_groups ?? 0,
          floatingIps: net.floating_ips ?? 0,
        }),
      },
    };
  });
}

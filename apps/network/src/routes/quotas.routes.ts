import { KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NetworkContext } from '../context.js';
import {
  DEFAULT_QUOTAS,
  listQuotaSets,
  QUOTA_RESOURCES,
  type QuotaResource,
  type QuotaSet,
  quotaSetOf,
  resetQuotas,
  setQuotas,
  usageOf,
} from '../db/quotas.repo.js';
import { bool, int, parseAttrs, resourceBody } from '../domain/attrs.js';
import { callerFrom } from './common.js';

type Params = { Params: { project: string } };

const quotaShape = {
  ...Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, int(-1, 2_147_483_647)])),
  force: bool,
  check_limit: bool,
} as Record<QuotaResource | 'force' | 'check_limit', (v: unknown, a: string) => number | boolean>;

const adminOnly = () =>
  new KumoError('forbidden', 'Only admin can view or configure quota', { type: 'AdminRequired' });

/** Callers see their own project's quotas; admins any project's. */
function mayRead(ctx: NetworkContext, req: FastifyRequest<Params>): void {
  const c = callerFrom(ctx, req);
  if (!c.isAdmin && c.projectId !== req.params.project) {
    throw new KumoError('forbidden', 'Non-admin is not authorized to access quotas for another project', {
      type: 'AdminRequired',
    });
  }
}

const setView = (projectId: string, set: QuotaSet) => ({
  ...set,
  project_id: projectId,
  tenant_id: projectId,
});

export function quotasRoutes(app: FastifyInstance, ctx: NetworkContext): void {
  app.get('/v2.0/quotas', async (req) => {
    if (!callerFrom(ctx, req).isAdmin) throw adminOnly();
    return { quotas: (await listQuotaSets(ctx.db)).map((q) => setView(q.projectId, q.set)) };
  });

  app.get<Params>('/v2.0/quotas/:project', async (req) => {
    mayRead(ctx, req);
    return { quota: await quotaSetOf(ctx.db, req.params.project) };
  });

  app.get<Params>('/v2.0/quotas/:project/default', async (req) => {
    mayRead(ctx, req);
    return { quota: { ...DEFAULT_QUOTAS } };
  });

  const details = async (req: FastifyRequest<Params>) => {
    mayRead(ctx, req);
    const set = await quotaSetOf(ctx.db, req.params.project);
    const out: Record<string, { used: number; limit: number; reserved: number }> = {};
    for (const r of QUOTA_RESOURCES) {
      out[r] = { used: await usageOf(ctx.db, req.params.project, r), limit: set[r], reserved: 0 };
    }
    return { quota: out };
  };
  app.get<Params>('/v2.0/quotas/:project/details', details);
  app.get<Params>('/v2.0/quotas/:project/details.json', details);

  app.put<Params>('/v2.0/quotas/:project', async (req) => {
    if (!callerFrom(ctx, req).isAdmin) throw adminOnly();
    const a = parseAttrs(resourceBody(req.body, 'quota'), quotaShape);
    const values: Partial<QuotaSet> = {};
    for (const r of QUOTA_RESOURCES) if (a[r] !== undefined) values[r] = a[r] as number;
    await setQuotas(ctx.db, req.params.project, values);
    return { quota: await quotaSetOf(ctx.db, req.params.project) };
  });

  app.delete<Params>('/v2.0/quotas/:project', async (req, reply) => {
    if (!callerFrom(ctx, req).isAdmin) throw adminOnly();
    await resetQuotas(ctx.db, req.params.project);
    return reply.code(204).send();
  });
}

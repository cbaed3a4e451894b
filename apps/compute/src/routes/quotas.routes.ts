import { callerOf, invalid } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ComputeContext } from '../context.js';
import { countKeypairs } from '../db/keypairs.repo.js';
import { lockProjectQuota, usageFor } from '../db/quota-usage.repo.js';
import {
  classDefaults,
  deleteQuotas,
  quotaClassLimits,
  quotaLimits,
  setQuotaClass,
  setQuotas,
} from '../db/quotas.repo.js';
import { countServerGroups } from '../db/server-groups.repo.js';
import { atLeast } from '../http/microversion.js';
import { parseBody } from '../http/nova-request.js';
import {
  type AnyQuota,
  LEGACY_QUOTA_DEFAULTS,
  quotaDetailView,
  quotaKeys,
  quotaSetView,
} from '../views/quotas.view.js';
import { novaBool } from './flavors.schemas.js';
import { networkUsage, resetNetworkLimits, setNetworkLimits, withNetworkLimits } from './quota-network.js';

type ProjectParams = { Params: { project_id: string } };

const quotaValue = z
  .union([z.number(), z.string().regex(/^\s*-?\d+\s*$/, 'must be an integer')])
  .transform((v) => Number(v))
  .pipe(z.number().int('must be an integer').min(-1, 'must be -1 (unlimited) or more').max(2_147_483_647));

const updateSchema = (keys: AnyQuota[]) =>
  z.object({
    quota_set: z.strictObject({
      ...Object.fromEntries(keys.map((k) => [k, quotaValue.optional()])),
      force: novaBool.optional(),
    }),
  });

/** What the project uses of each enforced resource (for `detail` and the update check). */
export async function quotaUsage(
  ctx: ComputeContext,
  projectId: string,
  userId: string | undefined,
): Promise<Partial<Record<AnyQuota, number>>> {
  const [servers, groups, keys] = await Promise.all([
    usageFor(ctx.db, projectId),
    countServerGroups(ctx.db, projectId),
    userId ? countKeypairs(ctx.db, userId) : Promise.resolve(0),
  ]);
  return { ...servers, server_groups: groups, key_pairs: keys };
}

/** The keys os-quota-class-sets shows: network ones until 2.50, server groups from it, files until 2.57. */
function classKeys(req: FastifyRequest): AnyQuota[] {
  const keys: AnyQuota[] = ['instances', 'cores', 'ram', 'metadata_items', 'key_pairs'];
  if (atLeast(req, '2.50')) keys.push('server_groups', 'server_group_members');
  else keys.push('floating_ips', 'fixed_ips', 'security_groups', 'security_group_rules');
  if (!atLeast(req, '2.57'))
    keys.push('injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes');
  return keys;
}

type ClassParams = { Params: { id: string } };

/**
 * os-quota-class-sets (admin): class `default` holds the limits every project
 * without its own gets (over the configured defaults); other classes are
 * stored and shown but apply to nobody, as in Nova.
 */
export function quotaClassRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const authorize = (req: FastifyRequest, action: string) =>
    ctx.policy.authorize(`os_compute_api:os-quota-class-sets:${action}`, callerOf(req));
  const limits = async (req: FastifyRequest, cls: string) => {
    const base = { ...ctx.settings.quotaDefaults, ...LEGACY_QUOTA_DEFAULTS } as Record<AnyQuota, number>;
    const defaults = await classDefaults(ctx.db, base);
    const all = cls === 'default' ? defaults : await quotaClassLimits(ctx.db, cls, defaults);
    return Object.fromEntries(classKeys(req).map((k) => [k, all[k]]));
  };
  const className = (id: string) => {
    if (id.length < 1 || id.length > 255) throw invalid(`Invalid quota class name '${id}'.`);
    return id;
  };

  app.get<ClassParams>('/v2.1/os-quota-class-sets/:id', async (req) => {
    authorize(req, 'show');
    const id = className(req.params.id);
    return { quota_class_set: { id, ...(await limits(req, id)) } };
  });

  app.put<ClassParams>('/v2.1/os-quota-class-sets/:id', async (req) => {
    authorize(req, 'update');
    const id = className(req.params.id);
    const schema = z.object({
      quota_class_set: z.strictObject(
        Object.fromEntries(classKeys(req).map((k) => [k, quotaValue.optional()])),
      ),
    });
    const { quota_class_set: values } = parseBody(schema, req.body) as {
      quota_class_set: Record<string, number>;
    };
    await setQuotaClass(ctx.db, id, values);
    return { quota_class_set: await limits(req, id) };
  });
}

export const allLimits = (ctx: ComputeContext, projectId: string) =>
  quotaLimits<AnyQuota>(ctx.db, projectId, { ...ctx.settings.quotaDefaults, ...LEGACY_QUOTA_DEFAULTS });

/** os-quota-sets: a project's limits (show, detail, defaults), set and reset by admins. */
export function quotaRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const { db, policy } = ctx;
  const authorize = (req: FastifyRequest<ProjectParams>, action: string) =>
    policy.authorize(`os_compute_api:os-quota-sets:${action}`, callerOf(req), {
      project_id: req.params.project_id,
    });

  app.get<ProjectParams>('/v2.1/os-quota-sets/:project_id', async (req) => {
    authorize(req, 'show');
    const limits = await withNetworkLimits(
      ctx,
      req,
      req.params.project_id,
      await allLimits(ctx, req.params.project_id),
    );
    return { quota_set: { id: req.params.project_id, ...quotaSetView(req, limits) } };
  });

  app.get<ProjectParams>('/v2.1/os-quota-sets/:project_id/defaults', async (req) => {
    authorize(req, 'defaults');
    const stored = await classDefaults(ctx.db, { ...ctx.settings.quotaDefaults, ...LEGACY_QUOTA_DEFAULTS });
    const defaults = await withNetworkLimits(ctx, req, req.params.project_id, stored, 'defaults');
    return { quota_set: { id: req.params.project_id, ...quotaSetView(req, defaults) } };
  });

  app.get<ProjectParams>('/v2.1/os-quota-sets/:project_id/detail', async (req) => {
    authorize(req, 'detail');
    const t = callerOf(req);
    const pid = req.params.project_id;
    const [limits, used, netUsed] = await Promise.all([
      allLimits(ctx, pid).then((l) => withNetworkLimits(ctx, req, pid, l)),
      quotaUsage(ctx, pid, t.project?.id === pid ? t.user.id : undefined),
      networkUsage(ctx, req, pid),
    ]);
    return { quota_set: { id: pid, ...quotaDetailView(req, limits, { ...used, ...netUsed }) } };
  });

  app.put<ProjectParams>('/v2.1/os-quota-sets/:project_id', async (req) => {
    authorize(req, 'update');
    const pid = req.params.project_id;
    if (!/^[\w-]{1,255}$/.test(pid)) throw invalid(`Invalid project id '${pid}'.`);
    const { quota_set: b } = parseBody(updateSchema(quotaKeys(req)), req.body) as {
      quota_set: Partial<Record<AnyQuota, number>> & { force?: boolean };
    };
    const { force, ...values } = b;
    await db.transaction(async (tx) => {
      // the same lock server creation takes: a limit cannot drop under a create in flight
      await lockProjectQuota(tx, pid);
      if (!force) {
        const used = await usageFor(tx, pid);
        for (const k of ['instances', 'cores', 'ram'] as const) {
          const v = values[k];
          if (v !== undefined && v !== -1 && v < used[k])
            throw invalid(
              `Quota limit ${v} for ${k} must be greater than or equal to already used and reserved ${used[k]}.`,
            );
        }
      }
      await setQuotas(tx, pid, values as Record<string, number>);
    });
    await setNetworkLimits(ctx, req, pid, values);
    return {
      quota_set: quotaSetView(req, await withNetworkLimits(ctx, req, pid, await allLimits(ctx, pid))),
    };
  });

  app.delete<ProjectParams>('/v2.1/os-quota-sets/:project_id', async (req, reply) => {
    authorize(req, 'delete');
    await deleteQuotas(db, req.params.project_id);
    await resetNetworkLimits(ctx, req.params.project_id);
    return reply.code(202).send();
  });
}

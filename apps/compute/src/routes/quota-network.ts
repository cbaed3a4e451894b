import type { FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { atLeast } from '../http/microversion.js';
import type { AnyQuota } from '../views/quotas.view.js';

/**
 * Nova's network quota keys (shown below 2.36) are the network service's:
 * read from and written to its quotas, so `openstack quota show` and Neutron
 * agree. Without a network service, or when it does not answer a read, the
 * values compute stores are shown.
 */
const NEUTRON_KEY = {
  security_groups: 'security_group',
  security_group_rules: 'security_group_rule',
  floating_ips: 'floatingip',
} as const satisfies Partial<Record<AnyQuota, string>>;
type NetworkQuotaKey = keyof typeof NEUTRON_KEY;
const KEYS = Object.keys(NEUTRON_KEY) as NetworkQuotaKey[];

const wanted = (ctx: ComputeContext, req: FastifyRequest) => !!ctx.network && !atLeast(req, '2.36');

/** The limits with the network keys from the network service (`which`: the project's or the defaults). */
export async function withNetworkLimits<T extends Record<AnyQuota, number>>(
  ctx: ComputeContext,
  req: FastifyRequest,
  projectId: string,
  limits: T,
  which: 'project' | 'defaults' = 'project',
): Promise<T> {
  if (!wanted(ctx, req)) return limits;
  try {
    const token = await ctx.rt.serviceToken();
    const q =
      which === 'defaults'
        ? await ctx.network!.getQuotaDefaults(token, projectId)
        : await ctx.network!.getQuota(token, projectId);
    const out = { ...limits };
    for (const k of KEYS)
      if (typeof q[NEUTRON_KEY[k]] === 'number') out[k] = q[NEUTRON_KEY[k]] as T[typeof k];
    return out;
  } catch (err) {
    ctx.log.warn({ err, projectId }, 'network quotas unavailable: showing compute-stored values');
    return limits;
  }
}

/** What the project uses of the network keys (security groups, rules, floating IPs). */
export async function networkUsage(
  ctx: ComputeContext,
  req: FastifyRequest,
  projectId: string,
): Promise<Partial<Record<NetworkQuotaKey, number>>> {
  if (!wanted(ctx, req)) return {};
  try {
    const d = await ctx.network!.getQuotaDetails(await ctx.rt.serviceToken(), projectId);
    return Object.fromEntries(KEYS.map((k) => [k, d[NEUTRON_KEY[k]]?.used ?? 0]));
  } catch (err) {
    ctx.log.warn({ err, projectId }, 'network quota usage unavailable');
    return {};
  }
}

/** Forward an update's network keys to the network service (compute stores them too). */
export async function setNetworkLimits(
  ctx: ComputeContext,
  req: FastifyRequest,
  projectId: string,
  values: Partial<Record<AnyQuota, number>>,
): Promise<void> {
  if (!wanted(ctx, req)) return;
  const quota: Record<string, number> = {};
  for (const k of KEYS) if (values[k] !== undefined) quota[NEUTRON_KEY[k]] = values[k];
  if (Object.keys(quota).length)
    await ctx.network!.updateQuota(await ctx.rt.serviceToken(), projectId, quota);
}

/** A quota reset resets the network service's limits too. */
export async function resetNetworkLimits(ctx: ComputeContext, projectId: string): Promise<void> {
  if (!ctx.network) return;
  await ctx.network.resetQuota(await ctx.rt.serviceToken(), projectId).catch((err: unknown) => {
    if ((err as { kind?: string }).kind !== 'not_found') throw err;
  });
}

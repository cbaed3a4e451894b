import { KumoError } from '@kumo/service-kit';

/** What a project's servers use (non-deleted servers, by their flavor). */
export interface ServerUsage {
  instances: number;
  cores: number;
  ram: number;
}

/** Per-project limits; -1 is unlimited. */
export type ServerLimits = ServerUsage;

const RESOURCES = ['instances', 'cores', 'ram'] as const;

/**
 * How many servers of `each` (per-server cores/ram) fit under the limits,
 * between min and max (Nova's multi-create: as many as fit, at least min).
 * Throws Nova's 403 "Quota exceeded for …" when fewer than min fit.
 */
export function fitCount(
  usage: ServerUsage,
  limits: ServerLimits,
  each: { cores: number; ram: number },
  min: number,
  max: number,
): number {
  const per = { instances: 1, cores: each.cores, ram: each.ram };
  let fit = max;
  for (const r of RESOURCES) {
    const limit = limits[r];
    if (limit < 0 || per[r] === 0) continue;
    fit = Math.min(fit, Math.max(0, Math.floor((limit - usage[r]) / per[r])));
  }
  if (fit >= min) return fit;
  const overs = RESOURCES.filter((r) => limits[r] >= 0 && usage[r] + per[r] * min > limits[r]);
  const r = overs[0] ?? 'instances';
  throw quotaExceeded(overs.join(', ') || r, per[r] * min, usage[r], limits[r]);
}

/** A resize changes cores/ram by the flavor delta: refuse it when the delta does not fit. */
export function checkResizeQuota(
  usage: ServerUsage,
  limits: ServerLimits,
  delta: { cores: number; ram: number },
): void {
  for (const r of ['cores', 'ram'] as const) {
    if (limits[r] < 0 || delta[r] <= 0) continue;
    if (usage[r] + delta[r] > limits[r]) throw quotaExceeded(r, delta[r], usage[r], limits[r]);
  }
}

export const quotaExceeded = (what: string, requested: number, used: number, allowed: number) =>
  new KumoError(
    'forbidden',
    `Quota exceeded for ${what}: Requested ${requested}, but already used ${used} of ${allowed} ${what}`,
  );

/** Metadata items per server (Nova's metadata_items quota). */
export function checkMetadataQuota(count: number, limit: number): void {
  if (limit >= 0 && count > limit)
    throw new KumoError(
      'forbidden',
      `Quota exceeded for metadata_items: ${count} items, at most ${limit} allowed`,
    );
}

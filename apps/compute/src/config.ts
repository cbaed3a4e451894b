import { envInt } from '@kumo/service-kit';
import { z } from 'zod';

/** The compute service's own settings (KUMO_COMPUTE_*), parsed once at start. */
export const computeConfigSchema = z.object({
  KUMO_COMPUTE_PORT: envInt(8774, 1, 65535),
  /** Default quotas per project (Nova's defaults). -1 is unlimited. */
  KUMO_COMPUTE_QUOTA_INSTANCES: envInt(10, -1, 1_000_000),
  KUMO_COMPUTE_QUOTA_CORES: envInt(20, -1, 10_000_000),
  KUMO_COMPUTE_QUOTA_RAM_MB: envInt(51_200, -1, 2_000_000_000),
  KUMO_COMPUTE_QUOTA_KEY_PAIRS: envInt(100, -1, 1_000_000),
  KUMO_COMPUTE_QUOTA_SERVER_GROUPS: envInt(10, -1, 1_000_000),
  KUMO_COMPUTE_QUOTA_SERVER_GROUP_MEMBERS: envInt(10, -1, 1_000_000),
  KUMO_COMPUTE_QUOTA_METADATA_ITEMS: envInt(128, -1, 1_000_000),
  /** Concurrent server tasks per compute process. */
  KUMO_COMPUTE_WORKER_CONCURRENCY: envInt(50, 1, 10_000),
  /** How long a stop/reboot waits for the guest before forcing it. */
  KUMO_COMPUTE_SHUTDOWN_TIMEOUT_S: envInt(60, 0, 3600),
});
export type ComputeEnv = z.infer<typeof computeConfigSchema>;

export interface ComputeSettings {
  port: number;
  quotaDefaults: Record<QuotaResource, number>;
  workerConcurrency: number;
  shutdownTimeoutMs: number;
}

export const QUOTA_RESOURCES = [
  'instances',
  'cores',
  'ram',
  'key_pairs',
  'server_groups',
  'server_group_members',
  'metadata_items',
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

export function computeSettings(e: ComputeEnv): ComputeSettings {
  return {
    port: e.KUMO_COMPUTE_PORT,
    quotaDefaults: {
      instances: e.KUMO_COMPUTE_QUOTA_INSTANCES,
      cores: e.KUMO_COMPUTE_QUOTA_CORES,
      ram: e.KUMO_COMPUTE_QUOTA_RAM_MB,
      key_pairs: e.KUMO_COMPUTE_QUOTA_KEY_PAIRS,
      server_groups: e.KUMO_COMPUTE_QUOTA_SERVER_GROUPS,
      server_group_members: e.KUMO_COMPUTE_QUOTA_SERVER_GROUP_MEMBERS,
      metadata_items: e.KUMO_COMPUTE_QUOTA_METADATA_ITEMS,
    },
    workerConcurrency: e.KUMO_COMPUTE_WORKER_CONCURRENCY,
    shutdownTimeoutMs: e.KUMO_COMPUTE_SHUTDOWN_TIMEOUT_S * 1000,
  };
}

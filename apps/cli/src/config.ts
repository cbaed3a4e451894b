import { computeConfigSchema } from '@kumo/compute';
import { identityConfigSchema, identitySettings } from '@kumo/identity';
import { imageConfigSchema } from '@kumo/image';
import { networkConfigSchema } from '@kumo/network';
import { schedulerConfigSchema } from '@kumo/scheduler';
import { envBool, envInt, loadConfig, type ServiceUrls } from '@kumo/service-kit';
import { z } from 'zod';

/** Every Kumo setting, from the environment, parsed once at start. */
export const kumoConfigSchema = z
  .object({
    KUMO_HOME: z.string().min(1).default('/var/lib/kumo'),
    KUMO_DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/kumo'),
    KUMO_REDIS_URL: z.string().url().default('redis://127.0.0.1:6379/0'),
    KUMO_REDIS_PREFIX: z.string().default('kumo:'),
    KUMO_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    KUMO_BIND_HOST: z.string().default('0.0.0.0'),
    /** The host name or address clients use; goes into the service catalog. */
    KUMO_PUBLIC_HOST: z.string().default('127.0.0.1'),
    KUMO_REGION: z.string().min(1).max(255).default('RegionOne'),
    KUMO_IDENTITY_PORT: envInt(5000, 1, 65535),
    KUMO_ADMIN_PASSWORD: z.string().min(1).optional(),
    KUMO_DEMO_PASSWORD: z.string().min(1).optional(),
    /** The password of the `kumo-service` user the services call each other as. */
    KUMO_SERVICE_PASSWORD: z.string().min(1).optional(),
    /** `kumo up` also runs this host's agent in its process (the all-in-one). */
    KUMO_LOCAL_AGENT: envBool(true),
    /**
     * `kumo up` / `kumo serve network` runs OVN central (NB + SB ovsdb-server, ovn-northd) on this host,
     * under <KUMO_HOME>/ovn, unless KUMO_OVN_NB_CONNECTION points at an existing one.
     */
    KUMO_OVN_NB_PORT: envInt(6641, 1, 65535),
    KUMO_OVN_SB_PORT: envInt(6642, 1, 65535),
    /** Where chassis reach the southbound DB (default: this host's KUMO_PUBLIC_HOST). */
    KUMO_OVN_SB_ADDRESS: z.string().min(1).optional(),
  })
  .extend(identityConfigSchema.shape)
  .extend(imageConfigSchema.shape)
  .extend(schedulerConfigSchema.shape)
  .extend(computeConfigSchema.shape)
  .extend(networkConfigSchema.shape);

export type KumoEnv = z.infer<typeof kumoConfigSchema>;

export interface KumoConfig {
  env: KumoEnv;
  identity: ReturnType<typeof identitySettings>;
  identityUrl: string;
  /** Public base URLs (catalog, links). */
  urls: ServiceUrls;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): KumoConfig {
  const parsed = loadConfig(kumoConfigSchema, env);
  const base = (port: number) => `http://${parsed.KUMO_PUBLIC_HOST}:${port}`;
  const urls: ServiceUrls = {
    identity: base(parsed.KUMO_IDENTITY_PORT),
    image: base(parsed.KUMO_IMAGE_PORT),
    compute: base(parsed.KUMO_COMPUTE_PORT),
    scheduler: base(parsed.KUMO_SCHEDULER_PORT),
    network: base(parsed.KUMO_NETWORK_PORT),
  };
  return {
    env: parsed,
    identity: identitySettings(parsed, parsed.KUMO_HOME, parsed.KUMO_REGION),
    identityUrl: urls.identity,
    urls,
  };
}

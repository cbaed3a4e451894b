import { identityConfigSchema, identitySettings } from '@kumo/identity';
import { envInt, loadConfig } from '@kumo/service-kit';
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
  })
  .extend(identityConfigSchema.shape);

export type KumoEnv = z.infer<typeof kumoConfigSchema>;

export interface KumoConfig {
  env: KumoEnv;
  identity: ReturnType<typeof identitySettings>;
  identityUrl: string;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): KumoConfig {
  const parsed = loadConfig(kumoConfigSchema, env);
  return {
    env: parsed,
    identity: identitySettings(parsed, parsed.KUMO_HOME, parsed.KUMO_REGION),
    identityUrl: `http://${parsed.KUMO_PUBLIC_HOST}:${parsed.KUMO_IDENTITY_PORT}`,
  };
}

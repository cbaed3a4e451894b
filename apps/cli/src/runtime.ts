import { SERVICE_USER } from '@kumo/identity';
import { createLogger, passwordServiceToken, type ServiceRuntime } from '@kumo/service-kit';
import type { KumoConfig } from './config.js';

/** The runtime one service of this process gets: shared settings, its logger, service-to-service auth. */
export function serviceRuntime(cfg: KumoConfig, service: string): ServiceRuntime {
  const password = cfg.env.KUMO_SERVICE_PASSWORD;
  const serviceToken = password
    ? passwordServiceToken({ identityUrl: cfg.identityUrl, user: SERVICE_USER, password, project: 'service' })
    : () => Promise.reject(new Error('KUMO_SERVICE_PASSWORD is not set: services cannot call each other'));
  return {
    log: createLogger({ service, level: cfg.env.KUMO_LOG_LEVEL }),
    home: cfg.env.KUMO_HOME,
    databaseUrl: cfg.env.KUMO_DATABASE_URL,
    redisUrl: cfg.env.KUMO_REDIS_URL,
    redisPrefix: cfg.env.KUMO_REDIS_PREFIX,
    tokenKeyDir: cfg.identity.tokenKeyDir,
    maxTokenLifetimeMs: cfg.identity.tokenTtlSeconds * 1000,
    region: cfg.env.KUMO_REGION,
    urls: cfg.urls,
    serviceToken,
  };
}

import { createImageClient, type ImageClient } from '@kumo/image';
import { createNetworkClient, type NetworkClient } from '@kumo/network';
import { createSchedulerClient, type SchedulerClient } from '@kumo/scheduler';
import { openServiceBase, Policy, type PolicyRules, type ServiceRuntime } from '@kumo/service-kit';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { AgentConnector } from './agents/connector.js';
import { createGrpcAgentConnector } from './agents/grpc.connector.js';
import { type ComputeEnv, computeSettings } from './config.js';
import type { ComputeContext } from './context.js';
import * as schema from './db/schema.js';
import { computeNetworkPolicyDefaults } from './domain/network-policy.js';
import { computePolicyDefaults } from './domain/policy-defaults.js';
import { serverPolicyDefaults } from './domain/server-policy.js';

export interface ComputeDepsOptions {
  agents?: AgentConnector;
  scheduler?: SchedulerClient;
  images?: ImageClient;
  /** null: no network service (tests of compute alone; 'auto' networks then mean none). */
  network?: NetworkClient | null;
  policyOverrides?: PolicyRules;
  poolMax?: number;
}

/** Everything but the task dispatcher (the workers provide it). */
export type ComputeBaseContext = Omit<ComputeContext, 'tasks'>;

/**
 * Open the compute service's connections (Postgres, Redis, token validation)
 * and build its context: policy (core + server defaults, then overrides) and
 * the clients of the scheduler, the image service and the agents.
 */
export async function createComputeContext(
  rt: ServiceRuntime,
  env: ComputeEnv,
  opts: ComputeDepsOptions = {},
): Promise<{ ctx: ComputeBaseContext; close(): Promise<void> }> {
  const log = rt.log.child({ service: 'compute' });
  const base = await openServiceBase(rt, 'compute', { poolMax: opts.poolMax ?? 20 });
  const scheduler = opts.scheduler ?? createSchedulerClient(rt.urls.scheduler, () => rt.serviceToken());
  const agents = opts.agents ?? createGrpcAgentConnector({ rt, scheduler, log });
  const ctx: ComputeBaseContext = {
    rt,
    settings: computeSettings(env),
    log,
    db: drizzle(base.pool, { schema }),
    pool: base.pool,
    redis: base.redis,
    policy: new Policy(
      { ...computePolicyDefaults, ...serverPolicyDefaults, ...computeNetworkPolicyDefaults },
      opts.policyOverrides,
    ),
    validator: base.validation.validator,
    images: opts.images ?? createImageClient(rt.urls.image),
    ...(opts.network === null ? {} : { network: opts.network ?? createNetworkClient(rt.urls.network) }),
    scheduler,
    agents,
  };
  return {
    ctx,
    async close() {
      await agents.close();
      await base.close();
    },
  };
}

import type { ImageClient } from '@kumo/image';
import type { NetworkClient } from '@kumo/network';
import type { SchedulerClient } from '@kumo/scheduler';
import type { Logger, Policy, ServiceRuntime, TokenValidator } from '@kumo/service-kit';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { AgentConnector } from './agents/connector.js';
import type { ComputeSettings } from './config.js';
import type * as schema from './db/schema.js';
import type { TaskDispatcher } from './domain/tasks.js';

export type Db = NodePgDatabase<typeof schema>;

/** Everything the compute routes and workers need, built once and passed in. */
export interface ComputeContext {
  rt: ServiceRuntime;
  settings: ComputeSettings;
  log: Logger;
  db: Db;
  pool: pg.Pool;
  redis: Redis;
  policy: Policy;
  validator: TokenValidator;
  images: ImageClient;
  /** The network service (Neutron); absent when compute runs without one (servers get no NICs). */
  network?: NetworkClient;
  scheduler: SchedulerClient;
  agents: AgentConnector;
  tasks: TaskDispatcher;
}

import { join } from 'node:path';
import { buildControlPlaneApp, CertificateAuthority, ControlPlane } from '@kumo/agent';
import { openServiceBase, Policy, type PolicyRules, type ServiceRuntime } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import { buildSchedulerApp } from './app.js';
import type { SchedulerConfig } from './config.js';
import { PgJoinTokenRepo } from './db/join-tokens.repo.js';
import { schedulerPolicyDefaults } from './domain/policy-defaults.js';
import { Placement } from './placement.js';

export interface SchedulerService {
  /** The REST API (token auth), on KUMO_SCHEDULER_PORT. */
  app: FastifyInstance;
  /** The agent-facing HTTPS app (join, registration, heartbeats), on KUMO_SCHEDULER_AGENT_PORT. */
  agentApp: FastifyInstance;
  controlPlane: ControlPlane;
  /** The in-process API: registerHost, heartbeat, schedule, claimOnHost, release, listHosts, … */
  scheduler: Placement;
  close(): Promise<void>;
}

/**
 * Build the scheduler: Postgres-backed host registry and join tokens, the CA
 * in <home>/ca, the host snapshot refresher, both apps. Does not listen.
 */
export async function createSchedulerService(
  rt: ServiceRuntime,
  env: SchedulerConfig,
  opts: { policyOverrides?: PolicyRules; now?: () => number } = {},
): Promise<SchedulerService> {
  const log = rt.log.child({ service: 'scheduler' });
  const base = await openServiceBase(rt, 'scheduler', { poolMax: 10 });
  const apps: FastifyInstance[] = [];
  const scheduler = new Placement(base.pool, env, log, { now: opts.now });
  try {
    const ca = await CertificateAuthority.loadOrCreate(join(rt.home, 'ca'));
    const controlPlane = await ControlPlane.create({
      ca,
      now: opts.now,
      hosts: scheduler,
      tokens: new PgJoinTokenRepo(base.pool),
    });
    await scheduler.start();
    const app = buildSchedulerApp({
      placement: scheduler,
      controlPlane,
      policy: new Policy(schedulerPolicyDefaults, opts.policyOverrides),
      log,
      validator: base.validation.validator,
      pool: base.pool,
    });
    apps.push(app);
    const agentApp = await buildControlPlaneApp({
      controlPlane,
      names: env.KUMO_SCHEDULER_AGENT_NAMES,
      logger: log.child({ component: 'agents' }),
    });
    apps.push(agentApp);
    return {
      app,
      agentApp,
      controlPlane,
      scheduler,
      async close() {
        scheduler.stop();
        await Promise.all(apps.map((a) => a.close()));
        await base.close();
      },
    };
  } catch (err) {
    scheduler.stop();
    await Promise.all(apps.map((a) => a.close()));
    await base.close();
    throw err;
  }
}

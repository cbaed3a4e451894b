import { computeMigrations, createComputeService, seedFlavors } from '@kumo/compute';
import { createPool, migrateAll } from '@kumo/db';
import {
  bootstrapIdentity,
  buildIdentityApp,
  createIdentityContext,
  identityMigrations,
} from '@kumo/identity';
import { createImageService, imageMigrations } from '@kumo/image';
import { networkMigrations } from '@kumo/network';
import { createSchedulerService, type SchedulerService, schedulerMigrations } from '@kumo/scheduler';
import { createLogger, rotateKeyRepository } from '@kumo/service-kit';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import type { KumoConfig } from './config.js';
import { startLocalAgent } from './local-agent.js';
import { startNetwork } from './network-starter.js';
import { serviceRuntime } from './runtime.js';
import { catalogServices } from './services.js';

const ALL_MIGRATIONS = [
  identityMigrations,
  imageMigrations,
  schedulerMigrations,
  computeMigrations,
  networkMigrations,
];

/** Create the database when it is missing (the all-in-one owns its database). */
async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount === 0) await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    // two migrations racing: the other one created it
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await c.end();
  }
}

export async function migrateCommand(cfg: KumoConfig): Promise<void> {
  await ensureDatabase(cfg.env.KUMO_DATABASE_URL);
  const pool = createPool(cfg.env.KUMO_DATABASE_URL, { max: 1, applicationName: 'kumo-migrate' });
  try {
    const done = await migrateAll(pool, ALL_MIGRATIONS);
    console.log(`migrated: ${done.join(', ')}`);
  } finally {
    await pool.end();
  }
}

export async function bootstrapCommand(cfg: KumoConfig): Promise<void> {
  const adminPassword = cfg.env.KUMO_ADMIN_PASSWORD;
  const demoPassword = cfg.env.KUMO_DEMO_PASSWORD;
  if (!adminPassword || !demoPassword) {
    throw new Error('kumo bootstrap needs KUMO_ADMIN_PASSWORD and KUMO_DEMO_PASSWORD');
  }
  const pool = createPool(cfg.env.KUMO_DATABASE_URL, { max: 2, applicationName: 'kumo-bootstrap' });
  try {
    const { identitySchema } = await import('@kumo/identity');
    const db = drizzle(pool, { schema: identitySchema });
    const r = await bootstrapIdentity(db, {
      adminPassword,
      demoPassword,
      region: cfg.env.KUMO_REGION,
      scrypt: cfg.identity.scrypt,
      services: catalogServices(cfg),
      servicePassword: cfg.env.KUMO_SERVICE_PASSWORD,
    });
    const flavors = await seedFlavors(pool);
    console.log(
      `bootstrapped: admin user ${r.adminUserId}, admin project ${r.adminProjectId}, demo project ${r.demoProjectId}, flavors ${flavors.join(' ')}`,
    );
  } finally {
    await pool.end();
  }
}

export function rotateKeysCommand(cfg: KumoConfig): void {
  const r = rotateKeyRepository(cfg.identity.tokenKeyDir, cfg.identity.maxActiveKeys);
  console.log(
    `rotated token keys in ${cfg.identity.tokenKeyDir}: primary is now key ${r.primary}` +
      (r.removed.length ? `, removed ${r.removed.join(', ')}` : ''),
  );
}

interface Running {
  name: string;
  close(): Promise<void>;
}

async function startIdentity(cfg: KumoConfig): Promise<Running> {
  const log = createLogger({ service: 'identity', level: cfg.env.KUMO_LOG_LEVEL });
  const { ctx, close } = await createIdentityContext({
    settings: cfg.identity,
    log,
    databaseUrl: cfg.env.KUMO_DATABASE_URL,
    redisUrl: cfg.env.KUMO_REDIS_URL,
    redisPrefix: cfg.env.KUMO_REDIS_PREFIX,
  });
  const app = buildIdentityApp(ctx, { authUri: `${cfg.identityUrl}/v3` });
  await app.listen({ host: cfg.env.KUMO_BIND_HOST, port: cfg.env.KUMO_IDENTITY_PORT });
  return {
    name: 'identity',
    close: async () => {
      await app.close();
      await close();
    },
  };
}

/** What earlier starters hand to later ones in the same process (the all-in-one). */
interface Shared {
  scheduler?: SchedulerService;
  schedulerAgentUrl?: string;
  /** OVN southbound DB of the OVN central this process started (the local agent's chassis joins it). */
  ovnSbConnection?: string;
}

const listen = (app: FastifyInstance, cfg: KumoConfig, port: number) =>
  app.listen({ host: cfg.env.KUMO_BIND_HOST, port });

const STARTERS: Record<string, (cfg: KumoConfig, shared: Shared) => Promise<Running>> = {
  identity: startIdentity,
  network: async (cfg, shared) => {
    const net = await startNetwork(cfg);
    shared.ovnSbConnection = net.sbConnection;
    return net;
  },
  image: async (cfg) => {
    const svc = await createImageService(serviceRuntime(cfg, 'image'), cfg.env);
    await listen(svc.app, cfg, cfg.env.KUMO_IMAGE_PORT);
    return { name: 'image', close: svc.close };
  },
  scheduler: async (cfg, shared) => {
    const svc = await createSchedulerService(serviceRuntime(cfg, 'scheduler'), cfg.env);
    await listen(svc.app, cfg, cfg.env.KUMO_SCHEDULER_PORT);
    await listen(svc.agentApp, cfg, cfg.env.KUMO_SCHEDULER_AGENT_PORT);
    shared.scheduler = svc;
    shared.schedulerAgentUrl = `https://127.0.0.1:${cfg.env.KUMO_SCHEDULER_AGENT_PORT}`;
    return { name: 'scheduler', close: svc.close };
  },
  compute: async (cfg) => {
    const svc = await createComputeService(serviceRuntime(cfg, 'compute'), cfg.env);
    await listen(svc.app, cfg, cfg.env.KUMO_COMPUTE_PORT);
    return { name: 'compute', close: svc.close };
  },
};
export const SERVICE_NAMES = Object.keys(STARTERS);

/** Run services in this process until SIGINT/SIGTERM, then close them gracefully. */
export async function serveCommand(
  cfg: KumoConfig,
  names: string[],
  opts: { localAgent?: boolean } = {},
): Promise<void> {
  const running: Running[] = [];
  const shared: Shared = {};
  for (const n of names) {
    const start = STARTERS[n];
    if (!start) throw new Error(`unknown service '${n}' (known: ${SERVICE_NAMES.join(', ')})`);
    running.push(await start(cfg, shared));
    // the all-in-one's host joins before compute opens, so a ready cloud can boot servers
    if (n === 'scheduler' && opts.localAgent && shared.scheduler && shared.schedulerAgentUrl)
      running.push(
        await startLocalAgent(cfg, shared.scheduler, shared.schedulerAgentUrl, {
          ovnSbConnection: shared.ovnSbConnection,
        }),
      );
  }
  console.log(`kumo: serving ${running.map((r) => r.name).join(', ')}`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      for (const r of running.reverse()) await r.close().catch(() => undefined);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

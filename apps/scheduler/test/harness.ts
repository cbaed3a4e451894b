import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type FakeHostOptions,
  fakeHostFleet,
  fakeHostInfo,
  inventoryOf,
  type Registration,
} from '@kumo/agent';
import { type IdentityHarness, startIdentity, testServiceRuntime } from '@kumo/identity/testing';
import type { ServiceRuntime } from '@kumo/service-kit';
import { createTestDatabase, createTestRedis, type TestDatabase } from '@kumo/testing';
import type { LightMyRequestResponse } from 'fastify';
import { type SchedulerConfig, schedulerConfigSchema } from '../src/config.js';
import { schedulerMigrations } from '../src/index.js';
import { createSchedulerService, type SchedulerService } from '../src/service.js';

export interface SchedulerHarness {
  svc: SchedulerService;
  identity: IdentityHarness;
  db: TestDatabase;
  rt: ServiceRuntime;
  config: SchedulerConfig;
  call(
    method: string,
    url: string,
    opts?: { token?: string; body?: unknown },
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export { type FakeHostOptions, fakeHostFleet, fakeHostInfo };

/** A registration as a fake agent would send it. */
export function fakeRegistration(hostname: string, o: FakeHostOptions = {}, address?: string): Registration {
  return {
    address: address ?? `${hostname}:7700`,
    agent_version: 'test',
    inventory: inventoryOf(fakeHostInfo({ ...o, hostname })),
  };
}

/**
 * A scheduler on a throwaway database, validating the tokens of a real
 * identity service (started here unless one is given). `env` takes
 * KUMO_SCHEDULER_* values as strings.
 */
export async function startScheduler(
  env: Record<string, string> = {},
  opts: { identity?: IdentityHarness; now?: () => number } = {},
): Promise<SchedulerHarness> {
  const identity = opts.identity ?? (await startIdentity());
  const db = await createTestDatabase([schedulerMigrations]);
  const redis = await createTestRedis();
  const home = mkdtempSync(join(tmpdir(), 'kumo-scheduler-'));
  const rt: ServiceRuntime = testServiceRuntime(identity, {
    service: 'scheduler',
    databaseUrl: db.url,
    redisPrefix: redis.prefix,
    home: home,
  });
  const config = schedulerConfigSchema.parse(env);
  const cleanup = async () => {
    await redis.cleanup();
    await db.drop();
    rmSync(home, { recursive: true, force: true });
    if (!opts.identity) await identity.close();
  };
  let svc: SchedulerService;
  try {
    svc = await createSchedulerService(rt, config, { now: opts.now });
    await svc.app.ready();
  } catch (err) {
    await cleanup();
    throw err;
  }
  const call: SchedulerHarness['call'] = (method, url, o = {}) =>
    svc.app.inject({
      method: method as 'GET',
      url,
      headers: o.token === '' ? {} : { 'x-auth-token': o.token ?? identity.adminToken },
      ...(o.body !== undefined ? { payload: o.body as object } : {}),
    });
  return {
    svc,
    identity,
    db,
    rt,
    config,
    call,
    async close() {
      await svc.close();
      await cleanup();
    },
  };
}

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFakeDrivers,
  type FailOn,
  type FakeDrivers,
  type FakeHostOptions,
  fakeHostInfo,
  inventoryOf,
} from '@kumo/agent';
import { type IdentityHarness, startIdentity, testServiceRuntime } from '@kumo/identity/testing';
import { createImageService, type ImageService, imageConfigSchema, imageMigrations } from '@kumo/image';
import {
  createNetworkService,
  type NetworkService,
  type NetworkSync,
  networkConfigSchema,
  networkMigrations,
} from '@kumo/network';
import {
  createSchedulerService,
  type SchedulerService,
  schedulerConfigSchema,
  schedulerMigrations,
} from '@kumo/scheduler';
import type { ServiceRuntime } from '@kumo/service-kit';
import { createTestDatabase, createTestRedis, type TestDatabase } from '@kumo/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createInProcessAgentConnector, type InProcessAgentConnector } from '../src/agents/index.js';
import { computeConfigSchema } from '../src/config.js';
import type { ComputeContext } from '../src/context.js';
import { computeMigrations } from '../src/index.js';
import { createComputeService } from '../src/service.js';

/** A fake host: the agent's fake drivers, registered in the scheduler under `id`. */
export interface FakeHostSpec extends FakeHostOptions {
  id?: string;
  availabilityZone?: string;
  failOn?: FailOn;
}

export interface FakeHost {
  id: string;
  hostname: string;
  drivers: FakeDrivers;
}

export interface CallOptions {
  /** Defaults to the admin token; '' sends none. */
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as `OpenStack-API-Version: compute <v>`. */
  microversion?: string;
}

export interface ComputeHarness {
  identity: IdentityHarness;
  image: ImageService;
  scheduler: SchedulerService;
  /** The network service (listening at rt.urls.network) when started with `network`. */
  network: NetworkService | undefined;
  app: FastifyInstance;
  ctx: ComputeContext;
  rt: ServiceRuntime;
  db: TestDatabase;
  agents: InProcessAgentConnector;
  hosts: FakeHost[];
  adminToken: string;
  demoToken: string;
  ids: IdentityHarness['ids'];
  /** The compute API's base URL when started with `listen: true`. */
  computeUrl: string | undefined;
  call(method: string, url: string, opts?: CallOptions): Promise<LightMyRequestResponse>;
  /** Add (and register) one more fake host. */
  addHost(spec?: FakeHostSpec): Promise<FakeHost>;
  /** Poll a server until its status is `status` (throws on ERROR unless that is wanted, or on timeout). */
  waitForServer(id: string, status: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Compute with everything real around it: one throwaway database (compute,
 * image and scheduler schemas), a Redis prefix, a bootstrapped identity, the
 * image service and the scheduler listening on loopback ports (compute calls
 * them over HTTP as in production), and fake hosts registered in the
 * scheduler and served in-process by the agent's fake drivers.
 */
export async function startCompute(
  opts: {
    fakeHosts?: number | FakeHostSpec[];
    agents?: 'fake' | 'libvirt';
    /** KUMO_COMPUTE_* / KUMO_SCHEDULER_* values as strings. */
    env?: Record<string, string>;
    /** Listen on a loopback port too (for real HTTP clients). */
    listen?: boolean;
    /**
     * Run the network service too (real, on a loopback port; compute calls it over HTTP). Without it
     * compute has no network client: servers boot without NICs ('auto' means none).
     */
    network?: boolean | { sync?: NetworkSync };
  } = {},
): Promise<ComputeHarness> {
  if (opts.agents === 'libvirt')
    throw new Error('startCompute: libvirt agents are not wired in the harness yet');
  const identity = await startIdentity();
  const home = mkdtempSync(join(tmpdir(), 'kumo-compute-'));
  const db = await createTestDatabase([
    computeMigrations,
    imageMigrations,
    schedulerMigrations,
    ...(opts.network ? [networkMigrations] : []),
  ]);
  const redis = await createTestRedis();
  const [imagePort, schedulerPort, networkPort] = [await freePort(), await freePort(), await freePort()];
  const rt: ServiceRuntime = testServiceRuntime(identity, {
    service: 'compute-test',
    databaseUrl: db.url,
    redisPrefix: redis.prefix,
    home: home,
    urls: {
      image: `http://127.0.0.1:${imagePort}`,
      scheduler: `http://127.0.0.1:${schedulerPort}`,
      network: `http://127.0.0.1:${networkPort}`,
    },
  });
  const env = opts.env ?? {};
  const scheduler = await createSchedulerService(rt, schedulerConfigSchema.parse(env));
  const image = await createImageService(rt, imageConfigSchema.parse(env));
  await scheduler.app.listen({ port: schedulerPort, host: '127.0.0.1' });
  await image.app.listen({ port: imagePort, host: '127.0.0.1' });
  let network: NetworkService | undefined;
  if (opts.network) {
    const sync = typeof opts.network === 'object' ? opts.network.sync : undefined;
    network = await createNetworkService(rt, networkConfigSchema.parse(env), sync ? { sync } : {});
    await network.app.listen({ port: networkPort, host: '127.0.0.1' });
  }

  const agents = createInProcessAgentConnector(new Map());
  const hosts: FakeHost[] = [];
  const addHost = async (spec: FakeHostSpec = {}): Promise<FakeHost> => {
    const id = spec.id ?? randomUUID();
    const hostname = spec.hostname ?? `fake-host-${String(hosts.length).padStart(3, '0')}`;
    const { id: _id, availabilityZone, failOn, ...hostOpts } = spec;
    const drivers = createFakeDrivers({ host: { ...hostOpts, hostname }, failOn });
    agents.addHost(id, drivers);
    await scheduler.scheduler.registerHost(id, {
      address: `${hostname}:7700`,
      agent_version: 'test',
      inventory: inventoryOf(fakeHostInfo({ ...hostOpts, hostname })),
    });
    if (availabilityZone) await scheduler.scheduler.updateHost(id, { availabilityZone });
    const host = { id, hostname, drivers };
    hosts.push(host);
    return host;
  };
  const specs =
    typeof opts.fakeHosts === 'number'
      ? Array.from({ length: opts.fakeHosts }, () => ({}))
      : (opts.fakeHosts ?? []);
  for (const s of specs) await addHost(s);
  const beat = setInterval(() => {
    for (const h of hosts) void scheduler.scheduler.heartbeat(h.id).catch(() => undefined);
  }, 5_000);
  beat.unref();

  const compute = await createComputeService(rt, computeConfigSchema.parse(env), {
    agents,
    ...(network ? {} : { network: null }),
  });
  await compute.app.ready();
  let computeUrl: string | undefined;
  if (opts.listen) {
    const port = await freePort();
    await compute.app.listen({ port, host: '127.0.0.1' });
    computeUrl = `http://127.0.0.1:${port}`;
  }

  const call: ComputeHarness['call'] = (method, url, o = {}) => {
    const token = o.token ?? identity.adminToken;
    return compute.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(token ? { 'x-auth-token': token } : {}),
        ...(o.microversion ? { 'openstack-api-version': `compute ${o.microversion}` } : {}),
        ...(o.headers ?? {}),
      },
      ...(o.body !== undefined ? { payload: o.body as object } : {}),
    });
  };

  const waitForServer: ComputeHarness['waitForServer'] = async (id, status, timeoutMs = 15_000) => {
    const until = Date.now() + timeoutMs;
    let last: Record<string, unknown> | undefined;
    while (Date.now() < until) {
      const res = await call('GET', `/v2.1/servers/${id}`, { microversion: 'latest' });
      if (res.statusCode === 404 && status === 'DELETED') return {};
      if (res.statusCode !== 200) throw new Error(`GET server ${id}: ${res.statusCode} ${res.body}`);
      last = (res.json() as { server: Record<string, unknown> }).server;
      if (last.status === status) return last;
      if (last.status === 'ERROR')
        throw new Error(`server ${id} went to ERROR: ${JSON.stringify(last.fault)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`server ${id} not ${status} after ${timeoutMs} ms (last: ${String(last?.status)})`);
  };

  return {
    identity,
    image,
    scheduler,
    network,
    app: compute.app,
    ctx: compute.ctx,
    rt,
    db,
    agents,
    hosts,
    adminToken: identity.adminToken,
    demoToken: identity.demoToken,
    ids: identity.ids,
    computeUrl,
    call,
    addHost,
    waitForServer,
    async close() {
      clearInterval(beat);
      await compute.close();
      await network?.close();
      await image.close();
      await scheduler.close();
      await redis.cleanup();
      await db.drop();
      rmSync(home, { recursive: true, force: true });
      await identity.close();
    },
  };
}

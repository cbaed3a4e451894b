import { randomUUID } from 'node:crypto';
import { type IdentityHarness, startIdentity, testServiceRuntime } from '@kumo/identity/testing';
import { KumoError, type ServiceRuntime } from '@kumo/service-kit';
import { createTestDatabase, createTestRedis, type TestDatabase } from '@kumo/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { AgentConnector, AgentPort } from '../src/agents/connector.js';
import { buildComputeApp } from '../src/app.js';
import { computeConfigSchema } from '../src/config.js';
import type { ComputeContext } from '../src/context.js';
import { createComputeContext } from '../src/deps.js';
import { computeMigrations } from '../src/index.js';

/**
 * API-only fixture for the servers tests: the real compute app on a throwaway
 * database with real identity tokens, and fakes for what lies beyond the API —
 * an in-memory image service, a scheduler with one zone and two hosts, an
 * agent whose console log is a fixed text, and a dispatcher that records tasks.
 */
export interface FakeImage {
  id: string;
  name: string;
  status: string;
  min_disk: number;
  min_ram: number;
  size: number | null;
  owner: string;
  visibility: string;
  [k: string]: unknown;
}

export interface ServersFixture {
  app: FastifyInstance;
  ctx: ComputeContext;
  identity: IdentityHarness;
  db: TestDatabase;
  adminToken: string;
  demoToken: string;
  /** A member token of a second project (`other`). */
  otherToken: string;
  images: Map<string, FakeImage>;
  imageId: string;
  dispatched: string[];
  consoleLog: { text: string };
  call(
    method: string,
    url: string,
    o?: { token?: string; body?: unknown; mv?: string; raw?: string },
  ): Promise<LightMyRequestResponse>;
  sql<T = Record<string, unknown>>(q: string, params?: unknown[]): Promise<T[]>;
  /** Creates a server and returns its id (as the demo user unless told). */
  boot(o?: { token?: string; name?: string; extra?: Record<string, unknown>; mv?: string }): Promise<string>;
  /** Forces a server's states as the worker would. */
  setState(id: string, vm: string, task?: string | null, extra?: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function startServersFixture(
  opts: { quotaInstances?: number; quotaCores?: number; quotaRam?: number } = {},
): Promise<ServersFixture> {
  const identity = await startIdentity();
  const db = await createTestDatabase([computeMigrations]);
  const redis = await createTestRedis();
  const rt: ServiceRuntime = testServiceRuntime(identity, {
    service: 'compute-test',
    databaseUrl: db.url,
    redisPrefix: redis.prefix,
    home: '/tmp',
    urls: {
      identity: 'http://identity.test',
      image: 'http://image.test',
      compute: 'http://compute.test',
      scheduler: 'http://scheduler.test',
    },
  });
  const images = new Map<string, FakeImage>();
  const imageClient = {
    async getImage(_t: string, id: string) {
      const i = images.get(id);
      if (!i) throw new KumoError('not_found', `image ${id} not found`);
      return i;
    },
    async createImage(_t: string, body: Record<string, unknown>) {
      const i = {
        ...body,
        id: randomUUID(),
        status: 'queued',
        min_disk: 0,
        min_ram: 0,
        size: null,
      } as FakeImage;
      images.set(i.id, i);
      return i;
    },
    async deleteImage(_t: string, id: string) {
      images.delete(id);
    },
    async downloadUrl() {
      return { url: 'http://image.test/x', expires_at: '' };
    },
    async uploadUrl() {
      return { url: 'http://image.test/x', expires_at: '' };
    },
  };
  const host = (id: string) => ({ id, hostname: id, status: 'up', enabled: true });
  const scheduler = {
    availabilityZones: async () => [{ name: 'nova', available: true, hosts: [] }],
    getHost: async (id: string) => host(id),
    listHosts: async () => [host('host-a'), host('host-b')],
  };
  const consoleLog = { text: 'line 1\nline 2\nline 3\n' };
  const agents: AgentConnector = {
    async forHost() {
      return {
        compute: {
          async readConsoleLog(req: { offset: number }) {
            const data = req.offset >= consoleLog.text.length ? '' : consoleLog.text.slice(req.offset);
            return { data, nextOffset: req.offset + data.length };
          },
        },
      } as unknown as AgentPort;
    },
    async close() {},
  };
  const env = computeConfigSchema.parse({
    KUMO_COMPUTE_QUOTA_INSTANCES: String(opts.quotaInstances ?? 10),
    KUMO_COMPUTE_QUOTA_CORES: String(opts.quotaCores ?? 20),
    KUMO_COMPUTE_QUOTA_RAM_MB: String(opts.quotaRam ?? 51_200),
  });
  const base = await createComputeContext(rt, env, {
    agents,
    scheduler: scheduler as unknown as ComputeContext['scheduler'],
    images: imageClient as unknown as ComputeContext['images'],
    network: null,
  });
  const dispatched: string[] = [];
  const ctx: ComputeContext = { ...base.ctx, tasks: { dispatch: async (id) => void dispatched.push(id) } };
  const app = buildComputeApp(ctx);
  await app.ready();

  const imageId = randomUUID();
  images.set(imageId, {
    id: imageId,
    name: 'cirros',
    status: 'active',
    min_disk: 0,
    min_ram: 0,
    size: 20 * 1024 * 1024,
    owner: identity.ids.adminProjectId,
    visibility: 'public',
  });
  await db.pool.query(
    `INSERT INTO compute.flavors (id, name, vcpus, ram_mb, disk_gb) VALUES
     ('1', 'm1.tiny', 1, 512, 1), ('2', 'm1.small', 1, 2048, 20), ('3', 'm1.medium', 2, 4096, 40)`,
  );
  await identity.call('POST', '/v3/projects', {
    token: identity.adminToken,
    body: { project: { name: 'other', domain_id: 'default' } },
  });
  const other = await identity.call('GET', '/v3/projects?name=other', { token: identity.adminToken });
  const otherId = (other.json() as { projects: { id: string }[] }).projects[0]!.id;
  const roles = await identity.call('GET', '/v3/roles?name=member', { token: identity.adminToken });
  const memberRole = (roles.json() as { roles: { id: string }[] }).roles[0]!.id;
  await identity.call('PUT', `/v3/projects/${otherId}/users/${identity.ids.demoUserId}/roles/${memberRole}`, {
    token: identity.adminToken,
  });
  const otherToken = await identity.login('demo', 'demo-secret', 'other');

  const call: ServersFixture['call'] = (method, url, o = {}) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(o.token !== '' ? { 'x-auth-token': o.token ?? identity.demoToken } : {}),
        ...(o.mv ? { 'openstack-api-version': `compute ${o.mv}` } : {}),
        ...(o.body !== undefined || o.raw !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      payload: o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body)),
    });

  const fx: ServersFixture = {
    app,
    ctx,
    identity,
    db,
    adminToken: identity.adminToken,
    demoToken: identity.demoToken,
    otherToken,
    images,
    imageId,
    dispatched,
    consoleLog,
    call,
    async sql<T>(q: string, params: unknown[] = []) {
      return (await db.pool.query(q, params)).rows as T[];
    },
    async boot(o = {}) {
      const res = await call('POST', '/v2.1/servers', {
        token: o.token,
        mv: o.mv,
        body: {
          server: { name: o.name ?? 'vm', imageRef: imageId, flavorRef: '1', ...o.extra },
        },
      });
      if (res.statusCode !== 202) throw new Error(`boot failed: ${res.statusCode} ${res.body}`);
      return (res.json() as { server: { id: string } }).server.id;
    },
    async setState(id, vm, task = null, extra = {}) {
      const sets = Object.keys(extra).map((k, i) => `, ${k} = $${i + 4}`);
      await db.pool.query(
        `UPDATE compute.servers SET vm_state = $2, task_state = $3${sets.join('')} WHERE id = $1`,
        [id, vm, task, ...Object.values(extra)],
      );
    },
    async close() {
      await app.close();
      await base.close();
      await redis.cleanup();
      await db.drop();
      await identity.close();
    },
  };
  return fx;
}

/** The Nova error body's message (any key). */
export const errorOf = (res: LightMyRequestResponse): { key: string; code: number; message: string } => {
  const body = res.json() as Record<string, { code: number; message: string }>;
  const key = Object.keys(body)[0]!;
  return { key, ...body[key]! };
};

import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import type { Image, ImageClient } from '@kumo/image';
import {
  createSchedulerClient,
  createSchedulerService,
  type SchedulerService,
  schedulerConfigSchema,
  schedulerMigrations,
} from '@kumo/scheduler';
import { KumoError, type ServiceRuntime } from '@kumo/service-kit';
import { createTestDatabase, createTestRedis, type TestDatabase } from '@kumo/testing';
import { createInProcessAgentConnector, type InProcessAgentConnector } from '../src/agents/index.js';
import { computeConfigSchema } from '../src/config.js';
import { type ComputeBaseContext, createComputeContext } from '../src/deps.js';
import type { FlavorSnapshot } from '../src/domain/server-record.js';
import type { ServerTaskKind } from '../src/domain/tasks.js';
import { computeMigrations } from '../src/index.js';
import { type ComputeWorkerOptions, type ComputeWorkers, startComputeWorkers } from '../src/jobs/index.js';

/**
 * The saga tests' world: real Postgres, Redis, identity (service token) and
 * scheduler (over HTTP, as compute calls it), fake hosts served in-process by
 * the agent's fake drivers, and a small in-memory image catalogue whose
 * download URLs are `data:` URLs (the fake storage driver cannot fetch http).
 * Servers and tasks are written as the servers API writes them (one
 * transaction: server row, instance action, outbox row), then dispatched.
 */

export const FLAVOR: FlavorSnapshot = {
  id: '1',
  name: 'm1.tiny',
  vcpus: 1,
  ramMb: 512,
  diskGb: 1,
  ephemeralGb: 0,
  swapMb: 0,
  extraSpecs: {},
};
export const flavor = (o: Partial<FlavorSnapshot>): FlavorSnapshot => ({ ...FLAVOR, ...o });

export interface SagaHost {
  id: string;
  drivers: FakeDrivers;
}

export interface SagaEnv {
  identity: IdentityHarness;
  scheduler: SchedulerService;
  ctx: ComputeBaseContext;
  workers: ComputeWorkers;
  agents: InProcessAgentConnector;
  hosts: SagaHost[];
  db: TestDatabase;
  images: FakeImages;
  createServer(o?: Partial<ServerInput>): Promise<{ serverId: string; taskId: string; actionId: number }>;
  /** Queue a task as the API does: CAS task_state from null, action + outbox row, dispatch. */
  act(
    serverId: string,
    kind: ServerTaskKind,
    taskState: string,
    params?: Record<string, unknown>,
  ): Promise<number>;
  server(id: string): Promise<Record<string, unknown>>;
  waitFor(
    id: string,
    pred: (s: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  events(actionId: number): Promise<{ event: string; result: string | null; traceback: string | null }[]>;
  close(): Promise<void>;
}

export interface ServerInput {
  id: string;
  name: string;
  flavor: FlavorSnapshot;
  imageId: string;
  serverGroupId: string | null;
  projectId: string;
  userData: string | null;
  dispatch: boolean;
}

export const FAST: Partial<ComputeWorkerOptions> = {
  outboxIntervalMs: 200,
  outbox: { pendingGraceMs: 300, staleRunningMs: 5_000, backoffBaseMs: 200, backoffMaxMs: 1_000 },
  taskHeartbeatMs: 1_000,
  blockedDelayMs: 200,
  powerSync: { sweepMs: 60_000, hostsRefreshMs: 100, reconnectMinMs: 50, reconnectMaxMs: 500 },
};

export interface FakeImages extends ImageClient {
  add(bytes: Uint8Array, props?: Record<string, unknown>): Image;
  /** Bytes PUT to an image's upload URL (the agent's exportDisk), by image id. */
  uploads: Map<string, Buffer>;
  close(): Promise<void>;
}

/** A loopback HTTP server taking PUT /upload/<id> as the image service's signed upload URL would. */
async function uploadSink(uploads: Map<string, Buffer>): Promise<{ base: string; close(): Promise<void> }> {
  const srv = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = (req.url ?? '').split('?')[0]!.replace('/upload/', '');
      uploads.set(id, Buffer.concat(chunks));
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => srv.close(() => r())),
  };
}

async function fakeImages(): Promise<FakeImages> {
  const uploads = new Map<string, Buffer>();
  const sink = await uploadSink(uploads);
  const images = new Map<string, { image: Image; bytes: Uint8Array }>();
  const get = (id: string) => {
    const i = images.get(id);
    if (!i) throw new KumoError('not_found', `No image found with ID ${id}`);
    return i;
  };
  return {
    uploads,
    close: () => sink.close(),
    add(bytes, props = {}) {
      const now = new Date().toISOString();
      const image: Image = {
        id: randomUUID(),
        name: 'test-image',
        status: 'active',
        visibility: 'public',
        protected: false,
        os_hidden: false,
        owner: null,
        size: bytes.length,
        virtual_size: bytes.length,
        checksum: createHash('md5').update(bytes).digest('hex'),
        os_hash_algo: 'sha512',
        os_hash_value: createHash('sha512').update(bytes).digest('hex'),
        min_ram: 0,
        min_disk: 0,
        disk_format: 'raw',
        container_format: 'bare',
        tags: [],
        created_at: now,
        updated_at: now,
        ...props,
      };
      images.set(image.id, { image, bytes });
      return image;
    },
    async getImage(_t, id) {
      return get(id).image;
    },
    async createImage() {
      throw new KumoError('internal', 'not in the fake');
    },
    async listImages(_t, query = {}) {
      // exact-match filters on attributes/properties; paging and sort keys are not filtered on
      const paging = new Set(['limit', 'marker', 'sort', 'sort_key', 'sort_dir']);
      const filters = Object.entries(query).filter(([k]) => !paging.has(k));
      const found = [...images.values()]
        .map((i) => i.image)
        .filter((img) => filters.every(([k, v]) => String(img[k]) === String(v)))
        .sort((a, b) => b.created_at.localeCompare(a.created_at));
      return { images: found };
    },
    async updateImage() {
      throw new KumoError('internal', 'not in the fake');
    },
    async deleteImage(_t, id) {
      images.delete(id);
    },
    async downloadUrl(_t, id) {
      const { bytes } = get(id);
      return {
        url: `data:application/octet-stream;base64,${Buffer.from(bytes).toString('base64')}`,
        expires_at: '',
      };
    },
    async uploadUrl(_t, id) {
      get(id);
      return { url: `${sink.base}/upload/${id}?sig=test`, expires_at: '' };
    },
  };
}

export async function startSagaEnv(
  o: {
    hosts?: (FakeHostOptions & { failOn?: FailOn })[];
    workers?: Partial<ComputeWorkerOptions>;
    env?: Record<string, string>;
  } = {},
): Promise<SagaEnv> {
  // everything opened is closed in reverse, also when starting fails half-way
  const opened: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const c of opened.splice(0).reverse()) await c();
  };
  try {
    return await open(o, opened, closeAll);
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function open(
  o: Parameters<typeof startSagaEnv>[0] & object,
  opened: (() => Promise<void> | void)[],
  closeAll: () => Promise<void>,
): Promise<SagaEnv> {
  const identity = await startIdentity();
  opened.push(() => identity.close());
  const home = mkdtempSync(join(tmpdir(), 'kumo-saga-'));
  opened.push(() => rmSync(home, { recursive: true, force: true }));
  const db = await createTestDatabase([computeMigrations, schedulerMigrations]);
  opened.push(() => db.drop());
  const redis = await createTestRedis();
  opened.push(() => redis.cleanup());
  const rt: ServiceRuntime = testServiceRuntime(identity, {
    service: 'saga-test',
    databaseUrl: db.url,
    redisPrefix: redis.prefix,
    home: home,
    urls: { identity: '', image: '', compute: '', scheduler: '' },
  });
  const scheduler = await createSchedulerService(rt, schedulerConfigSchema.parse({}));
  opened.push(() => scheduler.close());
  const schedulerUrl = await scheduler.app.listen({ port: 0, host: '127.0.0.1' });
  rt.urls.scheduler = schedulerUrl;

  const agents = createInProcessAgentConnector(new Map());
  const hosts: SagaHost[] = [];
  for (const [i, h] of (o.hosts ?? [{}]).entries()) {
    const id = randomUUID();
    const hostname = h.hostname ?? `saga-host-${String(i).padStart(3, '0')}`;
    const { failOn, ...hostOpts } = h;
    const drivers = createFakeDrivers({ host: { ...hostOpts, hostname }, failOn });
    agents.addHost(id, drivers);
    await scheduler.scheduler.registerHost(id, {
      address: `${hostname}:7700`,
      agent_version: 'test',
      inventory: inventoryOf(fakeHostInfo({ ...hostOpts, hostname })),
    });
    hosts.push({ id, drivers });
  }
  const beat = setInterval(() => {
    for (const h of hosts) void scheduler.scheduler.heartbeat(h.id).catch(() => undefined);
  }, 5_000);
  beat.unref();
  opened.push(() => clearInterval(beat));

  const images = await fakeImages();
  opened.push(() => images.close());
  const base = await createComputeContext(rt, computeConfigSchema.parse(o.env ?? {}), {
    agents,
    images,
    scheduler: createSchedulerClient(schedulerUrl, () => rt.serviceToken()),
    poolMax: 40,
    network: null,
  });
  opened.push(() => base.close());
  const ctx = base.ctx;
  const workers = await startComputeWorkers(ctx, { ...FAST, ...o.workers });
  opened.push(() => workers.close());
  const pool = ctx.pool;

  const server = async (id: string) => {
    const r = await pool.query('SELECT * FROM compute.servers WHERE id = $1', [id]);
    return r.rows[0] as Record<string, unknown>;
  };

  const insertTask = async (
    client: { query: typeof pool.query },
    serverId: string,
    kind: string,
    action: string,
    params: Record<string, unknown>,
    projectId: string,
  ) => {
    const requestId = `req-${randomUUID()}`;
    const a = await client.query(
      `INSERT INTO compute.instance_actions (server_id, request_id, action, project_id, user_id)
       VALUES ($1, $2, $3, $4, 'u1') RETURNING id`,
      [serverId, requestId, action, projectId],
    );
    const taskId = randomUUID();
    await client.query(
      `INSERT INTO compute.server_tasks (id, server_id, kind, params, request_id, action_id)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [taskId, serverId, kind, JSON.stringify(params), requestId, a.rows[0].id],
    );
    return { taskId, actionId: Number(a.rows[0].id) };
  };

  return {
    identity,
    scheduler,
    ctx,
    workers,
    agents,
    hosts,
    db,
    images,
    async createServer(s = {}) {
      const id = s.id ?? randomUUID();
      const projectId = s.projectId ?? 'p1';
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        await c.query(
          `INSERT INTO compute.servers (id, name, project_id, user_id, flavor, image_id, vm_state, task_state,
             hostname, reservation_id, server_group_id, user_data, config_drive, key_name, key_data)
           VALUES ($1, $2, $3, 'u1', $4, $5, 'building', 'scheduling', $6, $7, $8, $9, true, 'k1', 'ssh-ed25519 AAAA test')`,
          [
            id,
            s.name ?? `vm-${id.slice(0, 8)}`,
            projectId,
            JSON.stringify(s.flavor ?? FLAVOR),
            s.imageId ?? null,
            `host-${id.slice(0, 8)}`,
            `r-${id.slice(0, 8)}`,
            s.serverGroupId ?? null,
            s.userData ?? null,
          ],
        );
        const t = await insertTask(c, id, 'build', 'create', {}, projectId);
        await c.query('COMMIT');
        if (s.dispatch !== false) await workers.dispatcher.dispatch(t.taskId);
        return { serverId: id, ...t };
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      } finally {
        c.release();
      }
    },
    async act(serverId, kind, taskState, params = {}) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const r = await c.query(
          `UPDATE compute.servers SET task_state = $2 WHERE id = $1 AND (task_state IS NULL OR $2 = 'deleting')
           RETURNING project_id`,
          [serverId, taskState],
        );
        if (!r.rows.length) throw new Error(`server ${serverId} is busy`);
        const t = await insertTask(c, serverId, kind, kind, params, r.rows[0].project_id);
        await c.query('COMMIT');
        await workers.dispatcher.dispatch(t.taskId);
        return t.actionId;
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      } finally {
        c.release();
      }
    },
    server,
    async waitFor(id, pred, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      let last: Record<string, unknown> | undefined;
      while (Date.now() < until) {
        last = await server(id);
        if (last && pred(last)) return last;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`server ${id}: condition not met in ${timeoutMs} ms; last ${JSON.stringify(last)}`);
    },
    async events(actionId) {
      const r = await pool.query(
        'SELECT event, result, traceback FROM compute.instance_action_events WHERE action_id = $1 ORDER BY id',
        [actionId],
      );
      return r.rows;
    },
    close: closeAll,
  };
}

/** A small raw "image" (the fake storage driver sniffs raw vs qcow2). */
export const imageBytes = (n = 2048, fill = 7) => new Uint8Array(n).fill(fill);

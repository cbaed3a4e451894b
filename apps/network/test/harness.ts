import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IdentityHarness, startIdentity, testServiceRuntime } from '@kumo/identity/testing';
import type { ServiceRuntime } from '@kumo/service-kit';
import { createTestDatabase, createTestRedis } from '@kumo/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import {
  createNetworkService,
  type NetworkService,
  type NetworkSync,
  networkMigrations,
} from '../src/index.js';

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Raw payload, sent as is (with content-type application/json unless headers say otherwise). */
  payload?: string;
  headers?: Record<string, string>;
}

export interface NetworkHarness {
  app: FastifyInstance;
  service: NetworkService;
  identity: IdentityHarness;
  /** The listening URL (no version), when started with `listen: true`. */
  url: string | undefined;
  /** The test database's URL (e.g. for a DB-backed OVN state source). */
  databaseUrl: string;
  adminToken: string;
  demoToken: string;
  demoProjectId: string;
  call(method: string, url: string, opts?: CallOptions): Promise<LightMyRequestResponse>;
  /** A new project with a user holding `role` (default member); its id and a token scoped to it. */
  tenant(name: string, role?: string): Promise<{ projectId: string; token: string }>;
  close(): Promise<void>;
}

export interface StartNetworkOptions {
  /** Listen on 127.0.0.1 (random port) too, for real HTTP clients. */
  listen?: boolean;
  sync?: NetworkSync;
  /** An identity harness to share (not closed by close()). */
  identity?: IdentityHarness;
  tunnelType?: 'geneve' | 'vxlan';
  /** Write OVN's northbound DB (the service's own OVN sync, DB-backed source); `service.ovn` flushes. */
  ovn?: { nbConnection: string; gatewayChassis?: string[] };
}

/** A real network service (real PG, Redis, identity tokens); no OVN unless `sync` says so. */
export async function startNetwork(opts: StartNetworkOptions = {}): Promise<NetworkHarness> {
  const ownIdentity = !opts.identity;
  const identity = opts.identity ?? (await startIdentity());
  const db = await createTestDatabase([networkMigrations]);
  const redis = await createTestRedis();
  const home = mkdtempSync(join(tmpdir(), 'kumo-network-'));
  const rt: ServiceRuntime = testServiceRuntime(identity, {
    service: 'network',
    databaseUrl: db.url,
    redisPrefix: redis.prefix,
    home,
  });
  const service = await createNetworkService(
    rt,
    {
      KUMO_NETWORK_PORT: 9696,
      KUMO_OVN_NB_CONNECTION: opts.ovn?.nbConnection,
      KUMO_NETWORK_TUNNEL_TYPE: opts.tunnelType ?? 'geneve',
      KUMO_NETWORK_MTU: undefined,
      KUMO_OVN_GATEWAY_CHASSIS: opts.ovn?.gatewayChassis ?? [],
      KUMO_OVN_RESYNC_INTERVAL_MS: 0,
    },
    { sync: opts.sync },
  );
  const app = service.app;
  let url: string | undefined;
  if (opts.listen) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    service.ctx.baseUrl = url;
  } else await app.ready();

  const call: NetworkHarness['call'] = (method, path, o = {}) => {
    const headers: Record<string, string> = {
      ...(o.token ? { 'x-auth-token': o.token } : {}),
      ...(o.headers ?? {}),
    };
    let payload: string | undefined;
    if (o.payload !== undefined) payload = o.payload;
    else if (o.body !== undefined) payload = JSON.stringify(o.body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    return app.inject({
      method: method as 'GET',
      url: path,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
  };

  const roleId = async (name: string): Promise<string> => {
    const res = await identity.call('GET', `/v3/roles?name=${name}`, { token: identity.adminToken });
    return (res.json() as { roles: { id: string }[] }).roles[0]!.id;
  };

  const tenant: NetworkHarness['tenant'] = async (name, role = 'member') => {
    const t = identity.adminToken;
    const p = await identity.call('POST', '/v3/projects', {
      token: t,
      body: { project: { name, domain_id: 'default' } },
    });
    if (p.statusCode !== 201) throw new Error(`project ${name}: ${p.statusCode} ${p.body}`);
    const projectId = (p.json() as { project: { id: string } }).project.id;
    const u = await identity.call('POST', '/v3/users', {
      token: t,
      body: { user: { name, password: `${name}-secret`, domain_id: 'default' } },
    });
    if (u.statusCode !== 201) throw new Error(`user ${name}: ${u.statusCode} ${u.body}`);
    const userId = (u.json() as { user: { id: string } }).user.id;
    const g = await identity.call(
      'PUT',
      `/v3/projects/${projectId}/users/${userId}/roles/${await roleId(role)}`,
      {
        token: t,
      },
    );
    if (g.statusCode !== 204) throw new Error(`grant failed: ${g.statusCode} ${g.body}`);
    return { projectId, token: await identity.login(name, `${name}-secret`, name) };
  };

  return {
    app,
    service,
    identity,
    url,
    databaseUrl: db.url,
    adminToken: identity.adminToken,
    demoToken: identity.demoToken,
    demoProjectId: identity.ids.demoProjectId,
    call,
    tenant,
    async close() {
      await service.close();
      await redis.cleanup();
      await db.drop();
      if (ownIdentity) await identity.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

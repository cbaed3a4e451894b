import { expect } from 'vitest';
import { seedFlavors } from '../src/bootstrap.js';
import { type ComputeHarness, startCompute } from './harness.js';

/** Compute with a real network service and fake hosts, plus Neutron and Nova helpers for the network tests. */
export interface NetworkFixture {
  h: ComputeHarness;
  /** The public image servers boot from. */
  imageId: string;
  /** A Neutron call on the network service (HTTP, as a client would); throws on an unexpected status. */
  neutron<T = Record<string, unknown>>(
    method: string,
    path: string,
    o?: { token?: string; body?: unknown; expect?: number },
  ): Promise<T>;
  /** A network with one IPv4 subnet (DHCP on) in the caller's project. */
  makeNetwork(
    token: string,
    o?: { name?: string; cidr?: string; dhcp?: boolean; dns?: string[] },
  ): Promise<{ id: string; subnetId: string; name: string }>;
  port(id: string): Promise<Record<string, unknown> & { id: string }>;
  /** Ports whose device_id is the server. */
  portsOf(serverId: string): Promise<Record<string, unknown>[]>;
  /** POST /servers as the demo user (2.37 unless told); returns the response. */
  create(
    server: Record<string, unknown>,
    o?: { token?: string; mv?: string },
  ): ReturnType<ComputeHarness['call']>;
  /** Create a server and wait for it to be ACTIVE; returns its id. */
  boot(networks: unknown, o?: { token?: string; extra?: Record<string, unknown> }): Promise<string>;
  deleteAndWait(id: string, token?: string): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;

export async function startNetworkFixture(opts: { fakeHosts?: number } = {}): Promise<NetworkFixture> {
  const h = await startCompute({
    fakeHosts: Array.from({ length: opts.fakeHosts ?? 1 }, (_, i) => ({
      hostname: `net-host-${i}`,
      cpus: 16,
      memoryMb: 32768,
    })),
    network: true,
  });
  await seedFlavors(h.ctx.pool);
  const base = h.rt.urls.network.replace(/\/+$/, '');
  const neutron: NetworkFixture['neutron'] = async (method, path, o = {}) => {
    const res = await fetch(`${base}/v2.0${path}`, {
      method,
      headers: {
        'x-auth-token': o.token ?? h.adminToken,
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.text();
    const want = o.expect ?? (method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200);
    if (res.status !== want) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as never;
  };
  const imageId = await uploadImage(h);
  const create: NetworkFixture['create'] = (server, o = {}) =>
    h.call('POST', '/v2.1/servers', {
      token: o.token ?? h.demoToken,
      microversion: o.mv ?? '2.37',
      body: { server: { name: `s${++seq}`, imageRef: imageId, flavorRef: '0', ...server } },
    });
  return {
    h,
    imageId,
    neutron,
    async makeNetwork(token, o = {}) {
      const name = o.name ?? `net${++seq}`;
      const { network } = await neutron<{ network: { id: string } }>('POST', '/networks', {
        token,
        body: { network: { name } },
      });
      const { subnet } = await neutron<{ subnet: { id: string } }>('POST', '/subnets', {
        token,
        body: {
          subnet: {
            network_id: network.id,
            ip_version: 4,
            cidr: o.cidr ?? '10.10.0.0/24',
            enable_dhcp: o.dhcp ?? true,
            ...(o.dns ? { dns_nameservers: o.dns } : {}),
          },
        },
      });
      return { id: network.id, subnetId: subnet.id, name };
    },
    async port(id) {
      return (await neutron<{ port: Record<string, unknown> & { id: string } }>('GET', `/ports/${id}`)).port;
    },
    async portsOf(serverId) {
      return (await neutron<{ ports: Record<string, unknown>[] }>('GET', `/ports?device_id=${serverId}`))
        .ports;
    },
    create,
    async boot(networks, o = {}) {
      const res = await create({ networks, ...(o.extra ?? {}) }, { token: o.token });
      expect(res.statusCode, res.body).toBe(202);
      const id = (res.json() as { server: { id: string } }).server.id;
      await h.waitForServer(id, 'ACTIVE');
      return id;
    },
    async deleteAndWait(id, token) {
      const res = await h.call('DELETE', `/v2.1/servers/${id}`, { token: token ?? h.demoToken });
      expect(res.statusCode).toBe(204);
      // the server shows deleted, and its task settles just after
      const until = Date.now() + 10_000;
      while (Date.now() < until) {
        const r = await h.ctx.pool.query(
          `SELECT 1 FROM compute.server_tasks WHERE server_id = $1 AND state IN ('pending','running')`,
          [id],
        );
        if (!r.rowCount) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`delete task of ${id} did not finish`);
    },
    close: () => h.close(),
  };
}

/** A small public active image in the image service. */
async function uploadImage(h: ComputeHarness): Promise<string> {
  const token = h.adminToken;
  const res = await h.image.app.inject({
    method: 'POST',
    url: '/v2/images',
    headers: { 'x-auth-token': token, 'content-type': 'application/json' },
    payload: { name: 'cirros', disk_format: 'raw', container_format: 'bare', visibility: 'public' },
  });
  if (res.statusCode !== 201) throw new Error(`image create: ${res.statusCode} ${res.body}`);
  const id = (res.json() as { id: string }).id;
  const up = await h.image.app.inject({
    method: 'PUT',
    url: `/v2/images/${id}/file`,
    headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
    payload: Buffer.alloc(1024, 1),
  });
  if (up.statusCode !== 204) throw new Error(`image upload: ${up.statusCode} ${up.body}`);
  return id;
}

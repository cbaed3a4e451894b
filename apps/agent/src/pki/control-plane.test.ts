import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from './ca.js';
import { ControlPlane, type HostRegistry, MemoryHostRegistry } from './control-plane.js';
import { type ControlPlaneServer, startControlPlaneServer } from './control-plane-server.js';
import { createKeyAndCsr } from './csr.js';
import { ControlPlaneClient, EnrolError, joinControlPlane, loadOrJoin } from './enrol.js';
import type { Inventory } from './inventory.js';
import { JoinTokenStore } from './join-tokens.js';
import { isIssuedBy } from './x509.js';

const inventory: Inventory = {
  hostname: 'node-1',
  arch: 'x86_64',
  cpu_model: 'Fake CPU',
  cpus: 4,
  numa_cells: [{ id: 0, cpus: [0, 1, 2, 3], memory_mb: 8192 }],
  memory_mb: 8192,
  disk_total_bytes: 10 ** 12,
  disk_free_bytes: 10 ** 11,
  hypervisor: 'qemu',
  kvm_proved: false,
};

describe('control plane enrolment over HTTPS', () => {
  let cp: ControlPlane;
  let srv: ControlPlaneServer;
  let dir: string;

  beforeAll(async () => {
    cp = await ControlPlane.create();
    srv = await startControlPlaneServer({ controlPlane: cp });
    dir = await mkdtemp(join(tmpdir(), 'kumo-enrol-'));
  });
  afterAll(async () => {
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('an agent joins with a token, registers and heartbeats; the token is then spent', async () => {
    const { token } = cp.issueJoinToken({ hostId: 'node-1' });
    const certsDir = join(dir, 'node-1');
    const id = await joinControlPlane({
      controlPlaneUrl: srv.url,
      joinToken: token,
      hostId: 'node-1',
      certsDir,
    });
    expect(isIssuedBy(id.certPem, cp.ca.certPem)).toBe(true);
    expect((await stat(join(certsDir, 'agent.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(certsDir, 'ca.crt'), 'utf8')).toBe(cp.ca.certPem);

    const client = new ControlPlaneClient(srv.url, { ca: id.caPem, cert: id.certPem, key: id.keyPem });
    await client.register('node-1', { address: '127.0.0.1:7700', inventory });
    const rec = cp.host('node-1');
    expect(rec).toMatchObject({ hostId: 'node-1', address: '127.0.0.1:7700', inventory });
    const before = rec!.lastHeartbeatAt;
    await new Promise((r) => setTimeout(r, 5));
    await client.heartbeat('node-1');
    expect(cp.host('node-1')!.lastHeartbeatAt).toBeGreaterThan(before);

    // the same token never works twice
    await expect(
      joinControlPlane({
        controlPlaneUrl: srv.url,
        joinToken: token,
        hostId: 'node-1',
        certsDir: join(dir, 'again'),
      }),
    ).rejects.toThrow(/401/);
    // a restart reuses the stored certificate, no token needed
    const again = await loadOrJoin({ certsDir, hostId: 'node-1' });
    expect(again.joined).toBe(false);
    expect(again.identity.certPem).toBe(id.certPem);
  });

  it('refuses registration without an agent certificate, or for another host', async () => {
    const { token } = cp.issueJoinToken();
    const id = await joinControlPlane({
      controlPlaneUrl: srv.url,
      joinToken: token,
      hostId: 'node-2',
      certsDir: join(dir, 'node-2'),
    });
    const anonymous = new ControlPlaneClient(srv.url, { ca: cp.ca.certPem });
    await expect(anonymous.register('node-2', { address: 'x:1', inventory })).rejects.toThrow(/401/);
    const node2 = new ControlPlaneClient(srv.url, { ca: id.caPem, cert: id.certPem, key: id.keyPem });
    await expect(node2.register('node-1', { address: 'x:1', inventory })).rejects.toThrow(/403/);
    await expect(node2.heartbeat('node-2')).rejects.toThrow(/404/); // not registered yet
    await expect(
      node2.register('node-2', { address: 'x:1', inventory: { ...inventory, cpus: -1 } }),
    ).rejects.toThrow(/400/);
    const cp2 = await CertificateAuthority.create();
    const foreign = await cp2.issue({ commonName: 'node-2', role: 'agent' });
    const stranger = new ControlPlaneClient(srv.url, {
      ca: cp.ca.certPem,
      cert: foreign.certPem,
      key: foreign.keyPem,
    });
    await expect(stranger.register('node-2', { address: 'x:1', inventory })).rejects.toThrow(/401/);
  });

  it('refuses a token whose CA pin does not match the server, and bad tokens', async () => {
    const other = await CertificateAuthority.create();
    const forged = cp.issueJoinToken().token.replace(cp.ca.fingerprint, other.fingerprint);
    await expect(
      joinControlPlane({
        controlPlaneUrl: srv.url,
        joinToken: forged,
        hostId: 'node-3',
        certsDir: join(dir, 'n3'),
      }),
    ).rejects.toThrow(/pin mismatch/);
    await expect(
      loadOrJoin({
        certsDir: join(dir, 'n4'),
        hostId: 'node-4',
        controlPlaneUrl: srv.url,
        joinToken: 'letmein',
      }),
    ).rejects.toThrow(EnrolError);
    await expect(loadOrJoin({ certsDir: join(dir, 'n5'), hostId: 'node-5' })).rejects.toThrow(
      /no usable agent/,
    );
    const { token } = cp.issueJoinToken({ ttlMs: -1 });
    await expect(
      joinControlPlane({
        controlPlaneUrl: srv.url,
        joinToken: token,
        hostId: 'node-6',
        certsDir: join(dir, 'n6'),
      }),
    ).rejects.toThrow(/expired/);
  });
});

describe('control plane stores', () => {
  it('go through the async HostRegistry / JoinTokenRepo interfaces', async () => {
    const ca = await CertificateAuthority.create();
    const calls: string[] = [];
    const inner = new MemoryHostRegistry();
    const hosts: HostRegistry = {
      register: (id, reg, at) => {
        calls.push(`register ${id}`);
        return inner.register(id, reg, at);
      },
      heartbeat: (id, at) => {
        calls.push(`heartbeat ${id}`);
        return inner.heartbeat(id, at);
      },
      get: (id) => inner.get(id),
      list: () => inner.list(),
    };
    const tokens = new JoinTokenStore(ca.fingerprint);
    const cp = await ControlPlane.create({ ca, hosts, tokens });
    const { token } = await cp.createJoinToken({ hostId: 'node-9' });
    expect(tokens.size).toBe(1);
    expect(() => cp.host('node-9')).toThrow(/in-memory registry/);

    // two agents racing with one token: exactly one gets a certificate
    const csr = await createKeyAndCsr('node-9');
    const results = await Promise.allSettled([
      cp.join({ token, hostId: 'node-9', csrPem: csr.csrPem }),
      cp.join({ token, hostId: 'node-9', csrPem: csr.csrPem }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(tokens.size).toBe(0);

    await cp.register('node-9', { address: 'n9:7700', inventory });
    await cp.heartbeat('node-9');
    await expect(cp.heartbeat('node-10')).rejects.toThrow(/not registered/);
    expect((await cp.getHost('node-9'))?.address).toBe('n9:7700');
    expect(calls).toEqual(['register node-9', 'heartbeat node-9', 'heartbeat node-10']);
  });

  it('refuses a CSR that is not one, as bad input', async () => {
    const cp = await ControlPlane.create();
    const { token } = await cp.createJoinToken();
    await expect(cp.join({ token, hostId: 'node-11', csrPem: 'nope' })).rejects.toThrow(/Invalid csr/);
  });
});

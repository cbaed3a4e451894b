import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@kumo/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAgentConfig } from '../config.js';
import { createFakeDrivers } from '../drivers/fake/index.js';
import { ControlPlane } from '../pki/control-plane.js';
import { type ControlPlaneServer, startControlPlaneServer } from '../pki/control-plane-server.js';
import { createAgentClients } from './client.js';
import { startAgentDaemon } from './daemon.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const silent = createLogger({ service: 'agent', level: 'silent' });

describe('agent daemon', () => {
  let cp: ControlPlane;
  let srv: ControlPlaneServer;
  let home: string;

  beforeAll(async () => {
    cp = await ControlPlane.create();
    srv = await startControlPlaneServer({ controlPlane: cp });
    home = await mkdtemp(join(tmpdir(), 'kumo-agent-'));
  });
  afterAll(async () => {
    await srv.close();
    await rm(home, { recursive: true, force: true });
  });

  const env = (over: Record<string, string> = {}) => ({
    KUMO_HOME: home,
    KUMO_AGENT_HOST_ID: 'node-1',
    KUMO_AGENT_LISTEN: '127.0.0.1:0',
    KUMO_AGENT_CONTROL_PLANE_URL: srv.url,
    KUMO_AGENT_DRIVER: 'fake',
    KUMO_AGENT_HEARTBEAT_MS: '100',
    KUMO_AGENT_SHUTDOWN_GRACE_MS: '1000',
    KUMO_LOG_LEVEL: 'silent',
    ...over,
  });

  it('joins, serves mTLS gRPC, registers, heartbeats; a restart keeps its certificate and its guests', async () => {
    const fakes = createFakeDrivers({ host: { hostname: 'node-1' } });
    const cfg = readAgentConfig(
      env({ KUMO_AGENT_JOIN_TOKEN: cp.issueJoinToken({ hostId: 'node-1' }).token }),
    );
    const first = await startAgentDaemon(cfg, { drivers: fakes, logger: silent });

    await expect.poll(() => cp.host('node-1')?.address).toBe(`node-1:${first.port}`);
    expect(cp.host('node-1')?.inventory).toMatchObject({
      hostname: 'node-1',
      hypervisor: 'fake',
      kvm_proved: false,
    });
    const hb = cp.host('node-1')!.lastHeartbeatAt;
    await expect.poll(() => cp.host('node-1')!.lastHeartbeatAt).toBeGreaterThan(hb);

    // the control plane calls the agent with its own CA-signed client certificate
    const clients = createAgentClients(`127.0.0.1:${first.port}`, await cp.clientIdentity(), {
      hostId: 'node-1',
    });
    const spec = { instanceId: 'vm-1', name: 'vm-1', vcpus: 1, memoryMb: 64, arch: 0, machine: 0 } as const;
    await clients.compute.ensureDomain({ spec: { ...spec, disks: [], interfaces: [], properties: {} } });
    await clients.compute.startDomain({ instanceId: 'vm-1' });
    clients.close();
    await first.stop();
    expect((await fakes.compute.status('vm-1')).power).toBe('running');

    // restart with no token: the stored certificate is used; the guest is still there
    const second = await startAgentDaemon(readAgentConfig(env()), { drivers: fakes, logger: silent });
    expect(second.identity.certPem).toBe(first.identity.certPem);
    const again = createAgentClients(`127.0.0.1:${second.port}`, await cp.clientIdentity(), {
      hostId: 'node-1',
    });
    expect((await again.compute.getDomain({ instanceId: 'vm-1' })).domain?.power).toBe(1);
    again.close();
    await second.stop();
    fakes.compute.close();
  });

  it('listening and advertising port 0 advertises the port bound (the all-in-one local agent)', async () => {
    const cfg = readAgentConfig(
      env({
        KUMO_HOME: join(home, 'local'),
        KUMO_AGENT_HOST_ID: 'node-local',
        KUMO_AGENT_ADVERTISE: '127.0.0.1:0',
        KUMO_AGENT_JOIN_TOKEN: (await cp.issueJoinToken({ hostId: 'node-local' })).token,
      }),
    );
    const d = await startAgentDaemon(cfg, { drivers: createFakeDrivers(), logger: silent });
    await expect.poll(() => cp.host('node-local')?.address).toBe(`127.0.0.1:${d.port}`);
    await d.stop();
  });

  it('keeps running while the control plane is away (registration retried)', async () => {
    const dead = readAgentConfig(env({ KUMO_AGENT_CONTROL_PLANE_URL: 'https://127.0.0.1:1' }));
    const d = await startAgentDaemon(dead, { drivers: createFakeDrivers(), logger: silent });
    await new Promise((r) => setTimeout(r, 300));
    expect(d.port).toBeGreaterThan(0);
    await d.stop();
  });

  it('refuses to start without a certificate or a join token', async () => {
    const cfg = readAgentConfig(env({ KUMO_HOME: join(home, 'empty') }));
    await expect(startAgentDaemon(cfg, { drivers: createFakeDrivers(), logger: silent })).rejects.toThrow(
      /no usable agent certificate/,
    );
  });

  it('`kumo agent` runs the daemon and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', 'agent'], {
      cwd: repo,
      env: { ...process.env, ...env({ KUMO_LOG_LEVEL: 'info' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.stderr.on('data', (b) => {
      out += b;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => out, { timeout: 20_000, interval: 50 }).toContain('agent ready');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('guests left running');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

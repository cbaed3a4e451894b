import { credentials, status } from '@grpc/grpc-js';
import { Arch, HostServiceClient, HostServiceService, Machine } from '@kumo/agent-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeDrivers } from '../drivers/fake/index.js';
import { CertificateAuthority } from '../pki/ca.js';
import { ROLE_CONTROL_PLANE } from '../pki/x509.js';
import { createAgentClients, promised } from './client.js';
import { type RunningAgent, startTestAgent, testPki } from './testing.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return status[(err as { code: number }).code] ?? String(err);
  }
}

describe('agent mTLS', () => {
  let pki: Awaited<ReturnType<typeof testPki>>;
  let agent: RunningAgent;

  beforeAll(async () => {
    pki = await testPki('host-1');
    agent = await startTestAgent(pki);
  });
  afterAll(() => agent.stop());

  it('the control plane certificate gets through', async () => {
    expect((await agent.clients.host.getHostInfo({}, { deadlineMs: 5000 })).hostId).toBe('host-1');
  });

  it('a client without a certificate is refused at the handshake', async () => {
    const noCert = promised(
      new HostServiceClient(agent.address, credentials.createSsl(Buffer.from(pki.ca.certPem)), {
        'grpc.ssl_target_name_override': 'host-1',
      }),
      HostServiceService,
    );
    expect(await codeOf(noCert.getHostInfo({}, { deadlineMs: 5000 }))).toBe('UNAVAILABLE');
    const plain = promised(
      new HostServiceClient(agent.address, credentials.createInsecure()),
      HostServiceService,
    );
    expect(await codeOf(plain.getHostInfo({}, { deadlineMs: 5000 }))).toBe('UNAVAILABLE');
  });

  it('a client with a certificate from another CA is refused', async () => {
    const other = await CertificateAuthority.create({ commonName: 'Evil CA' });
    const stranger = await other.issue({ commonName: 'kumo-control-plane', role: ROLE_CONTROL_PLANE });
    // it trusts the real CA (so only its own certificate is wrong)
    const c = createAgentClients(agent.address, { ...stranger, caPem: pki.ca.certPem }, { hostId: 'host-1' });
    expect(await codeOf(c.host.getHostInfo({}, { deadlineMs: 5000 }))).toBe('UNAVAILABLE');
    c.close();
  });

  it("another agent's certificate (same CA) may not drive this agent", async () => {
    const c = createAgentClients(agent.address, pki.agent, { hostId: 'host-1' });
    expect(await codeOf(c.host.getHostInfo({}, { deadlineMs: 5000 }))).toBe('PERMISSION_DENIED');
    const events = c.watchEvents({});
    const code = await new Promise<number>((resolve) =>
      events.on('error', (e: { code: number }) => resolve(e.code)),
    );
    expect(status[code]).toBe('PERMISSION_DENIED');
    c.close();
  });

  it('the client checks the agent is the host it meant', async () => {
    const c = createAgentClients(agent.address, pki.controlPlane, { hostId: 'host-2' });
    expect(await codeOf(c.host.getHostInfo({}, { deadlineMs: 5000 }))).toBe('UNAVAILABLE');
    c.close();
  });
});

describe('agent server shutdown', () => {
  it('ends event streams at once and leaves running guests alone', async () => {
    const pki = await testPki('host-3');
    const fakes = createFakeDrivers();
    const agent = await startTestAgent(pki, { drivers: fakes });
    const c = agent.clients.compute;
    const spec = {
      instanceId: 'vm-keep',
      name: 'keep',
      vcpus: 1,
      memoryMb: 64,
      arch: Arch.UNSPECIFIED,
      machine: Machine.Q35,
    };
    await c.ensureDomain({ spec: { ...spec, disks: [], interfaces: [], properties: {} } });
    await c.startDomain({ instanceId: 'vm-keep' });

    const stream = agent.clients.watchEvents({ heartbeatIntervalMs: 60_000 });
    await new Promise((resolve) => stream.once('data', resolve));
    const ended = new Promise<string>((resolve) => {
      stream.on('status', (s) => resolve(status[s.code]!));
      stream.on('error', () => {});
    });
    const t0 = Date.now();
    await agent.stop();
    expect(await ended).toBe('OK');
    expect(Date.now() - t0).toBeLessThan(900); // not the 1 s grace: nothing was left hanging
    expect((await fakes.compute.status('vm-keep')).power).toBe('running');
    fakes.compute.close();
  });
});

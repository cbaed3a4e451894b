import { Writable } from 'node:stream';
import { createLogger } from '@kumo/service-kit';
import type { ComputeDriver } from '../drivers/compute.js';
import { createFakeDrivers, type FakeDrivers } from '../drivers/fake/index.js';
import type { NetworkDriver } from '../drivers/network.js';
import type { StorageDriver } from '../drivers/storage.js';
import { CertificateAuthority } from '../pki/ca.js';
import { createKeyAndCsr } from '../pki/csr.js';
import { ROLE_AGENT, ROLE_CONTROL_PLANE } from '../pki/x509.js';
import { AgentServer, agentServerCredentials, type TlsIdentity } from './agent-server.js';
import { type AgentClients, createAgentClients } from './client.js';

/** One CA and the identities tests need: an agent's, the control plane's. Made once per file (key generation costs ~ms). */
export async function testPki(hostId = 'host-1') {
  const ca = await CertificateAuthority.create();
  const { keyPem, csrPem } = await createKeyAndCsr(hostId);
  const agent: TlsIdentity = {
    keyPem,
    certPem: await ca.signCsr(csrPem, { commonName: hostId, role: ROLE_AGENT }),
    caPem: ca.certPem,
  };
  const controlPlane = await ca.issue({ commonName: 'kumo-control-plane', role: ROLE_CONTROL_PLANE });
  return { ca, hostId, agent, controlPlane };
}

export interface RunningAgent {
  server: AgentServer;
  address: string;
  clients: AgentClients;
  drivers: { compute: ComputeDriver; storage: StorageDriver; network: NetworkDriver };
  /** Every log line the agent wrote (parsed JSON). */
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** An agent gRPC server on 127.0.0.1 over mTLS with (fake unless given) drivers, and a control-plane client for it. */
export async function startTestAgent(
  pki: Awaited<ReturnType<typeof testPki>>,
  opts: { drivers?: Partial<FakeDrivers> | RunningAgent['drivers']; heartbeatMs?: number } = {},
): Promise<RunningAgent> {
  const drivers = { ...createFakeDrivers(), ...opts.drivers };
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      cb();
    },
  });
  const logger = createLogger({ service: 'agent', level: 'info', destination: sink });
  const server = new AgentServer({ ...drivers, logger, hostId: pki.hostId, heartbeatMs: opts.heartbeatMs });
  const port = await server.listen('127.0.0.1:0', agentServerCredentials(pki.agent));
  const address = `127.0.0.1:${port}`;
  const clients = createAgentClients(address, pki.controlPlane, { hostId: pki.hostId });
  return {
    server,
    address,
    clients,
    drivers,
    logs,
    async stop() {
      clients.close();
      await server.shutdown(1_000);
    },
  };
}

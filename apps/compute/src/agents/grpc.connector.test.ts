import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AgentServer,
  agentServerCredentials,
  CertificateAuthority,
  createFakeDrivers,
  createKeyAndCsr,
  ROLE_AGENT,
} from '@kumo/agent';
import { createLogger, type ServiceRuntime } from '@kumo/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentFailure } from './agent-errors.js';
import { createGrpcAgentConnector } from './grpc.connector.js';

const log = createLogger({ service: 'compute-test', level: 'silent' });
const hostId = 'grpc-host-1';
let home: string;
let server: AgentServer;
let address: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'kumo-grpc-'));
  // the agent's certificate comes from the same CA compute loads from <home>/ca
  const ca = await CertificateAuthority.loadOrCreate(join(home, 'ca'));
  const { keyPem, csrPem } = await createKeyAndCsr(hostId);
  const certPem = await ca.signCsr(csrPem, { commonName: hostId, role: ROLE_AGENT });
  server = new AgentServer({ ...createFakeDrivers(), logger: log, hostId });
  const port = await server.listen(
    '127.0.0.1:0',
    agentServerCredentials({ keyPem, certPem, caPem: ca.certPem }),
  );
  address = `127.0.0.1:${port}`;
});

afterAll(async () => {
  await server?.shutdown(500);
  rmSync(home, { recursive: true, force: true });
});

const rt = () => ({ home, log }) as unknown as ServiceRuntime;

describe('gRPC agent connector', () => {
  it('reaches an agent over mTLS with a control-plane certificate from <home>/ca, and caches the clients', async () => {
    let lookups = 0;
    const scheduler = {
      host: async (id: string) => {
        lookups++;
        if (id !== hostId) throw new Error(`host ${id} not found`);
        return { address } as never;
      },
    };
    const c = createGrpcAgentConnector({ rt: rt(), scheduler, log });
    try {
      const port = await c.forHost(hostId);
      expect((await port.host.getHostInfo({})).hostId).toBe(hostId);
      expect((await port.compute.listDomains({})).domains).toEqual([]);
      const err = await port.compute.getDomain({ instanceId: 'nope' }).catch((e: unknown) => e);
      expect(agentFailure(err)).toMatchObject({ notFound: true, unreachable: false });
      expect(await c.forHost(hostId)).toBe(port);
      expect(lookups).toBe(1);
      await expect(c.forHost('other-host')).rejects.toMatchObject({ kind: 'unavailable' });
    } finally {
      await c.close();
    }
  });

  it('a host without an address is unavailable, with the reason', async () => {
    const c = createGrpcAgentConnector({ rt: rt(), scheduler: { host: async () => ({}) as never }, log });
    await expect(c.forHost(hostId)).rejects.toThrow(/no agent address/);
    await c.close();
  });
});

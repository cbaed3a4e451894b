import { join } from 'node:path';
import { type AgentClients, CertificateAuthority, createAgentClients, ROLE_CONTROL_PLANE } from '@kumo/agent';
import type { SchedulerClient } from '@kumo/scheduler';
import { KumoError, type Logger, type ServiceRuntime } from '@kumo/service-kit';
import type { AgentConnector, AgentPort } from './connector.js';

/** How long a host's address is trusted before it is looked up again (a re-registered host may move). */
const ADDRESS_TTL_MS = 60_000;

interface Cached {
  address: string;
  clients: AgentClients;
  checkedAt: number;
}

/** The agent address in whatever shape the scheduler's host record gives it. */
function addressOf(rec: unknown): string | undefined {
  const r = (rec ?? {}) as Record<string, unknown>;
  for (const k of ['agent_address', 'agentAddress', 'address'])
    if (typeof r[k] === 'string' && r[k]) return r[k];
  return undefined;
}

/**
 * The real connector: gRPC over mTLS to the address each host registered in
 * the scheduler, with a control-plane client certificate issued by the Kumo CA
 * (`<home>/ca`). One set of clients per host, cached; grpc-js reconnects a
 * broken channel by itself, and a moved host gets new clients.
 */
export function createGrpcAgentConnector(deps: {
  rt: ServiceRuntime;
  scheduler: Pick<SchedulerClient, 'host'>;
  log: Logger;
}): AgentConnector {
  const cache = new Map<string, Cached>();
  let identity: ReturnType<CertificateAuthority['issue']> | undefined;
  const clientIdentity = () => {
    identity ??= CertificateAuthority.loadOrCreate(join(deps.rt.home, 'ca')).then((ca) =>
      ca.issue({ commonName: 'kumo-control-plane', role: ROLE_CONTROL_PLANE }),
    );
    identity.catch(() => {
      identity = undefined;
    });
    return identity;
  };
  const lookup = async (hostId: string): Promise<string> => {
    let rec: unknown;
    try {
      rec = await deps.scheduler.host(hostId);
    } catch (err) {
      throw new KumoError('unavailable', `host ${hostId}: no address (${(err as Error).message})`);
    }
    const address = addressOf(rec);
    if (!address) throw new KumoError('unavailable', `host ${hostId} has no agent address registered`);
    return address;
  };
  return {
    async forHost(hostId: string): Promise<AgentPort> {
      const have = cache.get(hostId);
      if (have && Date.now() - have.checkedAt < ADDRESS_TTL_MS) return have.clients;
      const address = await lookup(hostId);
      if (have && have.address === address) {
        have.checkedAt = Date.now();
        return have.clients;
      }
      have?.clients.close();
      const clients = createAgentClients(address, await clientIdentity(), { hostId });
      cache.set(hostId, { address, clients, checkedAt: Date.now() });
      deps.log.info({ hostId, address }, 'agent client ready');
      return clients;
    },
    async close() {
      for (const c of cache.values()) c.clients.close();
      cache.clear();
    },
  };
}

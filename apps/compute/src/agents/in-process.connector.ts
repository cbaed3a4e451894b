import { type AgentDrivers, createInProcessAgent, type InProcessAgent } from '@kumo/agent';
import { KumoError } from '@kumo/service-kit';
import { GRPC, serviceError } from './agent-errors.js';
import type { AgentConnector, AgentPort } from './connector.js';

export type { AgentDrivers };

export interface InProcessAgentConnector extends AgentConnector {
  /** The drivers behind a host (tests play the guest's part through them). */
  drivers(hostId: string): AgentDrivers | undefined;
  /** Add a host (or replace its drivers). */
  addHost(hostId: string, drivers: AgentDrivers): void;
  /** Simulate a host going down (every call UNAVAILABLE, event streams end) or coming back. */
  setReachable(hostId: string, up: boolean): void;
}

/**
 * Fake hosts served in-process (tests, benchmarks): the agent's own RPC
 * handlers on each host's drivers (`createInProcessAgent` from @kumo/agent),
 * without a network. Reachability is simulated here.
 */
export function createInProcessAgentConnector(hosts: Map<string, AgentDrivers>): InProcessAgentConnector {
  const down = new Set<string>();
  const agents = new Map<string, { agent: InProcessAgent; port: AgentPort }>();
  const unreachable = (hostId: string) => serviceError(GRPC.UNAVAILABLE, `host ${hostId} is unreachable`);

  const open = (hostId: string, d: AgentDrivers) => {
    const agent = createInProcessAgent(d, { hostId });
    const guard = <T extends object>(svc: T): T =>
      new Proxy(svc, {
        get(target, key, recv) {
          const v = Reflect.get(target, key, recv);
          if (typeof v !== 'function') return v;
          return (...args: unknown[]) =>
            down.has(hostId)
              ? Promise.reject(unreachable(hostId))
              : (v as (...a: unknown[]) => unknown).apply(target, args);
        },
      });
    const port: AgentPort = {
      host: guard(agent.host),
      compute: guard(agent.compute),
      storage: guard(agent.storage),
      network: guard(agent.network),
      watchEvents: (req, opts) => agent.watchEvents(req, opts),
    };
    const entry = { agent, port };
    agents.set(hostId, entry);
    return entry;
  };

  return {
    async forHost(hostId) {
      const d = hosts.get(hostId);
      if (!d) throw new KumoError('unavailable', `host ${hostId} is unknown to compute`);
      if (down.has(hostId)) throw new KumoError('unavailable', `host ${hostId} is unreachable`);
      return (agents.get(hostId) ?? open(hostId, d)).port;
    },
    drivers: (hostId) => hosts.get(hostId),
    addHost(hostId, drivers) {
      agents.get(hostId)?.agent.close();
      agents.delete(hostId);
      hosts.set(hostId, drivers);
    },
    setReachable(hostId, up) {
      if (up) {
        down.delete(hostId);
        return;
      }
      down.add(hostId);
      // a host that goes away ends its event streams (the watcher reconnects with backoff)
      agents.get(hostId)?.agent.close();
      agents.delete(hostId);
    },
    async close() {
      for (const a of agents.values()) a.agent.close();
      agents.clear();
    },
  };
}

import type { AgentClients } from '@kumo/agent';

/** The agent's services as compute calls them: the gRPC clients' promise-returning methods. */
export type AgentPort = Pick<AgentClients, 'host' | 'compute' | 'storage' | 'network' | 'watchEvents'>;

/**
 * How compute reaches the agent of a host. Real: gRPC + mTLS to the address
 * the host registered, with a control-plane certificate from the Kumo CA.
 * Tests and benchmarks: in-process fake agents (the same service handlers the
 * gRPC server runs, without the network).
 */
export interface AgentConnector {
  /** The agent of `hostId`; throws KumoError('unavailable') when the host is unknown or unreachable. */
  forHost(hostId: string): Promise<AgentPort>;
  close(): Promise<void>;
}

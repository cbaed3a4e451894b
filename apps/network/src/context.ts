import type { Logger, Policy } from '@kumo/service-kit';
import type { TunnelType } from './config.js';
import type { NetworkDb } from './db/database.js';
import type { NetworkSync } from './domain/sync.js';

/** Everything the network routes need, built once by createNetworkService (or a test). */
export interface NetworkContext {
  log: Logger;
  db: NetworkDb;
  policy: Policy;
  /** Told after every committed change of a network, port, security group, router or floating IP. */
  sync: NetworkSync;
  /** The overlay of tenant networks (their provider:network_type). */
  tunnelType: TunnelType;
  /** The default and largest MTU of tenant networks. */
  defaultMtu: number;
  /** This service's public base URL (no version), for version and paging links. */
  baseUrl: string;
}

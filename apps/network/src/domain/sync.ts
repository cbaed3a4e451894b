/**
 * What the API tells the OVN side after a change commits: "resource <kind>/<id> may differ from
 * OVN now". Level-based: the receiver re-reads the current state (or its absence) and converges;
 * repeating a request is harmless. The OVN reconciler implements it; tests without OVN use noSync.
 */
export type SyncKind = 'network' | 'port' | 'security_group' | 'router' | 'floating_ip';

export interface NetworkSync {
  request(kind: SyncKind, id: string): void;
}

export const noSync: NetworkSync = { request() {} };

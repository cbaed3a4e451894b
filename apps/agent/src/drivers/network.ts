import type { InstanceId, VifId } from './ids.js';

export interface NetworkCapabilities {
  backend: 'bridge' | 'ovn' | 'fake';
}

export interface VifBinding {
  vif: VifId;
  instance: InstanceId;
  mac: string;
  /** The bridge the domain interface plugs into (placeholder backend; OVN comes with the network issue). */
  bridge: string;
}

/** Prepares host networking for a guest interface before the domain uses it. Idempotent. */
export interface NetworkDriver {
  readonly capabilities: NetworkCapabilities;
  ensureVif(req: { vif: VifId; instance: InstanceId; mac: string; network: string }): Promise<VifBinding>;
  removeVif(vif: VifId): Promise<void>;
  listVifs(): Promise<VifBinding[]>;
}

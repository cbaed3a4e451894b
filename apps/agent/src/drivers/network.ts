import type { InstanceId, VifId } from './ids.js';

export interface NetworkCapabilities {
  backend: 'bridge' | 'ovn' | 'fake';
}

export interface VifBinding {
  vif: VifId;
  instance: InstanceId;
  mac: string;
  /**
   * The bridge the domain interface plugs into (bridge backend), or the integration bridge
   * (e.g. br-int) when `targetDev` is set — then for information only.
   */
  bridge: string;
  /**
   * The tap this driver created for the guest (ovn backend: `tap` + the first 11 characters of the
   * vif id, in br-int with external_ids:iface-id = vif). Compute passes it on as
   * DomainInterface.targetDev so the guest uses this tap. Absent: plug into `bridge`.
   */
  targetDev?: string;
}

/** Prepares host networking for a guest interface before the domain uses it. Idempotent. */
export interface NetworkDriver {
  readonly capabilities: NetworkCapabilities;
  ensureVif(req: { vif: VifId; instance: InstanceId; mac: string; network: string }): Promise<VifBinding>;
  removeVif(vif: VifId): Promise<void>;
  listVifs(): Promise<VifBinding[]>;
}

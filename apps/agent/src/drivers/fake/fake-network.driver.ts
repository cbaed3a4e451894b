import { checkId, DriverError, type InstanceId, type VifId } from '../ids.js';
import type { NetworkCapabilities, NetworkDriver, VifBinding } from '../network.js';
import { checkVifRequest } from './spec-checks.js';

export interface FakeNetworkOptions {
  /** The bridge a network's VIFs plug into (default `kb` + the first 12 id characters). */
  bridgeFor?: (network: string) => string;
}

/** Default bridge name for a network: at most 15 characters, a Linux interface name. */
export function fakeBridgeName(network: string): string {
  return `kb${network.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}`;
}

/**
 * In-memory VIF bindings. Semantics: ensureVif of the same binding again is a
 * no-op; the same vif with another instance, MAC or network, or a MAC another
 * vif holds, is a 'conflict'; removeVif of an unknown vif succeeds.
 */
export class FakeNetworkDriver implements NetworkDriver {
  readonly capabilities: NetworkCapabilities = { backend: 'fake' };
  private readonly vifs = new Map<VifId, VifBinding & { network: string }>();

  constructor(private readonly opts: FakeNetworkOptions = {}) {}

  async ensureVif(req: {
    vif: VifId;
    instance: InstanceId;
    mac: string;
    network: string;
  }): Promise<VifBinding> {
    const { vif, instance, mac, network } = checkVifRequest(req);
    const have = this.vifs.get(vif);
    if (have) {
      if (have.instance !== instance || have.mac !== mac || have.network !== network)
        throw new DriverError('conflict', `vif ${vif} is bound differently`);
      return binding(have);
    }
    for (const other of this.vifs.values())
      if (other.mac === mac) throw new DriverError('conflict', `mac ${mac} is used by vif ${other.vif}`);
    const b = { vif, instance, mac, network, bridge: (this.opts.bridgeFor ?? fakeBridgeName)(network) };
    this.vifs.set(vif, b);
    return binding(b);
  }

  async removeVif(vif: VifId): Promise<void> {
    this.vifs.delete(checkId('vif', vif));
  }

  async listVifs(): Promise<VifBinding[]> {
    return [...this.vifs.values()].map(binding);
  }
}

function binding(b: VifBinding): VifBinding {
  return { vif: b.vif, instance: b.instance, mac: b.mac, bridge: b.bridge };
}

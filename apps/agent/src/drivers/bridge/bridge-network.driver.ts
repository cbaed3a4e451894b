import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyedLock } from '../fake/keyed-lock.js';
import { checkVifRequest } from '../fake/spec-checks.js';
import { checkId, DriverError, type InstanceId, type VifId } from '../ids.js';
import { run } from '../libvirt/exec.js';
import type { NetworkCapabilities, NetworkDriver, VifBinding } from '../network.js';

export interface BridgeNetworkOptions {
  /** Where the bindings are kept (bindings.json), so they survive an agent restart. */
  stateDir: string;
  /** The bridge a network's VIFs plug into (default `kb` + the first 12 id characters). */
  bridgeFor?: (network: string) => string;
  /** The `ip` binary (default 'ip'). */
  ip?: string;
}

/** Default bridge name for a network: at most 15 characters, a Linux interface name. */
export function bridgeName(network: string): string {
  return `kb${network.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}`;
}

type Stored = VifBinding & { network: string };

/**
 * The placeholder network backend until OVN: one Linux bridge per network
 * (created, up, no address, no uplink — guests on it reach each other only),
 * and VIF bindings recorded in a file. libvirt creates and removes the taps
 * when the domain plugs into the bridge. Semantics as FakeNetworkDriver; a
 * bridge is deleted when its last VIF goes and nothing is plugged into it.
 */
export class BridgeNetworkDriver implements NetworkDriver {
  readonly capabilities: NetworkCapabilities = { backend: 'bridge' };
  private readonly lock = new KeyedLock();
  private readonly file: string;

  constructor(private readonly opts: BridgeNetworkOptions) {
    this.file = join(opts.stateDir, 'bindings.json');
  }

  async ensureVif(req: {
    vif: VifId;
    instance: InstanceId;
    mac: string;
    network: string;
  }): Promise<VifBinding> {
    const { vif, instance, mac, network } = checkVifRequest(req);
    return this.lock.run('bindings', async () => {
      const all = await this.load();
      const have = all.find((b) => b.vif === vif);
      if (have && (have.instance !== instance || have.mac !== mac || have.network !== network))
        throw new DriverError('conflict', `vif ${vif} is bound differently`);
      const other = all.find((b) => b.mac === mac && b.vif !== vif);
      if (other) throw new DriverError('conflict', `mac ${mac} is used by vif ${other.vif}`);
      const b = have ?? { vif, instance, mac, network, bridge: (this.opts.bridgeFor ?? bridgeName)(network) };
      await this.ensureBridge(b.bridge);
      if (!have) await this.save([...all, b]);
      return binding(b);
    });
  }

  async removeVif(vif: VifId): Promise<void> {
    const id = checkId('vif', vif);
    await this.lock.run('bindings', async () => {
      const all = await this.load();
      const gone = all.find((b) => b.vif === id);
      if (!gone) return;
      const rest = all.filter((b) => b.vif !== id);
      await this.save(rest);
      if (!rest.some((b) => b.bridge === gone.bridge)) await this.removeBridgeIfEmpty(gone.bridge);
    });
  }

  async listVifs(): Promise<VifBinding[]> {
    return (await this.load()).map(binding);
  }

  private async ensureBridge(bridge: string): Promise<void> {
    const ip = this.opts.ip ?? 'ip';
    try {
      if (!existsSync(`/sys/class/net/${bridge}`)) {
        await run(ip, ['link', 'add', bridge, 'type', 'bridge']).catch((err) => {
          if (!existsSync(`/sys/class/net/${bridge}`)) throw err; // lost a race: fine
        });
      }
      if (!existsSync(`/sys/class/net/${bridge}/bridge`))
        throw new DriverError('conflict', `${bridge} exists and is not a bridge`);
      await run(ip, ['link', 'set', bridge, 'up']);
    } catch (err) {
      if (err instanceof DriverError) throw err;
      throw new DriverError('unavailable', `cannot set up bridge ${bridge}: ${(err as Error).message}`);
    }
  }

  private async removeBridgeIfEmpty(bridge: string): Promise<void> {
    const ports = await readdir(`/sys/class/net/${bridge}/brif`).catch(() => undefined);
    if (ports === undefined || ports.length > 0) return;
    await run(this.opts.ip ?? 'ip', ['link', 'del', bridge]).catch(() => undefined);
  }

  private async load(): Promise<Stored[]> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as Stored[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new DriverError('internal', `cannot read ${this.file}: ${(err as Error).message}`);
    }
  }

  private async save(all: Stored[]): Promise<void> {
    await mkdir(this.opts.stateDir, { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    await writeFile(tmp, `${JSON.stringify(all, null, 2)}\n`);
    await rename(tmp, this.file);
  }
}

function binding(b: VifBinding): VifBinding {
  return { vif: b.vif, instance: b.instance, mac: b.mac, bridge: b.bridge };
}

import { existsSync } from 'node:fs';
import { deletePort, ensurePort, listInterfaces, type OvsInterface, waitInterfaceReady } from '@kumo/ovn';
import { OvsdbClient } from '@kumo/ovsdb';
import { KeyedLock } from '../fake/keyed-lock.js';
import { checkVifRequest } from '../fake/spec-checks.js';
import { checkId, DriverError, type InstanceId, type VifId } from '../ids.js';
import { run } from '../libvirt/exec.js';
import type { NetworkCapabilities, NetworkDriver, VifBinding } from '../network.js';

export interface OvnNetworkOptions {
  /** The chassis' Open_vSwitch database, e.g. `unix:/var/lib/kumo/agent/ovs/db.sock`. */
  ovsdb: string;
  /** Default br-int. */
  integrationBridge?: string;
  /** The `ip` binary (default 'ip'). */
  ip?: string;
  /** How long ovs-vswitchd may take to attach a tap (default 10 s). */
  attachTimeoutMs?: number;
}

/** The tap of a vif: `tap` + the first 11 characters of the port id, as Nova names them (≤ 14 chars). */
export function tapName(vif: VifId): string {
  return `tap${vif.slice(0, 11)}`;
}

/** external_ids keys on the tap's Interface row: OVN's iface-id plus what Nova/os-vif also set. */
const IFACE_ID = 'iface-id';
const ATTACHED_MAC = 'attached-mac';
const VM_UUID = 'vm-uuid';
const NETWORK = 'kumo-network';

/**
 * VIFs on OVN (the agent side of Neutron's OVN driver, as os-vif's ovs plugin with Nova's tap
 * naming): ensureVif makes a persistent tap and adds it to br-int with external_ids iface-id = the
 * Neutron port id (= the vif id), attached-mac, vm-uuid and iface-status=active, so ovn-controller
 * binds the logical switch port to this chassis. The guest uses that tap as is (VifBinding.targetDev:
 * libvirt `<interface type='ethernet'>`, managed='no'), so libvirt never needs to reach this OVS
 * instance. The OVSDB is the only state: bindings survive agent restarts, and listVifs reads them
 * back. Semantics as FakeNetworkDriver (conflicts, idempotency, invalid input).
 */
export class OvnNetworkDriver implements NetworkDriver {
  readonly capabilities: NetworkCapabilities = { backend: 'ovn' };
  private readonly lock = new KeyedLock();
  private client: Promise<OvsdbClient> | undefined;
  private readonly bridge: string;

  constructor(private readonly opts: OvnNetworkOptions) {
    this.bridge = opts.integrationBridge ?? 'br-int';
  }

  async ensureVif(req: {
    vif: VifId;
    instance: InstanceId;
    mac: string;
    network: string;
  }): Promise<VifBinding> {
    const { vif, instance, mac, network } = checkVifRequest(req);
    const tap = tapName(vif);
    return this.lock.run('vifs', async () => {
      const c = await this.ovsdb();
      const all = await this.interfaces(c);
      const have = all.find((i) => i.externalIds[IFACE_ID] === vif);
      if (
        have &&
        (have.externalIds[VM_UUID] !== instance ||
          have.externalIds[ATTACHED_MAC] !== mac ||
          have.externalIds[NETWORK] !== network)
      )
        throw new DriverError('conflict', `vif ${vif} is bound differently`);
      const other = all.find((i) => i.externalIds[ATTACHED_MAC] === mac && i.externalIds[IFACE_ID] !== vif);
      if (other)
        throw new DriverError('conflict', `mac ${mac} is used by vif ${other.externalIds[IFACE_ID]}`);
      const squatter = all.find((i) => i.name === tap && i.externalIds[IFACE_ID] !== vif);
      if (squatter)
        throw new DriverError(
          'conflict',
          `tap ${tap} belongs to vif ${squatter.externalIds[IFACE_ID] ?? '(none)'}: vif ids share their first 11 characters`,
        );
      await this.ensureTap(tap);
      await this.wrap(`plugging ${tap} into ${this.bridge}`, async () => {
        await ensurePort(c, {
          bridge: this.bridge,
          name: tap,
          externalIds: {
            [IFACE_ID]: vif,
            [ATTACHED_MAC]: mac,
            [VM_UUID]: instance,
            'iface-status': 'active',
            [NETWORK]: network,
          },
        });
        await waitInterfaceReady(c, tap, this.opts.attachTimeoutMs ?? 10_000);
      });
      return { vif, instance, mac, bridge: this.bridge, targetDev: tap };
    });
  }

  async removeVif(vif: VifId): Promise<void> {
    const id = checkId('vif', vif);
    await this.lock.run('vifs', async () => {
      const c = await this.ovsdb();
      const all = await this.interfaces(c);
      const mine = all.find((i) => i.externalIds[IFACE_ID] === id);
      const tap = mine?.name ?? tapName(id);
      const foreign = all.find((i) => i.name === tap && i.externalIds[IFACE_ID] !== id);
      if (foreign) return; // the tap name is another vif's
      if (mine) await this.wrap(`unplugging ${tap}`, () => deletePort(c, tap));
      if (existsSync(`/sys/class/net/${tap}`))
        await run(this.opts.ip ?? 'ip', ['link', 'del', tap]).catch((err: Error) => {
          if (existsSync(`/sys/class/net/${tap}`))
            throw new DriverError('unavailable', `cannot delete ${tap}: ${err.message}`);
        });
    });
  }

  async listVifs(): Promise<VifBinding[]> {
    const all = await this.interfaces(await this.ovsdb());
    return all.flatMap((i) => {
      const e = i.externalIds;
      const [vif, instance, mac] = [e[IFACE_ID], e[VM_UUID], e[ATTACHED_MAC]];
      if (!vif || !instance || !mac || e[NETWORK] === undefined) return [];
      return [{ vif, instance, mac, bridge: this.bridge, targetDev: i.name }];
    });
  }

  /** Closes the OVSDB connection (tests; the agent keeps it for its lifetime). */
  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await (await c?.catch(() => undefined))?.close();
  }

  private ovsdb(): Promise<OvsdbClient> {
    if (!this.client) {
      this.client = OvsdbClient.connect({ target: this.opts.ovsdb, requestTimeoutMs: 15_000 }).catch(
        (err: Error) => {
          this.client = undefined;
          throw new DriverError('unavailable', `Open vSwitch database ${this.opts.ovsdb}: ${err.message}`);
        },
      );
    }
    return this.client;
  }

  /** Interfaces of the integration bridge that Kumo plugged (they carry kumo-network). */
  private async interfaces(c: OvsdbClient): Promise<OvsInterface[]> {
    const all = await this.wrap('listing interfaces', () => listInterfaces(c));
    return all.filter((i) => i.bridge === this.bridge && i.externalIds[NETWORK] !== undefined);
  }

  private async ensureTap(tap: string): Promise<void> {
    const ip = this.opts.ip ?? 'ip';
    try {
      if (!existsSync(`/sys/class/net/${tap}`))
        await run(ip, ['tuntap', 'add', 'dev', tap, 'mode', 'tap']).catch((err) => {
          if (!existsSync(`/sys/class/net/${tap}`)) throw err; // lost a race: fine
        });
      if (!existsSync(`/sys/class/net/${tap}/tun_flags`))
        throw new DriverError('conflict', `${tap} exists and is not a tap`);
      await run(ip, ['link', 'set', tap, 'up']);
    } catch (err) {
      if (err instanceof DriverError) throw err;
      throw new DriverError('unavailable', `cannot create tap ${tap}: ${(err as Error).message}`);
    }
  }

  private async wrap<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      if (err instanceof DriverError) throw err;
      throw new DriverError('unavailable', `${what}: ${(err as Error).message}`);
    }
  }
}

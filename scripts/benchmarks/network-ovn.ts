/**
 * OVN for the network benchmark: a simulated host (network namespace with OVS on the userspace
 * datapath + ovn-controller) behind a real OVN central when this machine can run one (root,
 * OVS/OVN installed), else OVN central alone. Watches the NB (Logical_Switch_Port) and SB
 * (Port_Binding) through their own monitors, to time what an independent OVSDB client sees.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OvnCentral, startOvnCentral } from '@kumo/ovn';
import { createSimCloud, type SimCloud, type SimHost, simCloudMissing } from '@kumo/ovn/testing';
import { OvsdbClient, OvsdbSet, type Replica, type Row, type Value } from '@kumo/ovsdb';

/** A monitored table indexed by one string column (O(1) lookups however many rows). */
export class KeyedTable {
  private readonly byKey = new Map<string, Row>();

  constructor(
    private readonly replica: Replica,
    table: string,
    private readonly key: string,
  ) {
    for (const row of replica.rows(table)) this.put(row);
    replica.onChange((e) => {
      if (e.table !== table) return;
      if (e.kind === 'delete') this.byKey.delete(String(e.row[key]));
      else this.put(e.row);
    });
  }

  private put(row: Row): void {
    this.byKey.set(String(row[this.key]), row);
  }

  get(key: string): Row | undefined {
    return this.byKey.get(key);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Resolves with the time (performance.now()) at which `test(row)` first held. */
  async when(key: string, test: (row: Row) => boolean, timeoutMs = 60_000): Promise<number> {
    const ok = () => {
      const r = this.byKey.get(key);
      return r !== undefined && test(r);
    };
    await this.replica.waitFor(ok, timeoutMs);
    return performance.now();
  }
}

/** An optional column's single value (a bare atom, or a set of 0 or 1). */
const single = (v: Value | undefined): unknown =>
  v instanceof OvsdbSet ? v.items[0] : v instanceof Map ? undefined : v;

export const isUp = (row: Row): boolean => single(row.up) === true;
export const isBound = (row: Row): boolean => single(row.chassis) !== undefined;

/** utime + stime of a process, in seconds (USER_HZ = 100 on Linux). */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Math.round(Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

export interface OvnBench {
  nbConnection: string;
  /** What runs: a simulated host with ovn-controller, or OVN central alone (and why). */
  setup: string;
  /** NB Logical_Switch_Port by name (= Neutron port id). */
  lsp: KeyedTable;
  /** SB Port_Binding by logical_port. */
  binding: KeyedTable;
  /** The simulated host, when one runs. */
  host: SimHost | undefined;
  /** CPU seconds (user + system) each OVN/OVS daemon has used so far. */
  daemonCpuSeconds(): Record<string, number>;
  close(): Promise<void>;
}

export async function startOvnBench(log: (m: string) => void): Promise<OvnBench> {
  const missing = simCloudMissing();
  let cloud: SimCloud | undefined;
  let central: OvnCentral | undefined;
  let dir: string | undefined;
  let setup: string;
  let nb: OvsdbClient | undefined;
  let sb: OvsdbClient | undefined;
  const close = async () => {
    await nb?.close();
    await sb?.close();
    await cloud?.cleanup();
    await central?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    let nbConnection: string;
    let sbConnection: string;
    if (missing === undefined) {
      const t0 = performance.now();
      cloud = await createSimCloud({ hosts: 1 });
      await cloud.waitChassis();
      nbConnection = cloud.nbConnection;
      sbConnection = cloud.sbConnection;
      setup = `OVN central + 1 simulated host (ovn-controller, OVS userspace datapath), started in ${Math.round(performance.now() - t0)} ms`;
    } else {
      dir = mkdtempSync(join(tmpdir(), 'kumo-bench-ovn-'));
      central = await startOvnCentral({ dir, nbPort: 0, sbPort: 0 });
      nbConnection = central.nbConnection;
      sbConnection = central.sbConnection;
      setup = `OVN central only (no simulated host: ${missing})`;
    }
    log(setup);
    nb = await OvsdbClient.connect({ target: nbConnection });
    sb = await OvsdbClient.connect({ target: sbConnection });
    const nbReplica = await nb.monitor('OVN_Northbound', {
      Logical_Switch_Port: { columns: ['name', 'up'] },
    });
    const sbReplica = await sb.monitor('OVN_Southbound', {
      Port_Binding: { columns: ['logical_port', 'chassis', 'up'] },
    });
    return {
      nbConnection,
      setup,
      lsp: new KeyedTable(nbReplica, 'Logical_Switch_Port', 'name'),
      binding: new KeyedTable(sbReplica, 'Port_Binding', 'logical_port'),
      host: cloud?.hosts[0],
      daemonCpuSeconds: () => {
        const c = (cloud?.central ?? central)!;
        const ch = cloud?.hosts[0]?.chassis.pids;
        const pids: Record<string, number | undefined> = {
          'ovn-northd': c.pids.northd,
          'NB ovsdb-server': c.pids.nb,
          'SB ovsdb-server': c.pids.sb,
          'ovn-controller': ch?.controller,
          'ovs-vswitchd': ch?.vswitchd,
        };
        const out: Record<string, number> = {};
        for (const [name, pid] of Object.entries(pids)) if (pid) out[name] = cpuSecondsOf(pid);
        return out;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface PortToOvnSamples {
  create: number[];
  toNbRow: number[];
  toFlush: number[];
  toSbBinding: number[];
  /** Only with a simulated host: the plug itself, plug start → bound / up, and API 201 → up (plug included). */
  plug: number[];
  plugToBound: number[];
  plugToUp: number[];
  createToUp: number[];
}

/**
 * `rounds` times, one after the other: create a port on `networkId` through the API, then time the
 * NB row, the OVN sync's flush and the SB Port_Binding; with a host, plug a VM stand-in with that
 * iface-id and time the binding to the chassis and LSP up=true (ovn-controller installed the flows).
 */
export async function portToOvn(
  create: () => Promise<{ id: string; mac_address: string }>,
  flush: () => Promise<void>,
  ovn: OvnBench,
  rounds: number,
): Promise<PortToOvnSamples> {
  const s: PortToOvnSamples = {
    create: [],
    toNbRow: [],
    toFlush: [],
    toSbBinding: [],
    plug: [],
    plugToBound: [],
    plugToUp: [],
    createToUp: [],
  };
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const port = await create();
    const t201 = performance.now();
    const flushed = flush().then(() => performance.now());
    const nbRow = ovn.lsp.when(port.id, () => true);
    const sbRow = ovn.binding.when(port.id, () => true);
    const tNb = await nbRow;
    const tSb = await sbRow;
    s.create.push(t201 - t0);
    s.toNbRow.push(tNb - t201);
    s.toFlush.push((await flushed) - t201);
    s.toSbBinding.push(tSb - t201);
    if (!ovn.host) continue;
    const bound = ovn.binding.when(port.id, isBound);
    const up = ovn.lsp.when(port.id, isUp);
    const p0 = performance.now();
    const vm = await ovn.host.addVm({ portId: port.id, mac: port.mac_address, name: `bench${i}` });
    s.plug.push(performance.now() - p0);
    const tUp = await up;
    s.plugToBound.push((await bound) - p0);
    s.plugToUp.push(tUp - p0);
    s.createToUp.push(tUp - t201);
    await vm.remove();
  }
  return s;
}

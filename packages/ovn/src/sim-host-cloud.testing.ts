import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type OvnCentral, ovnCentralMissing, startOvnCentral } from './central.js';
import { pollUntil } from './chassis-process.js';
import {
  createSimHosts,
  createSimUnderlay,
  type SimHost,
  type SimHostsOptions,
  type SimUnderlay,
  type SimVm,
  simHostsMissing,
} from './sim-host.testing.js';

const execFileP = promisify(execFile);

/** Why a simulated cloud cannot run here (or undefined). */
export function simCloudMissing(): string | undefined {
  return simHostsMissing() ?? ovnCentralMissing();
}

export interface SimCloud {
  underlay: SimUnderlay;
  central: OvnCentral;
  /** NB / SB over TCP on the underlay address (reachable from the host namespaces too). */
  nbConnection: string;
  sbConnection: string;
  hosts: SimHost[];
  vms: SimVm[];
  /** ovn-nbctl / ovn-sbctl against this central; resolve to stdout. */
  nbctl(...args: string[]): Promise<string>;
  sbctl(...args: string[]): Promise<string>;
  /** Resolves once the logical switch port is up (NB Logical_Switch_Port.up); returns the ms waited. */
  waitPortUp(port: string, timeoutMs?: number): Promise<number>;
  /** Resolves once every host's chassis is registered in the SB DB. */
  waitChassis(timeoutMs?: number): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * An underlay, OVN central (listening on the underlay bridge address) and `hosts` simulated hosts.
 * Everything it made goes in cleanup(): VM and host namespaces, chassis and central daemons (by PID),
 * the underlay bridge and temp dirs.
 */
export async function createSimCloud(
  opts: Partial<Omit<SimHostsOptions, 'underlay' | 'sbConnection' | 'count'>> & { hosts?: number } = {},
): Promise<SimCloud> {
  const underlay = await createSimUnderlay();
  const dir = mkdtempSync(join(tmpdir(), `kumo-simcloud-${underlay.tag}-`));
  let central: OvnCentral | undefined;
  let cleanupHosts: (() => Promise<void>) | undefined;
  const cleanup = async () => {
    await cleanupHosts?.();
    await central?.stop();
    await underlay.cleanup();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    central = await startOvnCentral({ dir, address: underlay.address, nbPort: 0, sbPort: 0 });
    const c = central;
    const sim = await createSimHosts({
      ...opts,
      underlay,
      count: opts.hosts ?? 2,
      sbConnection: c.sbConnection,
    });
    cleanupHosts = sim.cleanup;
    const tool =
      (bin: string, db: string) =>
      async (...args: string[]) =>
        (await execFileP(bin, [`--db=${db}`, ...args], { timeout: 30_000 })).stdout;
    const nbctl = tool('ovn-nbctl', c.nbSocket);
    const sbctl = tool('ovn-sbctl', c.sbSocket);
    return {
      underlay,
      central: c,
      nbConnection: c.nbConnection,
      sbConnection: c.sbConnection,
      hosts: sim.hosts,
      vms: sim.vms,
      nbctl,
      sbctl,
      waitPortUp: async (port, timeoutMs = 30_000) => {
        const t0 = performance.now();
        await pollUntil(
          `logical switch port ${port} up`,
          async () =>
            (await nbctl('--if-exists', 'get', 'Logical_Switch_Port', port, 'up')).trim() === 'true',
          timeoutMs,
        );
        return performance.now() - t0;
      },
      waitChassis: async (timeoutMs = 30_000) => {
        const names = sim.hosts.map((h) => h.name);
        await pollUntil(
          `chassis ${names.join(', ')} registered`,
          async () => {
            const out = await sbctl('--bare', '--columns=name', 'list', 'Chassis');
            return names.every((n) => out.includes(n));
          },
          timeoutMs,
        );
      },
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export type DatapathType = 'system' | 'netdev';

export interface DatapathProbe {
  /** Whether the module is loaded (default: /sys/module/openvswitch exists). */
  moduleLoaded(): boolean;
  /** Runs a command, rejecting on a non-zero exit. */
  run(cmd: string, args: readonly string[]): Promise<unknown>;
}

const realProbe: DatapathProbe = {
  moduleLoaded: () => existsSync('/sys/module/openvswitch'),
  run: (cmd, args) => execFileP(cmd, [...args], { timeout: 15_000 }),
};

/**
 * Whether Open vSwitch's kernel datapath works on this host: the openvswitch module is loaded or
 * loadable (`modprobe -n`, then `modprobe`), and a datapath can really be created and deleted
 * (`ovs-dpctl add-dp` / `del-dp` of a throw-away datapath) — a module that loads but cannot serve
 * (e.g. in a container without the generic netlink family) does not count.
 */
export async function kernelDatapathAvailable(probe: DatapathProbe = realProbe): Promise<boolean> {
  if (!probe.moduleLoaded()) {
    try {
      await probe.run('modprobe', ['-n', 'openvswitch']);
      await probe.run('modprobe', ['openvswitch']);
    } catch {
      return false;
    }
    if (!probe.moduleLoaded()) return false;
  }
  const dp = `ovs-kumoprobe${process.pid % 1000}`;
  try {
    await probe.run('ovs-dpctl', ['add-dp', dp]);
  } catch {
    return false;
  }
  await probe.run('ovs-dpctl', ['del-dp', dp]).catch(() => undefined);
  return true;
}

/** 'system' where the kernel datapath works, else 'netdev' (the userspace datapath). */
export async function detectDatapath(probe?: DatapathProbe): Promise<DatapathType> {
  return (await kernelDatapathAvailable(probe)) ? 'system' : 'netdev';
}

/** Resolves a configured datapath: 'auto' probes the host. */
export async function resolveDatapath(
  wanted: 'auto' | DatapathType | undefined,
  probe?: DatapathProbe,
): Promise<DatapathType> {
  return wanted === undefined || wanted === 'auto' ? detectDatapath(probe) : wanted;
}

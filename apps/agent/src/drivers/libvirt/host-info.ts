import { readdir, readFile, statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Arch, HostInfo } from '../compute.js';
import { run } from './exec.js';

/**
 * What this host has, read from /proc and /sys (not from libvirt: `virsh
 * nodeinfo` misreports memory on some hosts). Parsers are pure for tests.
 */

/** MemTotal of /proc/meminfo (or a node's meminfo) in MiB. */
export function parseMemTotalMb(meminfo: string): number {
  const m = /MemTotal:\s+(\d+)\s*kB/i.exec(meminfo);
  return m ? Math.floor(Number(m[1]) / 1024) : 0;
}

/** Processor count and model name from /proc/cpuinfo. */
export function parseCpuinfo(cpuinfo: string): { cpus: number; model?: string } {
  const cpus = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const model = /^(?:model name|Processor|cpu model)\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim();
  return { cpus, model };
}

/** "0-3,8,10-11" → [0,1,2,3,8,10,11]. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map((x) => Number.parseInt(x, 10));
    if (a === undefined || Number.isNaN(a)) continue;
    const last = b === undefined || Number.isNaN(b) ? a : b;
    for (let i = a; i <= last; i++) out.push(i);
  }
  return out;
}

/** "Model name:" from `lscpu` output (aarch64 /proc/cpuinfo has no model name). */
export function parseLscpuModel(lscpu: string): string | undefined {
  return /^Model name:\s*(.+)$/m.exec(lscpu)?.[1]?.trim();
}

export function hostArch(): Arch {
  return process.arch === 'arm64' ? 'aarch64' : 'x86_64';
}

export interface HostPaths {
  proc: string;
  sys: string;
}

const DEFAULT_PATHS: HostPaths = { proc: '/proc', sys: '/sys' };

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** NUMA cells from sysfs; one cell with everything when sysfs has none. */
export async function numaCells(
  paths: HostPaths,
  fallback: { cpus: number; memoryMb: number },
): Promise<HostInfo['numaCells']> {
  const base = join(paths.sys, 'devices/system/node');
  let entries: string[] = [];
  try {
    entries = (await readdir(base)).filter((e) => /^node\d+$/.test(e));
  } catch {
    entries = [];
  }
  const cells: HostInfo['numaCells'] = [];
  for (const e of entries.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))) {
    const cpulist = await readText(join(base, e, 'cpulist'));
    const meminfo = await readText(join(base, e, 'meminfo'));
    cells.push({
      id: Number(e.slice(4)),
      cpus: parseCpuList(cpulist ?? ''),
      memoryMb: parseMemTotalMb(meminfo ?? ''),
    });
  }
  if (cells.length > 0) return cells;
  return [{ id: 0, cpus: [...Array(fallback.cpus).keys()], memoryMb: fallback.memoryMb }];
}

/** statfs of `path`, or of its nearest existing parent (the root may not exist yet). */
export async function diskSpace(path: string): Promise<{ totalBytes: number; freeBytes: number }> {
  let p = path;
  for (;;) {
    try {
      const s = await statfs(p);
      return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
    } catch (err) {
      const parent = dirname(p);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === p) throw err;
      p = parent;
    }
  }
}

export async function readHostInfo(opts: {
  storageRoot: string;
  hypervisor: HostInfo['hypervisor'];
  kvmProved: boolean;
  paths?: HostPaths;
}): Promise<HostInfo> {
  const paths = opts.paths ?? DEFAULT_PATHS;
  const memoryMb = parseMemTotalMb((await readText(join(paths.proc, 'meminfo'))) ?? '');
  const cpu = parseCpuinfo((await readText(join(paths.proc, 'cpuinfo'))) ?? '');
  let model = cpu.model;
  if (!model) {
    model = await run('lscpu', [], { timeoutMs: 10_000 })
      .then((r) => parseLscpuModel(r.stdout))
      .catch(() => undefined);
  }
  const disk = await diskSpace(opts.storageRoot);
  return {
    hostname: hostname(),
    arch: hostArch(),
    cpuModel: model ?? 'unknown',
    cpus: cpu.cpus,
    numaCells: await numaCells(paths, { cpus: cpu.cpus, memoryMb }),
    memoryMb,
    diskTotalBytes: disk.totalBytes,
    diskFreeBytes: disk.freeBytes,
    hypervisor: opts.hypervisor,
    kvmProved: opts.kvmProved,
  };
}

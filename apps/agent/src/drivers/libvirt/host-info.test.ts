import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  diskSpace,
  numaCells,
  parseCpuinfo,
  parseCpuList,
  parseLscpuModel,
  parseMemTotalMb,
  readHostInfo,
} from './host-info.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kumo-hostinfo-'));
  dirs.push(d);
  return d;
}

describe('host info parsers', () => {
  it('reads MemTotal in MiB (host and per-node formats)', () => {
    expect(parseMemTotalMb('MemTotal:       24567892 kB\nMemFree: 1 kB\n')).toBe(23992);
    expect(parseMemTotalMb('Node 0 MemTotal:       2097152 kB\n')).toBe(2048);
    expect(parseMemTotalMb('')).toBe(0);
  });

  it('counts processors and finds the model (x86 and aarch64 layouts)', () => {
    const x86 =
      'processor\t: 0\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n';
    expect(parseCpuinfo(x86)).toEqual({ cpus: 2, model: 'AMD EPYC 7B13' });
    const arm = 'processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n\nprocessor\t: 1\n';
    expect(parseCpuinfo(arm)).toEqual({ cpus: 2, model: undefined });
    expect(parseLscpuModel('Architecture: aarch64\nModel name: Neoverse-N1\n')).toBe('Neoverse-N1');
  });

  it('expands cpu lists', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('')).toEqual([]);
  });

  it('reads NUMA cells from sysfs, or one cell when there is none', async () => {
    const sys = await tmp();
    for (const [n, cpus, kb] of [
      [0, '0-1', 1048576],
      [1, '2-3', 2097152],
    ] as const) {
      await mkdir(join(sys, `devices/system/node/node${n}`), { recursive: true });
      await writeFile(join(sys, `devices/system/node/node${n}/cpulist`), `${cpus}\n`);
      await writeFile(join(sys, `devices/system/node/node${n}/meminfo`), `Node ${n} MemTotal: ${kb} kB\n`);
    }
    await writeFile(join(sys, 'devices/system/node/possible'), '0-1\n');
    expect(await numaCells({ proc: '/proc', sys }, { cpus: 4, memoryMb: 3072 })).toEqual([
      { id: 0, cpus: [0, 1], memoryMb: 1024 },
      { id: 1, cpus: [2, 3], memoryMb: 2048 },
    ]);
    expect(await numaCells({ proc: '/proc', sys: await tmp() }, { cpus: 2, memoryMb: 100 })).toEqual([
      { id: 0, cpus: [0, 1], memoryMb: 100 },
    ]);
  });

  it('statfs of a storage root that does not exist yet uses its parent', async () => {
    const d = await tmp();
    const s = await diskSpace(join(d, 'not/yet/there'));
    expect(s.totalBytes).toBeGreaterThan(0);
    expect(s.freeBytes).toBeLessThanOrEqual(s.totalBytes);
  });
});

describe('readHostInfo on this host', () => {
  it('reports memory, CPUs, NUMA and disk from /proc, /sys and statfs', async () => {
    const info = await readHostInfo({ storageRoot: await tmp(), hypervisor: 'qemu', kvmProved: false });
    expect(info.memoryMb).toBeGreaterThan(100);
    expect(info.cpus).toBeGreaterThan(0);
    expect(info.cpuModel.length).toBeGreaterThan(0);
    expect(info.numaCells.length).toBeGreaterThan(0);
    expect(info.numaCells.flatMap((c) => c.cpus).length).toBeGreaterThan(0);
    expect(info.diskTotalBytes).toBeGreaterThan(0);
    expect(info.hypervisor).toBe('qemu');
    expect(info.kvmProved).toBe(false);
    expect(['x86_64', 'aarch64']).toContain(info.arch);
  });
});

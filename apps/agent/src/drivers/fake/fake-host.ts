import type { Arch, HostInfo } from '../compute.js';

/** What a fake host looks like to the scheduler; every field has a default. */
export interface FakeHostOptions {
  hostname?: string;
  arch?: Arch;
  cpuModel?: string;
  cpus?: number;
  memoryMb?: number;
  /** Default: one cell holding every CPU and all memory. */
  numaCells?: HostInfo['numaCells'];
  diskTotalBytes?: number;
  diskFreeBytes?: number;
}

const GiB = 1024 ** 3;

export function fakeHostInfo(o: FakeHostOptions = {}): HostInfo {
  const cpus = o.cpus ?? 8;
  const memoryMb = o.memoryMb ?? 32 * 1024;
  const diskTotalBytes = o.diskTotalBytes ?? 1024 * GiB;
  return {
    hostname: o.hostname ?? 'fake-host',
    arch: o.arch ?? 'x86_64',
    cpuModel: o.cpuModel ?? (o.arch === 'aarch64' ? 'fake-neoverse' : 'fake-x86-64-v3'),
    cpus,
    numaCells: o.numaCells ?? [{ id: 0, cpus: Array.from({ length: cpus }, (_, i) => i), memoryMb }],
    memoryMb,
    diskTotalBytes,
    diskFreeBytes: o.diskFreeBytes ?? diskTotalBytes,
    hypervisor: 'fake',
    kvmProved: false,
  };
}

/**
 * Options for `count` fake hosts named `<prefix>-000`, `<prefix>-001`, …
 * (e.g. 100 hosts for a scheduler test); `vary(i)` overrides per host.
 */
export function fakeHostFleet(
  count: number,
  prefix = 'fake-host',
  vary: (i: number) => FakeHostOptions = () => ({}),
): FakeHostOptions[] {
  return Array.from({ length: count }, (_, i) => ({
    hostname: `${prefix}-${String(i).padStart(3, '0')}`,
    ...vary(i),
  }));
}

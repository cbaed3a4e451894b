import { describe, expect, it } from 'vitest';
import { FILTERS, imageArch, noValidHostMessage, runFilters, traitsWanted } from './filters.js';
import type { FilterContext, HostState, ScheduleRequest } from './host-state.js';
import { weighHosts } from './weighers.js';

const NOW = 1_000_000;
const host = (id: string, o: Partial<HostState> = {}, ram = 8192, usedRam = 0): HostState => ({
  id,
  hostname: id,
  address: `${id}:7700`,
  arch: 'x86_64',
  hypervisor: 'kvm',
  enabled: true,
  disabledReason: null,
  availabilityZone: 'nova',
  lastHeartbeatAt: NOW,
  traits: new Set(['HW_ARCH_X86_64', 'COMPUTE_HYPERVISOR_KVM']),
  inventories: {
    VCPU: { total: 4, reserved: 0, allocationRatio: 4, minUnit: 1, maxUnit: 4, stepSize: 1, used: 0 },
    MEMORY_MB: {
      total: ram,
      reserved: 512,
      allocationRatio: 1,
      minUnit: 1,
      maxUnit: ram,
      stepSize: 1,
      used: usedRam,
    },
    DISK_GB: { total: 100, reserved: 0, allocationRatio: 1, minUnit: 1, maxUnit: 100, stepSize: 1, used: 0 },
  },
  ...o,
});
const ctx = (o: Partial<FilterContext> = {}): FilterContext => ({
  now: NOW,
  hostDownMs: 60_000,
  isolatedHosts: new Set(),
  isolatedImages: new Set(),
  groupHosts: new Map(),
  ...o,
});
const req = (o: Partial<ScheduleRequest> = {}): ScheduleRequest => ({
  consumerId: 'c',
  projectId: 'p',
  userId: 'u',
  resources: { VCPU: 1, MEMORY_MB: 512, DISK_GB: 10 },
  ...o,
});
const ids = (hs: HostState[]) => hs.map((h) => h.id);

describe('filters', () => {
  it('ComputeFilter drops disabled and down hosts', () => {
    const hosts = [host('a'), host('b', { enabled: false }), host('c', { lastHeartbeatAt: NOW - 60_000 })];
    const r = runFilters(hosts, req(), ctx());
    expect(ids(r.hosts)).toEqual(['a']);
    expect(r.report).toEqual([
      { name: 'ComputeFilter', removed: 2 },
      { name: 'RamFilter', removed: 0 },
      { name: 'CoreFilter', removed: 0 },
      { name: 'DiskFilter', removed: 0 },
    ]);
  });

  it('capacity uses reserved and allocation ratios, min/max unit and step', () => {
    const h = host('a');
    // 4 CPUs × ratio 4 = 16 VCPU; one consumer takes at most max_unit (4)
    expect(runFilters([h], req({ resources: { VCPU: 5 } }), ctx()).hosts).toHaveLength(0);
    h.inventories.VCPU!.used = 12;
    expect(runFilters([h], req({ resources: { VCPU: 4 } }), ctx()).hosts).toHaveLength(1);
    h.inventories.VCPU!.used = 13;
    expect(runFilters([h], req({ resources: { VCPU: 4 } }), ctx()).hosts).toHaveLength(0);
    expect(runFilters([h], req({ resources: { MEMORY_MB: 8192 - 512 } }), ctx()).hosts).toHaveLength(1);
    expect(runFilters([h], req({ resources: { MEMORY_MB: 8192 - 511 } }), ctx()).hosts).toHaveLength(0);
    const stepped = host('s');
    stepped.inventories.DISK_GB!.stepSize = 5;
    expect(runFilters([stepped], req({ resources: { DISK_GB: 7 } }), ctx()).hosts).toHaveLength(0);
  });

  it('availability zone, force and ignore hosts', () => {
    const hosts = [host('a'), host('b', { availabilityZone: 'az2' })];
    expect(ids(runFilters(hosts, req({ availabilityZone: 'az2' }), ctx()).hosts)).toEqual(['b']);
    expect(ids(runFilters(hosts, req({ forceHost: 'a' }), ctx()).hosts)).toEqual(['a']);
    expect(ids(runFilters(hosts, req({ ignoreHosts: ['a'] }), ctx()).hosts)).toEqual(['b']);
  });

  it('image properties: architecture aliases and hypervisor type', () => {
    const hosts = [host('x'), host('arm', { arch: 'aarch64' }), host('tcg', { hypervisor: 'qemu' })];
    expect(imageArch(req({ imageProperties: { architecture: 'arm64' } }))).toBe('aarch64');
    expect(
      ids(runFilters(hosts, req({ imageProperties: { hw_architecture: 'aarch64' } }), ctx()).hosts),
    ).toEqual(['arm']);
    expect(ids(runFilters(hosts, req({ imageProperties: { img_hv_type: 'kvm' } }), ctx()).hosts)).toEqual([
      'x',
      'arm',
    ]);
    // a KVM host runs a qemu (TCG) image too
    expect(runFilters(hosts, req({ imageProperties: { img_hv_type: 'qemu' } }), ctx()).hosts).toHaveLength(3);
    expect(
      runFilters(hosts, req({ imageProperties: { architecture: 'ppc64le' } }), ctx()).hosts,
    ).toHaveLength(0);
  });

  it('traits: required, forbidden, and trait:* image properties', () => {
    const hosts = [host('a'), host('b', { traits: new Set(['CUSTOM_GPU', 'HW_ARCH_X86_64']) })];
    expect(ids(runFilters(hosts, req({ requiredTraits: ['CUSTOM_GPU'] }), ctx()).hosts)).toEqual(['b']);
    expect(ids(runFilters(hosts, req({ forbiddenTraits: ['CUSTOM_GPU'] }), ctx()).hosts)).toEqual(['a']);
    const byImage = req({ imageProperties: { 'trait:CUSTOM_GPU': 'required' } });
    expect(traitsWanted(byImage).required).toEqual(['CUSTOM_GPU']);
    expect(ids(runFilters(hosts, byImage, ctx()).hosts)).toEqual(['b']);
  });

  it('isolated hosts take only isolated images, and those go only there', () => {
    const hosts = [host('a'), host('iso')];
    const c = ctx({ isolatedHosts: new Set(['iso']), isolatedImages: new Set(['img-1']) });
    expect(ids(runFilters(hosts, req({ imageId: 'img-1' }), c).hosts)).toEqual(['iso']);
    expect(ids(runFilters(hosts, req({ imageId: 'img-2' }), c).hosts)).toEqual(['a']);
  });

  it('server group affinity and anti-affinity (with max_server_per_host)', () => {
    const hosts = [host('a'), host('b'), host('c')];
    const groupHosts = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    const anti = req({ group: { id: 'g', policy: 'anti-affinity' } });
    expect(ids(runFilters(hosts, anti, ctx({ groupHosts })).hosts)).toEqual(['c']);
    const anti2 = req({ group: { id: 'g', policy: 'anti-affinity', maxServerPerHost: 2 } });
    expect(ids(runFilters(hosts, anti2, ctx({ groupHosts })).hosts)).toEqual(['a', 'c']);
    const aff = req({ group: { id: 'g', policy: 'affinity' } });
    expect(ids(runFilters(hosts, aff, ctx({ groupHosts })).hosts)).toEqual(['a', 'b']);
    // the first member of an affinity group goes anywhere
    expect(runFilters(hosts, aff, ctx()).hosts).toHaveLength(3);
  });

  it('the no-valid-host message names each filter and what it removed', () => {
    const hosts = [host('a'), host('b', { enabled: false }), host('c', {}, 1024)];
    const r = runFilters(hosts, req({ resources: { MEMORY_MB: 2048 } }), ctx());
    expect(r.hosts).toHaveLength(1);
    const none = runFilters(hosts, req({ resources: { MEMORY_MB: 9000 } }), ctx());
    expect(noValidHostMessage(hosts.length, none.report)).toBe(
      'No valid host was found. 3 hosts: ComputeFilter removed 1, RamFilter removed 2.',
    );
    expect(noValidHostMessage(0, [])).toBe('No valid host was found. 0 hosts.');
    expect(FILTERS.map((f) => f.name)).toContain('ServerGroupAntiAffinityFilter');
  });
});

describe('weighers', () => {
  const hosts = [host('small', {}, 4096), host('big', {}, 65_536), host('mid', {}, 16_384, 1024)];
  it('spread: most free RAM first; pack: least free first', () => {
    expect(ids(weighHosts(hosts, req(), ctx(), 'spread'))).toEqual(['big', 'mid', 'small']);
    expect(ids(weighHosts(hosts, req(), ctx(), 'pack'))).toEqual(['small', 'mid', 'big']);
  });
  it('soft (anti-)affinity weighs before RAM', () => {
    const groupHosts = new Map([
      ['small', 2],
      ['big', 1],
    ]);
    const soft = req({ group: { id: 'g', policy: 'soft-affinity' } });
    expect(ids(weighHosts(hosts, soft, ctx({ groupHosts }), 'spread'))).toEqual(['small', 'big', 'mid']);
    const softAnti = req({ group: { id: 'g', policy: 'soft-anti-affinity' } });
    expect(ids(weighHosts(hosts, softAnti, ctx({ groupHosts }), 'spread'))).toEqual(['mid', 'big', 'small']);
  });
});

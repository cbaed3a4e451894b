import { describe, expect, it } from 'vitest';
import type { DomainSpec, HostEvent } from '../compute.js';
import { computeConformance } from '../conformance/compute.conformance.js';
import { expectKind } from '../conformance/helpers.js';
import { FakeComputeDriver } from './fake-compute.driver.js';
import { createFakeDrivers } from './fake-drivers.js';
import { fakeHostFleet } from './fake-host.js';
import { FakeStorageDriver } from './fake-storage.driver.js';

computeConformance('fake', async () => {
  const { compute, storage } = createFakeDrivers({ compute: { heartbeatMs: 20 } });
  return { compute, storage, bridge: 'kumobr0', cleanup: async () => compute.close() };
});

computeConformance(
  'fake (slow boot, guest ignores ACPI)',
  async () => {
    const storage = new FakeStorageDriver();
    const compute = new FakeComputeDriver({ storage, bootMs: 200, ignoresAcpi: true, arch: 'aarch64' });
    return { compute, storage, bridge: 'kumobr0', cleanup: async () => compute.close() };
  },
  { stopTimeoutMs: 100, stopSlackMs: 1_000, machine: 'virt', idPrefix: 'slow' },
);

async function domain(
  compute: FakeComputeDriver,
  storage: FakeStorageDriver,
  id = 'vm1',
): Promise<DomainSpec> {
  await storage.ensureBlankDisk({ disk: `${id}-root`, sizeBytes: 1024 * 1024 });
  const spec: DomainSpec = {
    instance: id,
    name: id,
    vcpus: 1,
    memoryMb: 64,
    disks: [{ disk: `${id}-root`, bus: 'virtio', device: 'disk', boot: true }],
    interfaces: [],
  };
  await compute.ensureDomain(spec);
  return spec;
}

describe('FakeComputeDriver specifics', () => {
  it('guest power-off and crash hooks change power state and emit events', async () => {
    const { compute, storage } = createFakeDrivers();
    await domain(compute, storage);
    const ac = new AbortController();
    const events = compute.events(ac.signal)[Symbol.asyncIterator]();
    await compute.start('vm1');
    compute.guestPowerOff('vm1');
    expect((await compute.status('vm1')).power).toBe('shutoff');
    await compute.start('vm1');
    compute.guestCrash('vm1');
    expect((await compute.status('vm1')).power).toBe('crashed');
    expect((await compute.start('vm1')).power).toBe('running');
    const got: HostEvent[] = [];
    for (let i = 0; i < 5; i++) got.push((await events.next()).value);
    expect(got.map((e) => e.type)).toEqual(['started', 'shutoff_by_guest', 'started', 'crashed', 'started']);
    ac.abort();
  });

  it('the READY line carries the config-drive hostname and the guest can print', async () => {
    const { compute, storage } = createFakeDrivers();
    const spec = await domain(compute, storage);
    await compute.ensureDomain({ ...spec, configDrive: { metaData: { hostname: 'web-1' } } });
    await compute.start('vm1');
    compute.guestPrint('vm1', 'hello\n');
    const { data } = await compute.consoleLog('vm1');
    expect(data).toMatch(/READY hostname=web-1 uuid=vm1 ip=none/);
    expect(data.endsWith('hello\n')).toBe(true);
  });

  it('IDE disks cannot be hot-plugged but can be attached while shut off; targets stay stable', async () => {
    const { compute, storage } = createFakeDrivers();
    await domain(compute, storage);
    for (const d of ['d1', 'd2', 'd3']) await storage.ensureBlankDisk({ disk: d, sizeBytes: 1024 * 1024 });
    await compute.start('vm1');
    await expectKind(compute.attachDisk('vm1', { disk: 'd1', bus: 'ide', device: 'cdrom' }), 'conflict');
    await compute.attachDisk('vm1', { disk: 'd1', bus: 'virtio', device: 'disk' });
    await compute.attachDisk('vm1', { disk: 'd2', bus: 'virtio', device: 'disk' });
    await compute.detachDisk('vm1', 'd1');
    const s = await compute.attachDisk('vm1', { disk: 'd3', bus: 'virtio', device: 'disk' });
    expect(s.disks).toEqual([
      { disk: 'vm1-root', target: 'vda' },
      { disk: 'd2', target: 'vdc' },
      { disk: 'd3', target: 'vdb' },
    ]);
    await compute.stop('vm1', { force: true });
    const cold = await compute.attachDisk('vm1', { disk: 'd1', bus: 'ide', device: 'cdrom', readOnly: true });
    expect(cold.disks.at(-1)).toEqual({ disk: 'd1', target: 'hda' });
  });

  it('a graceful stop of a guest that ignores ACPI waits its timeout, then forces', async () => {
    const { compute, storage } = createFakeDrivers({ compute: { ignoresAcpi: true } });
    await domain(compute, storage);
    await compute.start('vm1');
    const t0 = Date.now();
    expect((await compute.stop('vm1', { timeoutMs: 150 })).power).toBe('shutoff');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    await compute.start('vm1');
    const t1 = Date.now();
    await compute.stop('vm1', { force: true });
    expect(Date.now() - t1).toBeLessThan(100);
  });

  it('host info: configurable for scheduler fleets, disk figures from storage', async () => {
    const fleet = fakeHostFleet(100, 'rack1', (i) => ({
      cpus: 16 + (i % 4),
      memoryMb: 65536,
      arch: 'x86_64',
    }));
    expect(fleet).toHaveLength(100);
    const hosts = await Promise.all(
      fleet.map((host) =>
        createFakeDrivers({ host: { ...host, diskTotalBytes: 2 ** 40 } }).compute.hostInfo(),
      ),
    );
    expect(new Set(hosts.map((h) => h.hostname)).size).toBe(100);
    expect(hosts[5]).toMatchObject({ hostname: 'rack1-005', cpus: 17, memoryMb: 65536, hypervisor: 'fake' });
    expect(hosts[5]?.numaCells[0]?.cpus).toHaveLength(17);
    expect(hosts[5]?.diskTotalBytes).toBe(2 ** 40);
  });

  it('hostInfo returns a copy', async () => {
    const compute = new FakeComputeDriver({ hostname: 'h1' });
    const h = await compute.hostInfo();
    h.hostname = 'changed';
    expect((await compute.hostInfo()).hostname).toBe('h1');
  });
});

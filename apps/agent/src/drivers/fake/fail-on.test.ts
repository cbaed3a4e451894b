import { describe, expect, it } from 'vitest';
import { expectKind } from '../conformance/helpers.js';
import { DriverError } from '../ids.js';
import { FAKE_RPCS } from './fail-on.js';
import { createFakeDrivers } from './fake-drivers.js';

const spec = (id: string) => ({ instance: id, name: id, vcpus: 1, memoryMb: 64, disks: [], interfaces: [] });

describe('createFakeDrivers failOn', () => {
  it('a host whose starts fail: startDomain throws, the domain stays shut off; other RPCs work', async () => {
    const d = createFakeDrivers({
      failOn: { startDomain: new DriverError('internal', 'injected: no start') },
    });
    await d.compute.ensureDomain(spec('vm1'));
    await expectKind(d.compute.start('vm1'), 'internal');
    expect((await d.compute.status('vm1')).power).toBe('shutoff');
    await d.compute.destroy('vm1');
    await expectKind(d.compute.status('vm1'), 'not_found');
  });

  it('is live: entries added and removed later apply; "*" takes the whole host down', async () => {
    const d = createFakeDrivers();
    await d.storage.ensureBlankDisk({ disk: 'd1', sizeBytes: 1024 * 1024 });
    d.failOn['*'] = new DriverError('unavailable', 'host down');
    await expectKind(d.storage.getDisk('d1'), 'unavailable');
    await expectKind(d.network.listVifs(), 'unavailable');
    await expectKind(d.compute.hostInfo(), 'unavailable');
    delete d.failOn['*'];
    expect((await d.storage.getDisk('d1')).disk).toBe('d1');
  });

  it('a function decides per call (fail the first ensureDiskFromImage only, or one instance)', async () => {
    let calls = 0;
    const d = createFakeDrivers({
      failOn: {
        ensureBlankDisk: () => (calls++ === 0 ? new DriverError('no_space', 'injected: full') : undefined),
        ensureDomain: ([s]) =>
          (s as { instance: string }).instance === 'bad' ? new DriverError('invalid', 'injected') : undefined,
      },
    });
    await expectKind(d.storage.ensureBlankDisk({ disk: 'd1', sizeBytes: 512 }), 'no_space');
    expect((await d.storage.ensureBlankDisk({ disk: 'd1', sizeBytes: 512 })).disk).toBe('d1');
    await expectKind(d.compute.ensureDomain(spec('bad')), 'invalid');
    expect((await d.compute.ensureDomain(spec('good'))).power).toBe('shutoff');
  });

  it('every RPC name maps to a driver method', () => {
    const d = createFakeDrivers();
    expect(FAKE_RPCS.length).toBeGreaterThan(25);
    for (const rpc of FAKE_RPCS) {
      d.failOn[rpc] = new DriverError('internal', rpc);
    }
    return Promise.all([
      expectKind(d.compute.list(), 'internal'),
      expectKind(d.storage.exportDisk({ disk: 'x', url: 'http://x/', format: 'raw' }), 'internal'),
      expectKind(d.network.removeVif('v'), 'internal'),
    ]);
  });
});

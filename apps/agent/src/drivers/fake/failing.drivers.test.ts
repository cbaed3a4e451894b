import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectKind } from '../conformance/helpers.js';
import {
  DiskFullStorageDriver,
  SlowDestroyComputeDriver,
  StartFailsComputeDriver,
} from './failing.drivers.js';

const spec = (id: string) => ({
  instance: id,
  name: id,
  vcpus: 1,
  memoryMb: 64,
  disks: [],
  interfaces: [],
});

describe('failure-injecting fakes', () => {
  it('StartFailsComputeDriver: start and hard reboot fail; the domain stays shut off and no event fires', async () => {
    const compute = new StartFailsComputeDriver();
    await compute.ensureDomain(spec('vm1'));
    const ac = new AbortController();
    const events = compute.events(ac.signal)[Symbol.asyncIterator]();
    await expectKind(compute.start('vm1'), 'internal');
    await expectKind(compute.reboot('vm1', { hard: true }), 'internal');
    expect((await compute.status('vm1')).power).toBe('shutoff');
    ac.abort();
    expect(await events.next()).toMatchObject({ done: true });
    await compute.destroy('vm1');
    const unavailable = new StartFailsComputeDriver({}, 'unavailable');
    await unavailable.ensureDomain(spec('vm2'));
    await expectKind(unavailable.start('vm2'), 'unavailable');
  });

  it('SlowDestroyComputeDriver: destroy takes its time, then the domain is gone', async () => {
    const compute = new SlowDestroyComputeDriver({ destroyMs: 200 });
    await compute.ensureDomain(spec('vm1'));
    await compute.start('vm1');
    const t0 = Date.now();
    const pending = compute.destroy('vm1');
    expect((await compute.status('vm1')).power).toBe('running');
    await pending;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    await expectKind(compute.status('vm1'), 'not_found');
  });

  it('DiskFullStorageDriver: new images, disks and growth are no_space; what exists still answers', async () => {
    const storage = new DiskFullStorageDriver();
    storage.full = false;
    const made = await storage.ensureBlankDisk({ disk: 'd0', sizeBytes: 1024 * 1024 });
    storage.full = true;
    expect((await storage.usage()).freeBytes).toBe(0);
    await expectKind(storage.ensureBlankDisk({ disk: 'd1', sizeBytes: 1024 * 1024 }), 'no_space');
    await expectKind(storage.getDisk('d1'), 'not_found');
    const bytes = Buffer.alloc(1024, 1);
    storage.serve('http://images.fake/img', bytes);
    await expectKind(
      storage.ensureImage({
        image: 'img',
        url: 'http://images.fake/img',
        checksum: createHash('sha256').update(bytes).digest('hex'),
        checksumAlgo: 'sha256',
      }),
      'no_space',
    );
    await expectKind(storage.getImage('img'), 'not_found');
    expect(await storage.ensureBlankDisk({ disk: 'd0', sizeBytes: 1024 * 1024 })).toEqual(made);
    expect(await storage.resizeDisk('d0', 1024 * 1024)).toEqual(made);
    await expectKind(storage.resizeDisk('d0', 2 * 1024 * 1024), 'no_space');
    await storage.deleteDisk('d0');
  });
});

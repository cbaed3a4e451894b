import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectKind } from '../conformance/helpers.js';
import { storageConformance } from '../conformance/storage.conformance.js';
import { FakeStorageDriver, sniffImage } from './fake-storage.driver.js';

/** A qcow2 header: magic, version 3, no backing file, virtual size at byte 24. */
function qcow2Header(virtualSize: number): Uint8Array {
  const b = Buffer.alloc(512);
  b.writeUInt32BE(0x514649fb, 0);
  b.writeUInt32BE(3, 4);
  b.writeBigUInt64BE(BigInt(virtualSize), 24);
  return b;
}

storageConformance('fake', async () => {
  const storage = new FakeStorageDriver();
  return {
    storage,
    publish: async (name, bytes) => {
      const url = `http://images.fake/${name}`;
      storage.serve(url, bytes);
      return url;
    },
    fetchCount: (url) => storage.fetches.get(new URL(url).href) ?? 0,
    qcow2: { bytes: qcow2Header(64 * 1024 * 1024), virtualSizeBytes: 64 * 1024 * 1024 },
  };
});

describe('FakeStorageDriver specifics', () => {
  it('data: URLs download without a registered source', async () => {
    const storage = new FakeStorageDriver();
    const bytes = Buffer.alloc(4096, 7);
    const c = await storage.ensureImage({
      image: 'img',
      url: `data:application/octet-stream;base64,${bytes.toString('base64')}`,
      checksum: createHash('sha256').update(bytes).digest('hex'),
      checksumAlgo: 'sha256',
    });
    expect(c).toMatchObject({ sizeBytes: 4096, format: 'raw' });
  });

  it('refuses a qcow2 image with a backing file', () => {
    const b = Buffer.from(qcow2Header(1024));
    b.writeBigUInt64BE(512n, 8);
    expect(() => sniffImage('img', b)).toThrow(/backing file/);
  });

  it('an image larger than the free space is no_space and leaves nothing', async () => {
    const storage = new FakeStorageDriver({ totalBytes: 1024 * 1024 });
    const bytes = Buffer.alloc(2 * 1024 * 1024);
    storage.serve('http://images.fake/big', bytes);
    await expectKind(
      storage.ensureImage({
        image: 'big',
        url: 'http://images.fake/big',
        checksum: createHash('sha256').update(bytes).digest('hex'),
        checksumAlgo: 'sha256',
      }),
      'no_space',
    );
    await expectKind(storage.getImage('big'), 'not_found');
    expect((await storage.usage()).imagesBytes).toBe(0);
  });

  it('guest writes grow allocation, not size', async () => {
    const storage = new FakeStorageDriver();
    const d = await storage.ensureBlankDisk({ disk: 'd', sizeBytes: 1024 * 1024 });
    storage.guestWrite('d', 4096);
    const after = await storage.getDisk('d');
    expect(after.allocatedBytes).toBe(d.allocatedBytes + 4096);
    expect(after.sizeBytes).toBe(d.sizeBytes);
  });
});

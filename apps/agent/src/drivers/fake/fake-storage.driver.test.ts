import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startExportTarget } from '../conformance/export-target.js';
import { expectKind } from '../conformance/helpers.js';
import { storageConformance } from '../conformance/storage.conformance.js';
import { DiskFullStorageDriver } from './failing.drivers.js';
import { FakeStorageDriver, sniffImage } from './fake-storage.driver.js';

const exec = promisify(execFile);
const qemuImg = await exec('qemu-img', ['--version']).then(
  () => true,
  () => false,
);

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

describe('FakeStorageDriver exports', () => {
  it('PUTs a qcow2 that qemu-img checks clean, names the disk in it, and records the export', async () => {
    const target = await startExportTarget();
    const dir = await mkdtemp(join(tmpdir(), 'kumo-fake-export-'));
    try {
      const storage = new FakeStorageDriver();
      await storage.ensureBlankDisk({ disk: 'd1', sizeBytes: 1024 ** 3 });
      const out = await storage.exportDisk({
        disk: 'd1',
        url: `${target.base}/ok/a?sig=s3cret`,
        format: 'qcow2',
      });
      const body = target.received.get('a')!.body;
      expect(body.includes('KUMO-FAKE-DISK disk=d1')).toBe(true);
      expect(storage.exports).toEqual([{ ...out, url: `${target.base}/ok/a` }]); // no query kept
      if (qemuImg) {
        const f = join(dir, 'a.qcow2');
        await writeFile(f, body);
        await exec('qemu-img', ['check', f]);
        const { stdout } = await exec('qemu-img', ['info', '--output=json', f]);
        expect(JSON.parse(stdout)['virtual-size']).toBe(1024 ** 3);
      }
    } finally {
      await target.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a target that never answers is unavailable after the idle timeout', async () => {
    const target = await startExportTarget();
    try {
      const storage = new FakeStorageDriver({ uploadIdleTimeoutMs: 200 });
      await storage.ensureBlankDisk({ disk: 'd1', sizeBytes: 1024 * 1024 });
      await expectKind(
        storage.exportDisk({ disk: 'd1', url: `${target.base}/stall`, format: 'qcow2' }),
        'unavailable',
      );
      expect(storage.exports).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it('a full disk cannot export (no_space)', async () => {
    const storage = new DiskFullStorageDriver();
    storage.full = false;
    await storage.ensureBlankDisk({ disk: 'd1', sizeBytes: 1024 * 1024 });
    storage.full = true;
    await expectKind(
      storage.exportDisk({ disk: 'd1', url: 'http://127.0.0.1:1/x', format: 'qcow2' }),
      'no_space',
    );
  });
});

describe('FakeStorageDriver over http', () => {
  it('downloads a real http source, and maps 404 to invalid and a refused connection to unavailable', async () => {
    const { createServer } = await import('node:http');
    const bytes = new Uint8Array(4096).fill(7);
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/image')) res.end(Buffer.from(bytes));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const d = new FakeStorageDriver();
      const checksum = createHash('sha256').update(bytes).digest('hex');
      const got = await d.ensureImage({
        image: 'http-img',
        url: `http://127.0.0.1:${port}/image?sig=x`,
        checksum,
        checksumAlgo: 'sha256',
      });
      expect(got.sizeBytes).toBe(4096);
      await expectKind(
        d.ensureImage({
          image: 'gone',
          url: `http://127.0.0.1:${port}/nope`,
          checksum,
          checksumAlgo: 'sha256',
        }),
        'invalid',
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
    await expectKind(
      new FakeStorageDriver().ensureImage({
        image: 'down',
        url: `http://127.0.0.1:${port}/image`,
        checksum: 'a'.repeat(64),
        checksumAlgo: 'sha256',
      }),
      'unavailable',
    );
  });
});

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExportTarget } from './export-target.js';
import { BAD_IDS, expectKind, MiB, testId } from './helpers.js';
import type { StorageSuite } from './storage.conformance.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const QCOW2_MAGIC = 0x514649fb;

/** exportDisk: a standalone image PUT over HTTP, and the errors of a bad target. */
export function storageExportTests(suite: StorageSuite): void {
  const { fx, prefix, T, diskId, newImage } = suite;

  describe('export', () => {
    let target: Awaited<ReturnType<typeof startExportTarget>>;
    beforeAll(async () => {
      target = await startExportTarget();
    });
    afterAll(() => target?.close());

    it(
      'an overlay exports as a standalone qcow2 (no backing file) PUT with its length; the checksum is of the bytes sent',
      async () => {
        const { storage } = fx();
        const { req } = await newImage('exp');
        await storage.ensureImage(req);
        const disk = diskId('exp');
        await storage.ensureDiskFromImage({ disk, image: req.image, sizeBytes: 8 * MiB });
        const before = await storage.usage();
        const name = testId(prefix, 'q');
        const out = await storage.exportDisk({
          disk,
          url: `${target.base}/ok/${name}?sig=abc`,
          format: 'qcow2',
        });
        const got = target.received.get(name);
        expect(got?.method).toBe('PUT');
        expect(got?.headers['content-type']).toBe('application/octet-stream');
        expect(Number(got?.headers['content-length'])).toBe(got?.body.length);
        const body = got!.body;
        expect(out).toEqual({
          disk,
          format: 'qcow2',
          sizeBytes: body.length,
          checksum: sha256(body),
          checksumAlgo: 'sha256',
          virtualSizeBytes: 8 * MiB,
        });
        expect(body.readUInt32BE(0)).toBe(QCOW2_MAGIC);
        expect(body.readBigUInt64BE(8)).toBe(0n); // no backing file
        expect(Number(body.readBigUInt64BE(24))).toBe(8 * MiB);
        // nothing stays behind, and the disk is still there as it was
        expect((await storage.usage()).disksBytes).toBe(before.disksBytes);
        expect((await storage.getDisk(disk)).backingImage).toBe(req.image);
      },
      T,
    );

    it(
      'raw: bytes without a qcow2 header',
      async () => {
        const { storage } = fx();
        const disk = diskId('expraw');
        await storage.ensureBlankDisk({ disk, sizeBytes: MiB });
        const name = testId(prefix, 'r');
        const out = await storage.exportDisk({ disk, url: `${target.base}/ok/${name}`, format: 'raw' });
        const body = target.received.get(name)!.body;
        expect(out).toMatchObject({ disk, format: 'raw', sizeBytes: body.length, checksum: sha256(body) });
        expect(body.length).toBeGreaterThan(0);
        expect(body.readUInt32BE(0)).not.toBe(QCOW2_MAGIC);
      },
      T,
    );

    it(
      'a target answering 4xx or redirecting is invalid; 5xx, unreachable is unavailable; unknown disk not_found',
      async () => {
        const { storage } = fx();
        const disk = diskId('experr');
        await storage.ensureBlankDisk({ disk, sizeBytes: MiB });
        const before = await storage.usage();
        const exp = (url: string) => storage.exportDisk({ disk, url, format: 'qcow2' });
        await expectKind(exp(`${target.base}/refuse`), 'invalid', '400');
        await expectKind(exp(`${target.base}/nowhere`), 'invalid', '404');
        await expectKind(exp(`${target.base}/redirect`), 'invalid', '307');
        await expectKind(exp(`${target.base}/fail`), 'unavailable', '503');
        await expectKind(exp(target.deadUrl), 'unavailable', 'connection refused');
        await expectKind(
          storage.exportDisk({ disk: testId(prefix, 'ghost'), url: `${target.base}/ok/g`, format: 'qcow2' }),
          'not_found',
          'unknown disk',
        );
        expect((await storage.usage()).disksBytes).toBe(before.disksBytes);
      },
      T,
    );

    it(
      'only http(s) URLs without credentials, qcow2 or raw, and Kumo ids',
      async () => {
        const { storage } = fx();
        const disk = diskId('expbad');
        await storage.ensureBlankDisk({ disk, sizeBytes: MiB });
        const ok = `${target.base}/ok/never`;
        for (const url of [
          'file:///etc/passwd',
          'ftp://x/y',
          'data:,x',
          'not a url',
          'http://u:p@127.0.0.1/x',
        ])
          await expectKind(storage.exportDisk({ disk, url, format: 'qcow2' }), 'invalid', url);
        for (const format of ['vmdk', '', undefined])
          await expectKind(
            storage.exportDisk({ disk, url: ok, format: format as 'raw' }),
            'invalid',
            `format ${format}`,
          );
        for (const id of BAD_IDS)
          await expectKind(
            storage.exportDisk({ disk: id as string, url: ok, format: 'qcow2' }),
            'invalid',
            `disk ${JSON.stringify(id)}`,
          );
        expect(target.received.has('never')).toBe(false);
      },
      T,
    );
  });
}

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectKind, MiB, testId } from './helpers.js';
import type { StorageSuite } from './storage.conformance.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The image cache: verified downloads, once; format detection; removal. */
export function storageImageTests(suite: StorageSuite): void {
  const { fx, prefix, T, images, diskId, newImage } = suite;

  describe('images', () => {
    it(
      'ensureImage caches a verified raw image; again it returns the same and downloads nothing',
      async () => {
        const { storage } = fx();
        const { req, url } = await newImage('raw');
        const c1 = await storage.ensureImage(req);
        expect(c1).toMatchObject({
          image: req.image,
          sizeBytes: MiB,
          checksum: req.checksum,
          format: 'raw',
        });
        expect(c1.checksumAlgo).toBe('sha256');
        if (c1.virtualSizeBytes !== undefined) expect(c1.virtualSizeBytes).toBe(MiB);
        expect(fx().fetchCount(url)).toBe(1);
        expect(await storage.ensureImage(req)).toEqual(c1);
        expect(await storage.getImage(req.image)).toEqual(c1);
        expect(fx().fetchCount(url)).toBe(1);
      },
      T,
    );

    it(
      'concurrent ensureImage calls for one image download it once',
      async () => {
        const { storage } = fx();
        const { req, url } = await newImage('race', 4 * MiB);
        const all = await Promise.all([1, 2, 3, 4].map(() => storage.ensureImage(req)));
        for (const c of all) expect(c).toEqual(all[0]);
        expect(fx().fetchCount(url)).toBe(1);
      },
      T,
    );

    it(
      'a checksum or size mismatch is refused and leaves nothing in the cache',
      async () => {
        const { storage } = fx();
        const before = await storage.usage();
        const { req, url } = await newImage('bad');
        await expectKind(
          storage.ensureImage({ ...req, checksum: 'ab'.repeat(32) }),
          'invalid',
          'wrong checksum',
        );
        await expectKind(storage.getImage(req.image), 'not_found', 'image after a refused download');
        await expectKind(storage.ensureImage({ ...req, sizeBytes: MiB + 512 }), 'invalid', 'wrong size');
        await expectKind(storage.getImage(req.image), 'not_found', 'image after a refused download');
        expect((await storage.usage()).imagesBytes).toBe(before.imagesBytes);
        expect(fx().fetchCount(url)).toBe(2);
        expect((await storage.ensureImage(req)).checksum).toBe(req.checksum);
      },
      T,
    );

    it(
      'sha512 and md5 checksums verify too; a cached id with another checksum is a conflict',
      async () => {
        const { storage } = fx();
        const { req, bytes } = await newImage('algo');
        const sha512 = createHash('sha512').update(bytes).digest('hex');
        const c = await storage.ensureImage({ ...req, checksum: sha512, checksumAlgo: 'sha512' });
        expect(c.checksumAlgo).toBe('sha512');
        const md5 = createHash('md5').update(bytes).digest('hex');
        expect((await storage.ensureImage({ ...req, checksum: md5, checksumAlgo: 'md5' })).image).toBe(
          req.image,
        );
        await expectKind(
          storage.ensureImage({ ...req, checksum: 'cd'.repeat(32) }),
          'conflict',
          'another checksum',
        );
      },
      T,
    );

    it(
      'detects a qcow2 image and its virtual size',
      async () => {
        const q = fx().qcow2;
        if (!q) return;
        const { storage } = fx();
        const image = testId(prefix, 'qcow2');
        images.add(image);
        const url = await fx().publish(`${image}.img`, q.bytes);
        const c = await storage.ensureImage({
          image,
          url,
          checksum: sha256(q.bytes),
          checksumAlgo: 'sha256',
        });
        expect(c).toMatchObject({
          format: 'qcow2',
          sizeBytes: q.bytes.length,
          virtualSizeBytes: q.virtualSizeBytes,
        });
        const disk = diskId('qcow2-disk');
        await expectKind(
          storage.ensureDiskFromImage({ disk, image, sizeBytes: q.virtualSizeBytes - 512 }),
          'invalid',
          'an overlay smaller than the image',
        );
        const d = await storage.ensureDiskFromImage({ disk, image, sizeBytes: q.virtualSizeBytes });
        expect(d).toMatchObject({ backingImage: image, sizeBytes: q.virtualSizeBytes, format: 'qcow2' });
      },
      T,
    );

    it(
      'malformed requests are invalid; a missing source is refused',
      async () => {
        const { storage } = fx();
        const { req, url } = await newImage('malformed');
        const bad: [string, unknown][] = [
          ['image ../x', { ...req, image: '../x' }],
          ['ftp url', { ...req, url: 'ftp://127.0.0.1/x.img' }],
          ['not a url', { ...req, url: 'not a url' }],
          ['checksum not hex', { ...req, checksum: 'z'.repeat(64) }],
          ['checksum too short', { ...req, checksum: 'ab' }],
          ['algo crc32', { ...req, checksumAlgo: 'crc32' }],
          ['sizeBytes -1', { ...req, sizeBytes: -1 }],
          ['sizeBytes 1.5', { ...req, sizeBytes: 1.5 }],
          ['no request', undefined],
        ];
        for (const [what, r] of bad) await expectKind(storage.ensureImage(r as typeof req), 'invalid', what);
        expect(fx().fetchCount(url)).toBe(0);
        await expectKind(
          storage.ensureImage({ ...req, url: `${url}-missing` }),
          'invalid',
          'a missing source',
        );
        await expectKind(storage.getImage(req.image), 'not_found', 'image after a missing source');
      },
      T,
    );

    it(
      'removeImage removes; again is a no-op; it is a conflict while a disk uses the image',
      async () => {
        const { storage } = fx();
        const { req } = await newImage('rm');
        await storage.ensureImage(req);
        const disk = diskId('rm-disk');
        await storage.ensureDiskFromImage({ disk, image: req.image, sizeBytes: 4 * MiB });
        await expectKind(storage.removeImage(req.image), 'conflict', 'removing an image a disk uses');
        await storage.deleteDisk(disk);
        await storage.removeImage(req.image);
        await expectKind(storage.getImage(req.image), 'not_found', 'image after removeImage');
        await storage.removeImage(req.image);
      },
      T,
    );
  });
}

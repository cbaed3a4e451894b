import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StorageDriver } from '../storage.js';
import { BAD_IDS, expectKind, MiB, testId } from './helpers.js';
import { storageExportTests } from './storage-export.conformance.js';
import { storageImageTests } from './storage-images.conformance.js';

export interface StorageFixture {
  storage: StorageDriver;
  /** Make `bytes` downloadable; returns its URL (http(s) or file for a real driver). */
  publish(name: string, bytes: Uint8Array): Promise<string>;
  /** How many times the source behind `url` was fetched. */
  fetchCount(url: string): number;
  /** A small qcow2 image, to check format detection (optional). */
  qcow2?: { bytes: Uint8Array; virtualSizeBytes: number };
  cleanup?(): Promise<void>;
}

/** What the image tests share with the main suite. */
export interface StorageSuite {
  fx(): StorageFixture;
  prefix: string;
  T: number;
  /** Image ids removed after each test. */
  images: Set<string>;
  /** A fresh disk id, deleted after the test. */
  diskId(tag: string): string;
  /** A published raw image of `size` random bytes and a matching ensureImage request. */
  newImage(
    tag: string,
    size?: number,
  ): Promise<{
    bytes: Buffer;
    url: string;
    req: { image: string; url: string; sizeBytes: number; checksum: string; checksumAlgo: 'sha256' };
  }>;
}

export interface StorageConformanceOptions {
  /** Prefix of every id the suite makes (default 'conf'). */
  idPrefix?: string;
  /** vitest timeout of each test (default 30 s). */
  testTimeoutMs?: number;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * The storage driver contract as vitest tests: the image cache (verified
 * downloads, once), copy-on-write overlays, blank disks, resize, delete,
 * usage accounting, exports to an HTTP target, and the invalid/not_found/conflict errors.
 */
export function storageConformance(
  name: string,
  makeFixture: () => Promise<StorageFixture>,
  options: StorageConformanceOptions = {},
): void {
  const prefix = options.idPrefix ?? 'conf';
  const T = options.testTimeoutMs ?? 30_000;

  describe(`storage driver conformance: ${name}`, () => {
    let fixture: StorageFixture | undefined;
    const images = new Set<string>();
    const disks = new Set<string>();
    const fx = () => {
      if (!fixture) throw new Error('fixture not ready');
      return fixture;
    };
    const diskId = (tag: string) => {
      const d = testId(prefix, tag);
      disks.add(d);
      return d;
    };
    /** A published raw image of `size` random bytes and a matching ensureImage request. */
    const newImage = async (tag: string, size = MiB) => {
      const image = testId(prefix, tag);
      images.add(image);
      const bytes = randomBytes(size);
      const url = await fx().publish(`${image}.img`, bytes);
      return {
        bytes,
        url,
        req: { image, url, sizeBytes: size, checksum: sha256(bytes), checksumAlgo: 'sha256' as const },
      };
    };

    const suite: StorageSuite = { fx, prefix, T, images, diskId, newImage };

    beforeAll(async () => {
      fixture = await makeFixture();
    }, 120_000);

    afterEach(async () => {
      if (!fixture) return;
      for (const d of disks) await fixture.storage.deleteDisk(d).catch(() => undefined);
      for (const i of images) await fixture.storage.removeImage(i).catch(() => undefined);
      disks.clear();
      images.clear();
    }, 120_000);

    afterAll(async () => {
      await fixture?.cleanup?.();
    }, 120_000);

    storageImageTests(suite);
    storageExportTests(suite);

    describe('disks', () => {
      it(
        'an overlay of a cached image; the same ensure again returns the same; conflicts',
        async () => {
          const { storage } = fx();
          const { req } = await newImage('ov');
          await storage.ensureImage(req);
          const disk = diskId('ov');
          const d1 = await storage.ensureDiskFromImage({ disk, image: req.image, sizeBytes: 8 * MiB });
          expect(d1).toMatchObject({ disk, sizeBytes: 8 * MiB, format: 'qcow2', backingImage: req.image });
          expect(d1.allocatedBytes).toBeGreaterThanOrEqual(0);
          expect(d1.source).toBeDefined();
          expect(await storage.ensureDiskFromImage({ disk, image: req.image, sizeBytes: 8 * MiB })).toEqual(
            d1,
          );
          expect(await storage.getDisk(disk)).toEqual(d1);
          expect((await storage.listDisks()).filter((d) => d.disk === disk)).toEqual([d1]);
          await expectKind(
            storage.ensureDiskFromImage({ disk, image: req.image, sizeBytes: 16 * MiB }),
            'conflict',
            'same disk, another size',
          );
          await expectKind(
            storage.ensureBlankDisk({ disk, sizeBytes: 8 * MiB }),
            'conflict',
            'same disk as blank',
          );
          await expectKind(
            storage.ensureDiskFromImage({ disk: diskId('small'), image: req.image, sizeBytes: MiB - 512 }),
            'invalid',
            'an overlay smaller than its image',
          );
          await expectKind(
            storage.ensureDiskFromImage({
              disk: diskId('noimg'),
              image: testId(prefix, 'noimg'),
              sizeBytes: 8 * MiB,
            }),
            'not_found',
            'an overlay of an image not cached',
          );
        },
        T,
      );

      it(
        'a blank disk; the same ensure again returns the same; another size is a conflict',
        async () => {
          const { storage } = fx();
          const disk = diskId('blank');
          const d1 = await storage.ensureBlankDisk({ disk, sizeBytes: 32 * MiB });
          expect(d1).toMatchObject({ disk, sizeBytes: 32 * MiB, format: 'qcow2' });
          expect(d1.backingImage).toBeUndefined();
          expect(await storage.ensureBlankDisk({ disk, sizeBytes: 32 * MiB })).toEqual(d1);
          await expectKind(
            storage.ensureBlankDisk({ disk, sizeBytes: 64 * MiB }),
            'conflict',
            'another size',
          );
        },
        T,
      );

      it(
        'resize grows; the same size is a no-op; shrinking is invalid',
        async () => {
          const { storage } = fx();
          const disk = diskId('resize');
          await storage.ensureBlankDisk({ disk, sizeBytes: 16 * MiB });
          const grown = await storage.resizeDisk(disk, 32 * MiB);
          expect(grown.sizeBytes).toBe(32 * MiB);
          expect(await storage.resizeDisk(disk, 32 * MiB)).toEqual(grown);
          await expectKind(storage.resizeDisk(disk, 16 * MiB), 'invalid', 'shrinking');
          expect((await storage.getDisk(disk)).sizeBytes).toBe(32 * MiB);
          await expectKind(
            storage.resizeDisk(testId(prefix, 'ghost'), 32 * MiB),
            'not_found',
            'resize unknown',
          );
        },
        T,
      );

      it(
        'deleteDisk twice is fine; afterwards the disk is not_found',
        async () => {
          const { storage } = fx();
          const disk = diskId('del');
          await storage.ensureBlankDisk({ disk, sizeBytes: 16 * MiB });
          await storage.deleteDisk(disk);
          await storage.deleteDisk(disk);
          await expectKind(storage.getDisk(disk), 'not_found', 'getDisk after delete');
          expect((await storage.listDisks()).some((d) => d.disk === disk)).toBe(false);
        },
        T,
      );

      it(
        'zero, negative, fractional and unaligned sizes are invalid',
        async () => {
          const { storage } = fx();
          const disk = diskId('sizes');
          await storage.ensureBlankDisk({ disk, sizeBytes: 16 * MiB });
          for (const size of [
            0,
            -512,
            -1,
            1.5,
            1000,
            Number.NaN,
            Number.POSITIVE_INFINITY,
            '1024',
            undefined,
          ]) {
            const s = size as number;
            await expectKind(
              storage.ensureBlankDisk({ disk: diskId('sz'), sizeBytes: s }),
              'invalid',
              `blank ${size}`,
            );
            await expectKind(
              storage.ensureDiskFromImage({ disk: diskId('sz'), image: 'img', sizeBytes: s }),
              'invalid',
              `overlay ${size}`,
            );
            await expectKind(storage.resizeDisk(disk, s), 'invalid', `resize ${size}`);
          }
        },
        T,
      );

      it(
        'malformed ids are invalid; unknown ones not_found (delete and remove: no-ops)',
        async () => {
          const { storage } = fx();
          for (const id of BAD_IDS) {
            const i = id as string;
            const calls: [string, () => Promise<unknown>][] = [
              ['getDisk', () => storage.getDisk(i)],
              ['deleteDisk', () => storage.deleteDisk(i)],
              ['resizeDisk', () => storage.resizeDisk(i, MiB)],
              ['ensureBlankDisk', () => storage.ensureBlankDisk({ disk: i, sizeBytes: MiB })],
              [
                'ensureDiskFromImage disk',
                () => storage.ensureDiskFromImage({ disk: i, image: 'x', sizeBytes: MiB }),
              ],
              [
                'ensureDiskFromImage image',
                () => storage.ensureDiskFromImage({ disk: 'x', image: i, sizeBytes: MiB }),
              ],
              ['getImage', () => storage.getImage(i)],
              ['removeImage', () => storage.removeImage(i)],
            ];
            for (const [verb, call] of calls)
              await expectKind(call(), 'invalid', `${verb}(${JSON.stringify(id)})`);
          }
          const ghost = testId(prefix, 'ghost');
          await expectKind(storage.getDisk(ghost), 'not_found', 'getDisk unknown');
          await expectKind(storage.getImage(ghost), 'not_found', 'getImage unknown');
          await storage.deleteDisk(ghost);
          await storage.removeImage(ghost);
        },
        T,
      );
    });

    describe('usage', () => {
      it(
        'accounts images and disks',
        async () => {
          const { storage } = fx();
          const u0 = await storage.usage();
          expect(u0.totalBytes).toBeGreaterThanOrEqual(u0.freeBytes);
          expect(u0.freeBytes).toBeGreaterThanOrEqual(0);
          const { req } = await newImage('usage', 2 * MiB);
          await storage.ensureImage(req);
          const u1 = await storage.usage();
          expect(u1.imagesBytes - u0.imagesBytes).toBe(2 * MiB);
          const disk = diskId('usage');
          const d = await storage.ensureBlankDisk({ disk, sizeBytes: 64 * MiB });
          const u2 = await storage.usage();
          expect(u2.disksBytes - u1.disksBytes).toBe(d.allocatedBytes);
          await storage.deleteDisk(disk);
          expect((await storage.usage()).disksBytes).toBe(u1.disksBytes);
          await storage.removeImage(req.image);
          expect((await storage.usage()).imagesBytes).toBe(u0.imagesBytes);
        },
        T,
      );
    });
  });
}

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkId, type DiskId, DriverError, type ImageId } from '../ids.js';
import type {
  CachedImage,
  DiskExport,
  DiskInfo,
  StorageCapabilities,
  StorageDriver,
  StorageUsage,
} from '../storage.js';
import { safeUrl, uploadStream } from '../upload.js';
import { minimalQcow2 } from './fake-qcow2.js';
import { KeyedLock } from './keyed-lock.js';
import { checkExportRequest, checkImageRequest, checkSize, type ImageRequest } from './spec-checks.js';

export interface FakeStorageOptions {
  /** Capacity of the fake store (default 1 TiB). */
  totalBytes?: number;
  /** URL → bytes the fake "downloads"; `data:` and real http(s) URLs work without an entry. */
  sources?: Record<string, Uint8Array>;
  /** Milliseconds a download takes (default 1), so concurrent calls overlap. */
  downloadMs?: number;
  /** Where the fake pretends disks live (only shown in DiskInfo.source). */
  root?: string;
  /** A silent upload target fails after this long (default 60 s). */
  uploadIdleTimeoutMs?: number;
}

/** One exportDisk the fake did (the URL without its query). */
export interface FakeExport extends DiskExport {
  url: string;
}

/** What a raw export of the fake sends: 64 KiB, not the disk's whole size. */
export const FAKE_RAW_EXPORT_BYTES = 65_536;

/** What a fresh qcow2 file occupies before any guest write (header, tables). */
export const FAKE_QCOW2_OVERHEAD = 196_608;

interface FakeImage {
  info: CachedImage;
  bytes: Uint8Array;
}

interface FakeDisk {
  disk: DiskId;
  sizeBytes: number;
  allocatedBytes: number;
  backingImage?: ImageId;
}

/**
 * An in-memory image cache and disk store. The reference for storage semantics:
 *
 * - ensureImage fetches once, verifies size and checksum and refuses a mismatch
 *   ('invalid') with nothing left in the cache; the same request again is a
 *   no-op; a different checksum for a cached id is a 'conflict'. Concurrent
 *   calls for one id download once. Images must be raw or qcow2 without a
 *   backing file. Unreachable sources are 'unavailable', missing ones 'invalid'.
 * - ensureDiskFromImage makes a copy-on-write overlay at least the image's
 *   virtual size; ensureBlankDisk an empty qcow2. Same request again → same
 *   DiskInfo; same id with another size or image → 'conflict'.
 * - resizeDisk grows (same size: no-op; shrink: 'invalid'); deleteDisk and
 *   removeImage of something absent succeed; removing an image a disk still
 *   uses is a 'conflict'.
 * - Sizes are positive multiples of 512; anything that needs space it has not
 *   got throws 'no_space'. usage(): imagesBytes = Σ image sizes,
 *   disksBytes = Σ allocated, freeBytes = total − both.
 */
export class FakeStorageDriver implements StorageDriver {
  readonly capabilities: StorageCapabilities = {
    backend: 'fake',
    copyOnWrite: true,
    resize: true,
    shrink: false,
  };
  /** Fetches per URL (a test proves a second ensure downloads nothing). */
  readonly fetches = new Map<string, number>();
  /** Every successful exportDisk, in order. */
  readonly exports: FakeExport[] = [];
  protected readonly images = new Map<ImageId, FakeImage>();
  protected readonly disks = new Map<DiskId, FakeDisk>();
  private readonly sources = new Map<string, Uint8Array>();
  private readonly lock = new KeyedLock();
  private readonly root: string;

  constructor(private readonly opts: FakeStorageOptions = {}) {
    for (const [url, bytes] of Object.entries(opts.sources ?? {})) this.sources.set(url, bytes);
    this.root = opts.root ?? '/var/lib/kumo';
  }

  /** Make `bytes` downloadable at `url`. */
  serve(url: string, bytes: Uint8Array): void {
    this.sources.set(new URL(url).href, bytes);
  }

  async ensureImage(input: Parameters<StorageDriver['ensureImage']>[0]): Promise<CachedImage> {
    const req = checkImageRequest(input, ['data:']);
    return this.lock.run(`image:${req.image}`, async () => {
      const have = this.images.get(req.image);
      if (have) return this.matchCached(have, req);
      const bytes = await this.fetch(req.url);
      if (req.sizeBytes !== undefined && bytes.length !== req.sizeBytes)
        throw new DriverError(
          'invalid',
          `image ${req.image}: ${bytes.length} bytes, expected ${req.sizeBytes}`,
        );
      const digest = createHash(req.checksumAlgo).update(bytes).digest('hex');
      if (digest !== req.checksum)
        throw new DriverError('invalid', `image ${req.image}: ${req.checksumAlgo} checksum mismatch`);
      const { format, virtualSizeBytes } = sniffImage(req.image, bytes);
      await this.reserve(bytes.length, `image ${req.image}`);
      const info: CachedImage = {
        image: req.image,
        sizeBytes: bytes.length,
        checksum: digest,
        checksumAlgo: req.checksumAlgo,
        format,
        virtualSizeBytes,
      };
      this.images.set(req.image, { info, bytes });
      return { ...info };
    });
  }

  async getImage(image: ImageId): Promise<CachedImage> {
    return { ...this.image(image).info };
  }

  async removeImage(image: ImageId): Promise<void> {
    checkId('image', image);
    return this.lock.run(`image:${image}`, async () => {
      if (!this.images.has(image)) return;
      const user = [...this.disks.values()].find((d) => d.backingImage === image);
      if (user) throw new DriverError('conflict', `image ${image} backs disk ${user.disk}`);
      this.images.delete(image);
    });
  }

  async ensureDiskFromImage(req: { disk: DiskId; image: ImageId; sizeBytes: number }): Promise<DiskInfo> {
    const disk = checkId('disk', req?.disk);
    const image = checkId('image', req.image);
    const sizeBytes = checkSize('sizeBytes', req.sizeBytes);
    return this.lock.run(`disk:${disk}`, async () => {
      const have = this.disks.get(disk);
      if (have) {
        if (have.backingImage !== image || have.sizeBytes !== sizeBytes)
          throw new DriverError('conflict', `disk ${disk} exists with another image or size`);
        return this.info(have);
      }
      const img = this.image(image).info;
      const min = img.virtualSizeBytes ?? img.sizeBytes;
      if (sizeBytes < min)
        throw new DriverError(
          'invalid',
          `disk ${disk}: ${sizeBytes} bytes is smaller than image ${image} (${min})`,
        );
      await this.reserve(FAKE_QCOW2_OVERHEAD, `disk ${disk}`);
      const d: FakeDisk = { disk, sizeBytes, allocatedBytes: FAKE_QCOW2_OVERHEAD, backingImage: image };
      this.disks.set(disk, d);
      return this.info(d);
    });
  }

  async ensureBlankDisk(req: { disk: DiskId; sizeBytes: number }): Promise<DiskInfo> {
    const disk = checkId('disk', req?.disk);
    const sizeBytes = checkSize('sizeBytes', req.sizeBytes);
    return this.lock.run(`disk:${disk}`, async () => {
      const have = this.disks.get(disk);
      if (have) {
        if (have.backingImage !== undefined || have.sizeBytes !== sizeBytes)
          throw new DriverError('conflict', `disk ${disk} exists with another image or size`);
        return this.info(have);
      }
      await this.reserve(FAKE_QCOW2_OVERHEAD, `disk ${disk}`);
      const d: FakeDisk = { disk, sizeBytes, allocatedBytes: FAKE_QCOW2_OVERHEAD };
      this.disks.set(disk, d);
      return this.info(d);
    });
  }

  async resizeDisk(disk: DiskId, sizeBytes: number): Promise<DiskInfo> {
    checkId('disk', disk);
    checkSize('sizeBytes', sizeBytes);
    return this.lock.run(`disk:${disk}`, async () => {
      const d = this.disk(disk);
      if (sizeBytes === d.sizeBytes) return this.info(d);
      if (sizeBytes < d.sizeBytes)
        throw new DriverError('invalid', `disk ${disk} cannot shrink (${d.sizeBytes} → ${sizeBytes} bytes)`);
      await this.reserve(0, `disk ${disk}`);
      d.sizeBytes = sizeBytes;
      return this.info(d);
    });
  }

  async deleteDisk(disk: DiskId): Promise<void> {
    checkId('disk', disk);
    return this.lock.run(`disk:${disk}`, async () => {
      this.disks.delete(disk);
    });
  }

  async getDisk(disk: DiskId): Promise<DiskInfo> {
    return this.info(this.disk(disk));
  }

  async listDisks(): Promise<DiskInfo[]> {
    return [...this.disks.values()].map((d) => this.info(d));
  }

  async usage(): Promise<StorageUsage> {
    const totalBytes = this.opts.totalBytes ?? 1024 ** 4;
    let imagesBytes = 0;
    let disksBytes = 0;
    for (const i of this.images.values()) imagesBytes += i.info.sizeBytes;
    for (const d of this.disks.values()) disksBytes += d.allocatedBytes;
    return {
      totalBytes,
      freeBytes: Math.max(0, totalBytes - imagesBytes - disksBytes),
      imagesBytes,
      disksBytes,
    };
  }

  /**
   * Sends a small stand-in for the disk: a valid standalone qcow2 of the
   * disk's virtual size whose first cluster names the disk and its image, or
   * for raw 64 KiB starting with that line. Really PUT over HTTP.
   */
  async exportDisk(req: { disk: DiskId; url: string; format: 'qcow2' | 'raw' }): Promise<DiskExport> {
    const r = checkExportRequest(req);
    const d = this.disk(r.disk);
    const line = Buffer.from(`KUMO-FAKE-DISK disk=${d.disk} image=${d.backingImage ?? '-'}\n`);
    const bytes =
      r.format === 'qcow2'
        ? minimalQcow2(d.sizeBytes, line)
        : Buffer.concat([line, Buffer.alloc(FAKE_RAW_EXPORT_BYTES - line.length)]);
    await this.reserve(bytes.length, `exporting disk ${d.disk}`); // the flattened copy needs room
    const sent = await uploadStream(r.url, Readable.from([bytes]), bytes.length, {
      idleTimeoutMs: this.opts.uploadIdleTimeoutMs,
    });
    const out: DiskExport = {
      disk: d.disk,
      format: r.format,
      sizeBytes: sent.sizeBytes,
      checksum: sent.checksum,
      checksumAlgo: 'sha256',
      virtualSizeBytes: r.format === 'qcow2' ? d.sizeBytes : bytes.length,
    };
    this.exports.push({ ...out, url: safeUrl(r.url) });
    return out;
  }

  // --- test hooks ------------------------------------------------------------------

  /** A guest wrote to the disk: more of it is allocated (thin provisioning). */
  guestWrite(disk: DiskId, bytes: number): void {
    const d = this.disk(disk);
    d.allocatedBytes = Math.min(d.sizeBytes + FAKE_QCOW2_OVERHEAD, d.allocatedBytes + bytes);
  }

  // --- internals -------------------------------------------------------------------

  /** Throws no_space unless `bytes` more fit. Overridable (DiskFullStorageDriver). */
  protected async reserve(bytes: number, what: string): Promise<void> {
    const { freeBytes } = await this.usage();
    if (bytes > freeBytes) throw new DriverError('no_space', `no space for ${what}`);
  }

  private matchCached(have: FakeImage, req: ImageRequest): CachedImage {
    const digest =
      have.info.checksumAlgo === req.checksumAlgo
        ? have.info.checksum
        : createHash(req.checksumAlgo).update(have.bytes).digest('hex');
    if (digest !== req.checksum)
      throw new DriverError('conflict', `image ${req.image} is cached with another checksum`);
    if (req.sizeBytes !== undefined && req.sizeBytes !== have.info.sizeBytes)
      throw new DriverError('conflict', `image ${req.image} is cached with another size`);
    return { ...have.info };
  }

  private async fetch(url: URL): Promise<Uint8Array> {
    this.fetches.set(url.href, (this.fetches.get(url.href) ?? 0) + 1);
    await sleep(this.opts.downloadMs ?? 1);
    const bytes = this.sources.get(url.href);
    if (bytes) return bytes;
    if (url.protocol === 'data:') {
      const r = await fetch(url).catch(() => undefined);
      if (r?.ok) return new Uint8Array(await r.arrayBuffer());
      throw new DriverError('invalid', 'url is a malformed data: URL');
    }
    // `*.fake` hosts are the fake's own namespace (served with serve()); others are really fetched
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !url.hostname.endsWith('.fake'))
      return fetchHttp(url);
    throw new DriverError('invalid', `image source ${url.href} was not found`);
  }

  private image(image: ImageId): FakeImage {
    checkId('image', image);
    const i = this.images.get(image);
    if (!i) throw new DriverError('not_found', `image ${image} not found`);
    return i;
  }

  private disk(disk: DiskId): FakeDisk {
    checkId('disk', disk);
    const d = this.disks.get(disk);
    if (!d) throw new DriverError('not_found', `disk ${disk} not found`);
    return d;
  }

  private info(d: FakeDisk): DiskInfo {
    const info: DiskInfo = {
      disk: d.disk,
      sizeBytes: d.sizeBytes,
      allocatedBytes: d.allocatedBytes,
      format: 'qcow2',
      source: { type: 'file', path: `${this.root}/disks/${d.disk}.qcow2` },
    };
    if (d.backingImage) info.backingImage = d.backingImage;
    return info;
  }
}

const QCOW2_MAGIC = 0x514649fb; // 'QFI\xfb'

/** raw or qcow2 (by its header), refusing a qcow2 that names a backing file. */
export function sniffImage(
  image: ImageId,
  bytes: Uint8Array,
): { format: 'qcow2' | 'raw'; virtualSizeBytes: number } {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.length >= 32 && view.readUInt32BE(0) === QCOW2_MAGIC) {
    if (view.readBigUInt64BE(8) !== 0n)
      throw new DriverError('invalid', `image ${image} is a qcow2 with a backing file`);
    return { format: 'qcow2', virtualSizeBytes: Number(view.readBigUInt64BE(24)) };
  }
  return { format: 'raw', virtualSizeBytes: bytes.length };
}

/**
 * A real download for http(s) sources (an image service's signed URL): the
 * fake host keeps the bytes in memory. Errors as the local driver's: the source
 * refusing (4xx) is 'invalid', not reachable now (refused, 5xx) 'unavailable'.
 */
async function fetchHttp(url: URL): Promise<Uint8Array> {
  const where = `${url.protocol}//${url.host}${url.pathname}`;
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'error' });
  } catch (err) {
    throw new DriverError('unavailable', `downloading ${where}: ${(err as Error).message}`);
  }
  if (res.status >= 500) throw new DriverError('unavailable', `downloading ${where}: HTTP ${res.status}`);
  if (!res.ok) throw new DriverError('invalid', `downloading ${where}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

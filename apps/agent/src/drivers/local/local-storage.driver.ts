import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { KeyedLock } from '../fake/keyed-lock.js';
import { checkExportRequest, checkImageRequest, checkSize, type ImageRequest } from '../fake/spec-checks.js';
import { checkId, type DiskId, DriverError, type ImageId, kumoId } from '../ids.js';
import type {
  CachedImage,
  DiskExport,
  DiskInfo,
  StorageCapabilities,
  StorageDriver,
  StorageUsage,
} from '../storage.js';
import { uploadStream } from '../upload.js';
import { download, fsError } from './download.js';
import {
  type QemuImgOptions,
  qemuImgConvert,
  qemuImgCreate,
  qemuImgInfoUntrusted,
  qemuImgResize,
  readQcow2Header,
} from './qemu-img.js';

export interface LocalStorageOptions {
  /** Everything lives under here (default /var/lib/kumo): images/<id>.qcow2|raw (+ <id>.json), disks/<id>.qcow2. */
  root?: string;
  /** The qemu-img binary (default 'qemu-img'). */
  qemuImg?: string;
  /** Largest image accepted when the request gives no size (default 256 GiB). */
  maxImageBytes?: number;
  /** A download silent this long fails as unavailable (default 60 s). */
  downloadIdleTimeoutMs?: number;
  /** An export target silent this long fails as unavailable (default 60 s). */
  uploadIdleTimeoutMs?: number;
  /**
   * Directories `file:` image URLs may point into (default none: only http and https). Without this a
   * caller knowing a host file's checksum could copy any file (keys, shadow) into the image cache.
   */
  fileRoots?: string[];
}

type ImageMeta = CachedImage & { virtualSizeBytes: number };

const TMP = '.tmp-';

/**
 * Local files: an image cache of verified downloads and qcow2 disks, copy-on-
 * write overlays of cached images. Semantics as FakeStorageDriver documents.
 *
 * A download streams into a temporary file beside its final place, is checked
 * (size, checksum, then `qemu-img info`: raw or qcow2, no backing or data file)
 * and renamed into place only then; a sidecar <id>.json (written after, by
 * rename too) records checksum and format. An image without its sidecar is
 * not cached. Temporary files of an earlier run are removed at first use.
 */
export class LocalStorageDriver implements StorageDriver {
  readonly capabilities: StorageCapabilities = {
    backend: 'local',
    copyOnWrite: true,
    resize: true,
    shrink: false,
  };
  readonly root: string;
  private readonly imagesDir: string;
  private readonly disksDir: string;
  private readonly lock = new KeyedLock();
  private readonly qemu: QemuImgOptions;
  private ready?: Promise<void>;

  constructor(private readonly opts: LocalStorageOptions = {}) {
    this.root = resolve(opts.root ?? '/var/lib/kumo');
    this.imagesDir = join(this.root, 'images');
    this.disksDir = join(this.root, 'disks');
    this.qemu = { bin: opts.qemuImg };
  }

  async ensureImage(input: Parameters<StorageDriver['ensureImage']>[0]): Promise<CachedImage> {
    const req = checkImageRequest(input);
    await this.init();
    return this.lock.run(`image:${req.image}`, async () => {
      const have = await this.readImage(req.image);
      if (have) return this.matchCached(have, req);
      return this.fetchImage(req);
    });
  }

  async getImage(image: ImageId): Promise<CachedImage> {
    checkId('image', image);
    await this.init();
    const meta = await this.readImage(image);
    if (!meta) throw new DriverError('not_found', `image ${image} not found`);
    return meta;
  }

  async removeImage(image: ImageId): Promise<void> {
    checkId('image', image);
    await this.init();
    return this.lock.run(`image:${image}`, async () => {
      const user = (await this.listDisks()).find((d) => d.backingImage === image);
      if (user) throw new DriverError('conflict', `image ${image} backs disk ${user.disk}`);
      await rm(this.metaPath(image), { force: true });
      for (const f of ['qcow2', 'raw']) await rm(join(this.imagesDir, `${image}.${f}`), { force: true });
    });
  }

  async ensureDiskFromImage(req: { disk: DiskId; image: ImageId; sizeBytes: number }): Promise<DiskInfo> {
    const disk = checkId('disk', req?.disk);
    const image = checkId('image', req.image);
    const sizeBytes = checkSize('sizeBytes', req.sizeBytes);
    await this.init();
    return this.lock.run(`disk:${disk}`, async () => {
      const have = await this.readDisk(disk);
      if (have) {
        if (have.backingImage !== image || have.sizeBytes !== sizeBytes)
          throw new DriverError('conflict', `disk ${disk} exists with another image or size`);
        return have;
      }
      // Hold the image while its overlay appears, so removeImage cannot slip in between.
      return this.lock.run(`image:${image}`, async () => {
        const meta = await this.readImage(image);
        if (!meta) throw new DriverError('not_found', `image ${image} not found`);
        if (sizeBytes < meta.virtualSizeBytes)
          throw new DriverError(
            'invalid',
            `disk ${disk}: ${sizeBytes} bytes is smaller than image ${image} (${meta.virtualSizeBytes})`,
          );
        const backing = { path: this.imagePath(image, meta.format), format: meta.format };
        return this.createDisk(disk, sizeBytes, backing);
      });
    });
  }

  async ensureBlankDisk(req: { disk: DiskId; sizeBytes: number }): Promise<DiskInfo> {
    const disk = checkId('disk', req?.disk);
    const sizeBytes = checkSize('sizeBytes', req.sizeBytes);
    await this.init();
    return this.lock.run(`disk:${disk}`, async () => {
      const have = await this.readDisk(disk);
      if (have) {
        if (have.backingImage !== undefined || have.sizeBytes !== sizeBytes)
          throw new DriverError('conflict', `disk ${disk} exists with another image or size`);
        return have;
      }
      return this.createDisk(disk, sizeBytes, undefined);
    });
  }

  async resizeDisk(disk: DiskId, sizeBytes: number): Promise<DiskInfo> {
    checkId('disk', disk);
    checkSize('sizeBytes', sizeBytes);
    await this.init();
    return this.lock.run(`disk:${disk}`, async () => {
      const d = await this.getDisk(disk);
      if (sizeBytes === d.sizeBytes) return d;
      if (sizeBytes < d.sizeBytes)
        throw new DriverError('invalid', `disk ${disk} cannot shrink (${d.sizeBytes} → ${sizeBytes} bytes)`);
      await qemuImgResize(this.diskPath(disk), sizeBytes, this.qemu);
      return this.getDisk(disk);
    });
  }

  async deleteDisk(disk: DiskId): Promise<void> {
    checkId('disk', disk);
    await this.init();
    return this.lock.run(`disk:${disk}`, async () => {
      await rm(this.diskPath(disk), { force: true }).catch((e) => {
        throw fsError(e, `deleting disk ${disk}`);
      });
    });
  }

  async getDisk(disk: DiskId): Promise<DiskInfo> {
    checkId('disk', disk);
    await this.init();
    const d = await this.readDisk(disk);
    if (!d) throw new DriverError('not_found', `disk ${disk} not found`);
    return d;
  }

  async listDisks(): Promise<DiskInfo[]> {
    await this.init();
    const out: DiskInfo[] = [];
    for (const f of await readdir(this.disksDir)) {
      const id = f.endsWith('.qcow2') ? f.slice(0, -'.qcow2'.length) : '';
      if (!kumoId.safeParse(id).success) continue;
      const d = await this.readDisk(id);
      if (d) out.push(d);
    }
    return out;
  }

  async usage(): Promise<StorageUsage> {
    await this.init();
    const fs = await statfs(this.root);
    let imagesBytes = 0;
    for (const f of await readdir(this.imagesDir)) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      const meta = await this.readImage(f.slice(0, -'.json'.length)).catch(() => null);
      if (meta) imagesBytes += meta.sizeBytes;
    }
    let disksBytes = 0;
    for (const d of await this.listDisks()) disksBytes += d.allocatedBytes;
    return { totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize, imagesBytes, disksBytes };
  }

  /**
   * `qemu-img convert -U` into a temporary file beside the disks (holding the
   * disk's lock, so it is not deleted or resized meanwhile), then an HTTP PUT
   * of that file outside the lock; the file is removed either way. Raw output
   * is sparse on the host and sent whole (its virtual size).
   */
  async exportDisk(req: { disk: DiskId; url: string; format: 'qcow2' | 'raw' }): Promise<DiskExport> {
    const r = checkExportRequest(req);
    await this.init();
    const tmp = this.tmpPath(this.disksDir, r.disk, `export.${r.format}`);
    try {
      const d = await this.lock.run(`disk:${r.disk}`, async () => {
        const have = await this.getDisk(r.disk);
        await qemuImgConvert(this.diskPath(r.disk), tmp, r.format, this.qemu);
        return have;
      });
      const { size } = await stat(tmp);
      const sent = await uploadStream(r.url, createReadStream(tmp), size, {
        idleTimeoutMs: this.opts.uploadIdleTimeoutMs,
      });
      return {
        disk: d.disk,
        format: r.format,
        sizeBytes: sent.sizeBytes,
        checksum: sent.checksum,
        checksumAlgo: 'sha256',
        virtualSizeBytes: d.sizeBytes,
      };
    } catch (e) {
      throw fsError(e, `exporting disk ${r.disk}`);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  // --- internals -------------------------------------------------------------------

  private init(): Promise<void> {
    this.ready ??= (async () => {
      for (const dir of [this.imagesDir, this.disksDir]) {
        await mkdir(dir, { recursive: true, mode: 0o755 });
        for (const f of await readdir(dir)) if (f.startsWith(TMP)) await rm(join(dir, f), { force: true });
      }
    })().catch((e) => {
      this.ready = undefined;
      throw fsError(e, `preparing ${this.root}`);
    });
    return this.ready;
  }

  private imagePath(image: ImageId, format: 'qcow2' | 'raw'): string {
    return join(this.imagesDir, `${image}.${format}`);
  }

  private metaPath(image: ImageId): string {
    return join(this.imagesDir, `${image}.json`);
  }

  private diskPath(disk: DiskId): string {
    return join(this.disksDir, `${disk}.qcow2`);
  }

  private tmpPath(dir: string, id: string, ext: string): string {
    return join(dir, `${TMP}${id}-${randomBytes(4).toString('hex')}.${ext}`);
  }

  /** The cached image's sidecar, when both it and the data file exist. */
  private async readImage(image: ImageId): Promise<ImageMeta | null> {
    let meta: ImageMeta;
    try {
      meta = JSON.parse(await readFile(this.metaPath(image), 'utf8')) as ImageMeta;
    } catch {
      return null;
    }
    if (meta.image !== image || (meta.format !== 'qcow2' && meta.format !== 'raw')) return null;
    const st = await stat(this.imagePath(image, meta.format)).catch(() => null);
    if (!st || st.size !== meta.sizeBytes) return null;
    return {
      image,
      sizeBytes: meta.sizeBytes,
      checksum: meta.checksum,
      checksumAlgo: meta.checksumAlgo,
      format: meta.format,
      virtualSizeBytes: meta.virtualSizeBytes,
    };
  }

  /** A file: URL must resolve (links followed) inside one of the configured roots. */
  private async checkFileRoot(url: URL): Promise<void> {
    const roots = this.opts.fileRoots ?? [];
    let path: string;
    try {
      path = await realpath(fileURLToPath(url));
    } catch {
      throw new DriverError('invalid', 'the image file does not exist');
    }
    for (const root of roots) {
      const r = await realpath(root).catch(() => undefined);
      if (r && (path === r || path.startsWith(`${r}/`))) return;
    }
    throw new DriverError(
      'invalid',
      'file: image URLs are only accepted from the configured image directories',
    );
  }

  private async matchCached(have: ImageMeta, req: ImageRequest): Promise<CachedImage> {
    let digest = have.checksum;
    if (have.checksumAlgo !== req.checksumAlgo) {
      const hash = createHash(req.checksumAlgo);
      await pipeline(createReadStream(this.imagePath(have.image, have.format)), hash);
      digest = hash.digest('hex');
    }
    if (digest !== req.checksum)
      throw new DriverError('conflict', `image ${req.image} is cached with another checksum`);
    if (req.sizeBytes !== undefined && req.sizeBytes !== have.sizeBytes)
      throw new DriverError('conflict', `image ${req.image} is cached with another size`);
    return have;
  }

  private async fetchImage(req: ImageRequest): Promise<ImageMeta> {
    if (req.url.protocol === 'file:') await this.checkFileRoot(req.url);
    const tmp = this.tmpPath(this.imagesDir, req.image, 'part');
    try {
      const got = await download(req.url, tmp, {
        algo: req.checksumAlgo,
        maxBytes: req.sizeBytes ?? this.opts.maxImageBytes ?? 256 * 1024 ** 3,
        idleTimeoutMs: this.opts.downloadIdleTimeoutMs,
      });
      if (req.sizeBytes !== undefined && got.size !== req.sizeBytes)
        throw new DriverError('invalid', `image ${req.image}: ${got.size} bytes, expected ${req.sizeBytes}`);
      if (got.digest !== req.checksum)
        throw new DriverError('invalid', `image ${req.image}: ${req.checksumAlgo} checksum mismatch`);
      const info = await qemuImgInfoUntrusted(tmp, this.qemu);
      if (info.format !== 'raw' && info.format !== 'qcow2')
        throw new DriverError(
          'invalid',
          `image ${req.image} is ${info.format}; only raw and qcow2 are accepted`,
        );
      if (info.backingFile || info.dataFile)
        throw new DriverError('invalid', `image ${req.image} refers to another file; refused`);
      const meta: ImageMeta = {
        image: req.image,
        sizeBytes: got.size,
        checksum: got.digest,
        checksumAlgo: req.checksumAlgo,
        format: info.format,
        virtualSizeBytes: info.virtualSize,
      };
      await rename(tmp, this.imagePath(req.image, meta.format));
      const metaTmp = this.tmpPath(this.imagesDir, req.image, 'json');
      await writeFile(metaTmp, `${JSON.stringify(meta)}\n`, { mode: 0o644 });
      await rename(metaTmp, this.metaPath(req.image));
      return meta;
    } catch (e) {
      await rm(tmp, { force: true });
      throw fsError(e, `caching image ${req.image}`);
    }
  }

  private async createDisk(
    disk: DiskId,
    sizeBytes: number,
    backing: { path: string; format: 'qcow2' | 'raw' } | undefined,
  ): Promise<DiskInfo> {
    const tmp = this.tmpPath(this.disksDir, disk, 'qcow2');
    try {
      await qemuImgCreate(tmp, sizeBytes, backing, this.qemu);
      await rename(tmp, this.diskPath(disk));
    } catch (e) {
      await rm(tmp, { force: true });
      throw fsError(e, `creating disk ${disk}`);
    }
    const d = await this.readDisk(disk);
    if (!d) throw new DriverError('internal', `disk ${disk} vanished after creation`);
    return d;
  }

  private async readDisk(disk: DiskId): Promise<DiskInfo | null> {
    const path = this.diskPath(disk);
    const st = await stat(path).catch(() => null);
    if (!st?.isFile()) return null;
    const head = await readQcow2Header(path).catch(() => null);
    if (!head) throw new DriverError('internal', `disk ${disk} is not a qcow2 file`);
    const info: DiskInfo = {
      disk,
      sizeBytes: head.virtualSize,
      allocatedBytes: st.blocks * 512,
      format: 'qcow2',
      source: { type: 'file', path },
    };
    const backing = head.backingFile && this.imageOf(head.backingFile);
    if (backing) info.backingImage = backing;
    return info;
  }

  /** The image id a backing path names, when it is one of this cache's images. */
  private imageOf(backingFile: string): ImageId | undefined {
    if (resolve(this.imagesDir, backingFile, '..') !== this.imagesDir) return undefined;
    const m = /^(.+)\.(qcow2|raw)$/.exec(basename(backingFile));
    return m && kumoId.safeParse(m[1]).success ? m[1] : undefined;
  }
}

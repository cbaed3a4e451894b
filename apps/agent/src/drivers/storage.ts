import type { DiskId, ImageId } from './ids.js';

export interface StorageCapabilities {
  backend: 'local' | 'rbd' | 'fake';
  copyOnWrite: boolean;
  resize: boolean;
  shrink: boolean;
}

export interface CachedImage {
  image: ImageId;
  sizeBytes: number;
  /** Hex digest of the content, algorithm given alongside. */
  checksum: string;
  checksumAlgo: 'sha256' | 'sha512' | 'md5';
  format: 'qcow2' | 'raw';
  /** The size a guest sees (qcow2 images are smaller than their disk); overlays must be at least this big. */
  virtualSizeBytes?: number;
}

export interface DiskInfo {
  disk: DiskId;
  sizeBytes: number;
  /** Bytes actually allocated (thin provisioning). */
  allocatedBytes: number;
  format: 'qcow2' | 'raw';
  /** The cached image this disk is an overlay of, if any. */
  backingImage?: ImageId;
  /** For the compute driver only: how to attach it (a file path or an rbd spec). Never leaves the agent. */
  source: { type: 'file'; path: string } | { type: 'rbd'; pool: string; image: string };
}

/** What exportDisk sent. */
export interface DiskExport {
  disk: DiskId;
  format: 'qcow2' | 'raw';
  /** Bytes sent (the file's length). */
  sizeBytes: number;
  /** Hex sha256 of the bytes sent. */
  checksum: string;
  checksumAlgo: 'sha256';
  /** The size a guest sees. */
  virtualSizeBytes: number;
}

export interface StorageUsage {
  totalBytes: number;
  freeBytes: number;
  imagesBytes: number;
  disksBytes: number;
}

/**
 * The storage driver contract. `ensure*` verbs are idempotent: the same call
 * twice returns the same result without doing the work again; a conflicting
 * call (same id, different size or image) throws DriverError('conflict').
 * Disk sizes are positive multiples of 512 bytes (else 'invalid'); a full
 * store throws 'no_space' and leaves nothing behind.
 */
export interface StorageDriver {
  readonly capabilities: StorageCapabilities;
  /** Download `url` into the cache unless present; verify size and checksum; refuse a mismatch. */
  ensureImage(req: {
    image: ImageId;
    url: string;
    sizeBytes?: number;
    checksum: string;
    checksumAlgo: CachedImage['checksumAlgo'];
  }): Promise<CachedImage>;
  getImage(image: ImageId): Promise<CachedImage>;
  removeImage(image: ImageId): Promise<void>;
  /** A copy-on-write overlay of a cached image, `sizeBytes` at least the image's virtual size. */
  ensureDiskFromImage(req: { disk: DiskId; image: ImageId; sizeBytes: number }): Promise<DiskInfo>;
  ensureBlankDisk(req: { disk: DiskId; sizeBytes: number }): Promise<DiskInfo>;
  /** Grow a disk (shrinking throws invalid). */
  resizeDisk(disk: DiskId, sizeBytes: number): Promise<DiskInfo>;
  deleteDisk(disk: DiskId): Promise<void>;
  getDisk(disk: DiskId): Promise<DiskInfo>;
  listDisks(): Promise<DiskInfo[]>;
  usage(): Promise<StorageUsage>;
  /**
   * The disk flattened with its backing image into one standalone file of `format` (no backing
   * file), HTTP PUT to `url` (http or https only; Content-Type application/octet-stream, with
   * Content-Length; no redirect followed). Unknown disk: not_found; the target answering 4xx:
   * invalid; unreachable, timing out or 5xx: unavailable. A running guest's disk is read as it
   * is (crash-consistent); callers wanting a consistent copy pause the guest around the call.
   * Nothing is left on the host afterwards, success or not.
   */
  exportDisk(req: { disk: DiskId; url: string; format: 'qcow2' | 'raw' }): Promise<DiskExport>;
}

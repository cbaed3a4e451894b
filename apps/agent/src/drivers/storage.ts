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
}

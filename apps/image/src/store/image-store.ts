import type { Readable } from 'node:stream';

export interface PutLimits {
  /** The store refuses (KumoError too_large) data longer than this. */
  maxBytes: number;
}

export interface PutResult {
  size: number;
  /** Hex MD5 of the data (Glance's `checksum`). */
  md5: string;
  /** Hex SHA-512 of the data (Glance's `os_hash_value`). */
  sha512: string;
}

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where image data lives. Only Kumo image ids cross this interface; how a store names
 * things (files, RBD images) stays inside it.
 */
export interface ImageStore {
  readonly name: string;
  /** Stream `data` into the store under `id`, replacing what was there only once complete. */
  put(id: string, data: Readable, limits: PutLimits): Promise<PutResult>;
  /** The data of `id` (or a range of it); rejects with StoreNotFoundError when absent. */
  get(id: string, range?: ByteRange): Promise<Readable>;
  /** Remove `id`; absent is fine. */
  delete(id: string): Promise<void>;
  exists(id: string): Promise<boolean>;
}

/** The store itself failed (disk full, I/O error): the upload's image is killed. */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export class StoreNotFoundError extends Error {
  constructor(id: string) {
    super(`no data stored for image ${id}`);
    this.name = 'StoreNotFoundError';
  }
}

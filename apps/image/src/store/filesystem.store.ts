import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { KumoError } from '@kumo/service-kit';
import {
  type ByteRange,
  type ImageStore,
  type PutLimits,
  type PutResult,
  StoreError,
  StoreNotFoundError,
} from './image-store.js';

const SAFE_ID = /^[A-Za-z0-9-]{1,64}$/;

/** Counts and hashes the bytes; fails past the size limit. */
class Digest {
  size = 0;
  readonly md5 = createHash('md5');
  readonly sha512 = createHash('sha512');
  constructor(private readonly maxBytes: number) {}
  add(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes)
      throw new KumoError('too_large', `Image data exceeds the limit of ${this.maxBytes} bytes.`);
    this.md5.update(chunk);
    this.sha512.update(chunk);
  }
}

/**
 * Image data as files in one directory: `<dir>/<id>`. A write goes to a temporary file that
 * is fsynced and renamed into place, so a reader never sees partial data.
 */
export class FilesystemStore implements ImageStore {
  readonly name = 'file';
  private ready: Promise<void> | undefined;

  constructor(readonly dir: string) {}

  private pathOf(id: string): string {
    if (!SAFE_ID.test(id)) throw new KumoError('invalid', `Invalid image id for the store: ${id}`);
    return join(this.dir, id);
  }

  private ensureDir(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o750 }).then(() => undefined);
    return this.ready;
  }

  async put(id: string, data: Readable, limits: PutLimits): Promise<PutResult> {
    const final = this.pathOf(id);
    await this.ensureDir().catch((err) => {
      throw new StoreError(`cannot create the store directory ${this.dir}`, { cause: err });
    });
    const tmp = join(this.dir, `.tmp-${id}-${randomBytes(6).toString('hex')}`);
    const handle = await open(tmp, 'wx', 0o640).catch((err) => {
      throw new StoreError(`cannot create ${tmp}: ${(err as Error).message}`, { cause: err });
    });
    const digest = new Digest(limits.maxBytes);
    let closed = false;
    try {
      // one chunk at a time: backpressure is the await, and a failure is clearly the source's or ours
      for await (const chunk of data as AsyncIterable<Buffer>) {
        digest.add(chunk);
        try {
          for (let off = 0; off < chunk.length; ) off += (await handle.write(chunk, off)).bytesWritten;
        } catch (err) {
          throw new StoreError(`writing ${tmp} failed: ${(err as Error).message}`, { cause: err });
        }
      }
      try {
        await handle.sync();
        await handle.close();
        closed = true;
        await rename(tmp, final);
        await this.syncDir();
      } catch (err) {
        throw new StoreError(`committing ${final} failed: ${(err as Error).message}`, { cause: err });
      }
      return { size: digest.size, md5: digest.md5.digest('hex'), sha512: digest.sha512.digest('hex') };
    } catch (err) {
      if (!closed) await handle.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  private async syncDir(): Promise<void> {
    const d = await open(this.dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  async get(id: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(id);
    try {
      await stat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StoreNotFoundError(id);
      throw new StoreError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async delete(id: string): Promise<void> {
    try {
      await unlink(this.pathOf(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  async exists(id: string): Promise<boolean> {
    try {
      await stat(this.pathOf(id));
      return true;
    } catch {
      return false;
    }
  }

  /** Remove temporary files older than `olderThanMs` (left by a crash mid-upload). */
  async sweepTemporaries(olderThanMs: number): Promise<number> {
    let removed = 0;
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const n of names) {
      if (!n.startsWith('.tmp-')) continue;
      const p = join(this.dir, n);
      const st = await stat(p).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > olderThanMs) {
        await unlink(p).catch(() => undefined);
        removed++;
      }
    }
    return removed;
  }
}

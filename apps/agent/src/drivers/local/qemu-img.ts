import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { DriverError } from '../ids.js';

/** What `qemu-img info --output=json` says about an image (the fields we read). */
export interface QemuImgInfo {
  format: string;
  virtualSize: number;
  actualSize?: number;
  backingFile?: string;
  dataFile?: string;
}

export interface QemuImgOptions {
  /** The qemu-img binary (default 'qemu-img' on PATH). */
  bin?: string;
  timeoutMs?: number;
}

/** Run a program without a shell; map its failures to DriverError kinds. */
export function run(bin: string, args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      const text = String(stderr || e.message).trim();
      if (e.code === 'ENOENT') return reject(new DriverError('unavailable', `${bin} is not installed`));
      if (e.killed) return reject(new DriverError('unavailable', `${bin} timed out after ${timeoutMs} ms`));
      if (/No space left on device|Disk quota exceeded/i.test(text))
        return reject(new DriverError('no_space', `${bin}: ${text}`));
      if (/Failed to get .*lock|Is another process using the image/i.test(text))
        return reject(new DriverError('conflict', `the image is in use: ${text}`));
      reject(new DriverError('internal', `${bin} ${args[0] ?? ''} failed: ${text}`));
    });
  });
}

/**
 * `qemu-img info` of a file we did not write (a downloaded image): probing the
 * format, bounded in memory and CPU with prlimit (malicious images can make
 * qemu-img's parser explode — the OpenStack CVE-2015-5162 lesson).
 */
export async function qemuImgInfoUntrusted(path: string, o: QemuImgOptions = {}): Promise<QemuImgInfo> {
  const bin = o.bin ?? 'qemu-img';
  const args = ['info', '--output=json', path];
  const limited = ['--as=1073741824', '--cpu=30', '--', bin, ...args];
  const out = await run('prlimit', limited, o.timeoutMs).catch((e: unknown) => {
    if (e instanceof DriverError && e.kind === 'unavailable' && /prlimit is not/.test(e.message))
      return run(bin, args, o.timeoutMs);
    throw e;
  });
  return parseInfo(out);
}

export function parseInfo(json: string): QemuImgInfo {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new DriverError('internal', 'qemu-img info did not answer JSON');
  }
  const specific = (j['format-specific'] as { data?: Record<string, unknown> } | undefined)?.data;
  const info: QemuImgInfo = { format: String(j.format), virtualSize: Number(j['virtual-size']) };
  if (typeof j['actual-size'] === 'number') info.actualSize = j['actual-size'];
  if (typeof j['backing-filename'] === 'string') info.backingFile = j['backing-filename'];
  if (typeof specific?.['data-file'] === 'string') info.dataFile = specific['data-file'];
  return info;
}

/** A qcow2 file: `qemu-img create -f qcow2 [-F fmt -b backing] path size`. */
export async function qemuImgCreate(
  path: string,
  sizeBytes: number,
  backing: { path: string; format: 'qcow2' | 'raw' } | undefined,
  o: QemuImgOptions = {},
): Promise<void> {
  const args = ['create', '-q', '-f', 'qcow2'];
  if (backing) args.push('-F', backing.format, '-b', backing.path);
  args.push(path, String(sizeBytes));
  await run(o.bin ?? 'qemu-img', args, o.timeoutMs);
}

/**
 * Flatten `src` (a qcow2, with whatever backing chain it has) into a new
 * standalone file `dest` of `format`. `-U` (force share) reads a disk a running
 * guest holds open: the copy is crash-consistent unless the guest is paused.
 */
export async function qemuImgConvert(
  src: string,
  dest: string,
  format: 'qcow2' | 'raw',
  o: QemuImgOptions = {},
): Promise<void> {
  await run(
    o.bin ?? 'qemu-img',
    ['convert', '-q', '-U', '-f', 'qcow2', '-O', format, src, dest],
    o.timeoutMs ?? 3_600_000,
  );
}

/** Grow a qcow2 file to `sizeBytes` (never shrinks: callers check first). */
export async function qemuImgResize(path: string, sizeBytes: number, o: QemuImgOptions = {}): Promise<void> {
  await run(o.bin ?? 'qemu-img', ['resize', '-q', '-f', 'qcow2', path, String(sizeBytes)], o.timeoutMs);
}

/**
 * The header of a qcow2 file this driver made: virtual size and backing file
 * name, read straight from the file (no process; a running guest's lock does
 * not get in the way). Null when the file is not qcow2.
 */
export async function readQcow2Header(
  path: string,
): Promise<{ virtualSize: number; backingFile?: string } | null> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(32);
    const { bytesRead } = await fh.read(head, 0, 32, 0);
    if (bytesRead < 32 || head.readUInt32BE(0) !== 0x514649fb) return null;
    const backingOffset = Number(head.readBigUInt64BE(8));
    const backingSize = head.readUInt32BE(16);
    const virtualSize = Number(head.readBigUInt64BE(24));
    if (!backingOffset || !backingSize || backingSize > 1023) return { virtualSize };
    const name = Buffer.alloc(backingSize);
    await fh.read(name, 0, backingSize, backingOffset);
    return { virtualSize, backingFile: name.toString('utf8') };
  } finally {
    await fh.close();
  }
}

import { Transform, type TransformCallback } from 'node:stream';
import { KumoError } from '@kumo/service-kit';

export const DISK_FORMATS = [
  'ami',
  'ari',
  'aki',
  'vhd',
  'vhdx',
  'vmdk',
  'raw',
  'qcow2',
  'vdi',
  'iso',
  'ploop',
] as const;
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]); // "QFI\xfb"
const ISO_MAGIC_OFFSET = 0x8001;
const ISO_MAGIC = Buffer.from('CD001', 'ascii');

/** What the format inspection learnt from the data. */
export interface FormatInfo {
  /** Size of the disk the guest sees, when the format says it (qcow2), else undefined. */
  virtualSize?: number;
}

/** Bytes of the head the check for a format needs before it can decide. */
function headBytesFor(diskFormat: string): number {
  switch (diskFormat) {
    case 'qcow2':
      return 104; // the version 3 header (incompatible features at 72..79)
    case 'iso':
      return ISO_MAGIC_OFFSET + ISO_MAGIC.length;
    case 'raw':
      return QCOW2_MAGIC.length;
    default:
      return 0;
  }
}

const refuse = (diskFormat: string, why: string) =>
  new KumoError('invalid', `Image data does not match disk_format '${diskFormat}': ${why}.`);

/** Check the head of the data (or all of it, when shorter) against the declared disk format. */
export function inspectHead(diskFormat: string, head: Buffer): FormatInfo {
  if (diskFormat === 'qcow2') {
    if (head.length < 32) throw refuse(diskFormat, 'shorter than a qcow2 header');
    if (!head.subarray(0, 4).equals(QCOW2_MAGIC)) throw refuse(diskFormat, 'no qcow2 magic (QFI\\xfb)');
    const version = head.readUInt32BE(4);
    if (version !== 2 && version !== 3) throw refuse(diskFormat, `unsupported qcow2 version ${version}`);
    // a backing file would let the image read a file of the host that opens it
    if (head.readBigUInt64BE(8) !== 0n)
      throw refuse(diskFormat, 'a qcow2 with a backing file is not allowed');
    if (version === 3 && head.length >= 80) {
      const incompatible = head.readBigUInt64BE(72);
      if (incompatible & 0b100n)
        throw refuse(diskFormat, 'a qcow2 with an external data file is not allowed');
    }
    const vsize = head.readBigUInt64BE(24);
    if (vsize > BigInt(Number.MAX_SAFE_INTEGER)) throw refuse(diskFormat, 'qcow2 virtual size out of range');
    return { virtualSize: Number(vsize) };
  }
  if (diskFormat === 'iso') {
    const end = ISO_MAGIC_OFFSET + ISO_MAGIC.length;
    if (head.length >= end && !head.subarray(ISO_MAGIC_OFFSET, end).equals(ISO_MAGIC))
      throw refuse(diskFormat, 'no ISO 9660 volume descriptor (CD001 at 0x8001)');
    return {};
  }
  if (diskFormat === 'raw') {
    // Glance refuses a qcow2 disguised as raw: whoever boots it as raw would expose its header
    if (head.length >= 4 && head.subarray(0, 4).equals(QCOW2_MAGIC))
      throw refuse(diskFormat, 'the data is a qcow2 image');
    return {};
  }
  return {};
}

/**
 * A pass-through stream that inspects the head of the data as it flows and fails the
 * upload as soon as the head contradicts the declared disk format.
 */
export class FormatGuard extends Transform {
  private readonly need: number;
  private readonly chunks: Buffer[] = [];
  private have = 0;
  private decided = false;
  info: FormatInfo = {};

  constructor(private readonly diskFormat: string) {
    super();
    this.need = headBytesFor(diskFormat);
    if (this.need === 0) this.decided = true;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.decided) {
      this.chunks.push(chunk);
      this.have += chunk.length;
      if (this.have >= this.need) {
        try {
          this.decide();
        } catch (err) {
          cb(err as Error);
          return;
        }
      }
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (!this.decided) this.decide();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  private decide(): void {
    this.decided = true;
    const head = Buffer.concat(this.chunks).subarray(0, Math.max(this.need, 0));
    this.chunks.length = 0;
    this.info = inspectHead(this.diskFormat, head);
  }
}

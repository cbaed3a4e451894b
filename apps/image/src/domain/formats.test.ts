import { describe, expect, it } from 'vitest';
import { inspectHead } from './formats.js';

const qcow2 = (opts: { version?: number; backing?: bigint; size?: bigint; features?: bigint } = {}) => {
  const b = Buffer.alloc(104);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(opts.version ?? 3, 4);
  b.writeBigUInt64BE(opts.backing ?? 0n, 8);
  b.writeBigUInt64BE(opts.size ?? 1073741824n, 24);
  b.writeBigUInt64BE(opts.features ?? 0n, 72);
  return b;
};

describe('inspectHead', () => {
  it('reads a qcow2 virtual size and refuses unsafe or fake qcow2', () => {
    expect(inspectHead('qcow2', qcow2())).toEqual({ virtualSize: 1073741824 });
    expect(() => inspectHead('qcow2', Buffer.from('not a qcow2 at all, not at all....'))).toThrow(/magic/);
    expect(() => inspectHead('qcow2', qcow2({ version: 7 }))).toThrow(/version/);
    expect(() => inspectHead('qcow2', qcow2({ backing: 512n }))).toThrow(/backing/);
    expect(() => inspectHead('qcow2', qcow2({ features: 4n }))).toThrow(/data file/);
    expect(() => inspectHead('qcow2', Buffer.alloc(3))).toThrow(/shorter/);
  });

  it('checks ISO descriptors when there is room, and raw for hidden qcow2', () => {
    const iso = Buffer.alloc(0x8006);
    iso.write('CD001', 0x8001, 'ascii');
    expect(inspectHead('iso', iso)).toEqual({});
    expect(() => inspectHead('iso', Buffer.alloc(0x8006))).toThrow(/CD001/);
    expect(inspectHead('iso', Buffer.alloc(10))).toEqual({});
    expect(() => inspectHead('raw', qcow2())).toThrow(/qcow2/);
    expect(inspectHead('vmdk', Buffer.alloc(0))).toEqual({});
  });
});

const CLUSTER_BITS = 16;
const CLUSTER = 1 << CLUSTER_BITS; // 64 KiB
const COPIED = 1n << 63n; // refcount exactly one

/**
 * A small, valid standalone qcow2 image (version 3, 64 KiB clusters, no
 * backing file) of `virtualSize` bytes whose first cluster holds `payload`
 * (at most 64 KiB); the rest reads as zeros. `qemu-img check` finds no error.
 * The fake storage driver exports this, so an image service that inspects
 * qcow2 headers accepts what a fake host sends.
 *
 * Layout: cluster 0 header, 1 refcount table, 2 refcount block, 3… L1 table,
 * then one L2 table and one data cluster.
 */
export function minimalQcow2(virtualSize: number, payload: Uint8Array): Buffer {
  if (!Number.isSafeInteger(virtualSize) || virtualSize <= 0) throw new Error('virtualSize must be positive');
  if (payload.length > CLUSTER) throw new Error('payload must fit one cluster');
  const l2Entries = CLUSTER / 8;
  const l1Size = Math.ceil(virtualSize / (CLUSTER * l2Entries));
  const l1Clusters = Math.max(1, Math.ceil((l1Size * 8) / CLUSTER));
  const l1At = 3;
  const l2At = l1At + l1Clusters;
  const dataAt = l2At + 1;
  const clusters = dataAt + 1;
  if (clusters > CLUSTER / 2) throw new Error('virtualSize too large for a minimal qcow2');
  const out = Buffer.alloc(clusters * CLUSTER);

  out.writeUInt32BE(0x514649fb, 0); // magic QFI\xfb
  out.writeUInt32BE(3, 4); // version
  out.writeUInt32BE(CLUSTER_BITS, 20);
  out.writeBigUInt64BE(BigInt(virtualSize), 24);
  out.writeUInt32BE(l1Size, 36);
  out.writeBigUInt64BE(BigInt(l1At * CLUSTER), 40);
  out.writeBigUInt64BE(BigInt(1 * CLUSTER), 48); // refcount table
  out.writeUInt32BE(1, 56); // refcount table clusters
  out.writeUInt32BE(4, 96); // refcount order: 16-bit refcounts
  out.writeUInt32BE(104, 100); // header length; an end-of-extensions marker (zeros) follows

  out.writeBigUInt64BE(BigInt(2 * CLUSTER), 1 * CLUSTER); // refcount table → block
  for (let c = 0; c < clusters; c++) out.writeUInt16BE(1, 2 * CLUSTER + c * 2);
  out.writeBigUInt64BE(BigInt(l2At * CLUSTER) | COPIED, l1At * CLUSTER); // L1[0] → L2
  out.writeBigUInt64BE(BigInt(dataAt * CLUSTER) | COPIED, l2At * CLUSTER); // L2[0] → data
  Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).copy(out, dataAt * CLUSTER);
  return out;
}

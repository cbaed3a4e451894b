import { open, stat } from 'node:fs/promises';

/** Bytes of the serial console log from `offset`, at most `limit`; a missing log is empty. */
export async function readConsoleLog(
  path: string,
  offset: number,
  limit: number,
): Promise<{ data: string; nextOffset: number }> {
  const size = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  if (offset >= size || limit === 0) return { data: '', nextOffset: Math.min(offset, size) };
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(limit, size - offset));
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return { data: buf.subarray(0, bytesRead).toString('utf8'), nextOffset: offset + bytesRead };
  } finally {
    await fh.close();
  }
}

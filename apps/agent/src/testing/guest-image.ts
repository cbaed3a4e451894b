import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../../../..');

/**
 * The test guest image for tests that boot real guests: KUMO_GUEST_IMAGE, or the path
 * scripts/build-guest-image prints last (it builds once, then answers from its cache).
 */
export async function buildGuestImage(): Promise<string> {
  if (process.env.KUMO_GUEST_IMAGE) return process.env.KUMO_GUEST_IMAGE;
  const { stdout } = await exec(join(REPO, 'scripts/build-guest-image'), [], {
    timeout: 15 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const last = stdout.trim().split('\n').pop()?.trim();
  if (!last || !existsSync(last)) throw new Error(`scripts/build-guest-image printed no image: ${last}`);
  return last;
}

/** buildGuestImage, or undefined (with a warning saying why) when it cannot be built here. */
export async function guestImageIfAvailable(): Promise<string | undefined> {
  try {
    return await buildGuestImage();
  } catch (err) {
    console.warn(`guest image unavailable: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** The SHA-256 of a file, streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => res(h.digest('hex')))
      .on('error', rej);
  });
}

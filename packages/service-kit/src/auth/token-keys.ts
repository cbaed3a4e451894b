import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { KumoError } from '../errors.js';

/**
 * A key repository on disk, with Fernet's rotation scheme: file `0` is the
 * staged key (valid for decryption, promoted at the next rotation), the highest
 * number is the primary key (encrypts), every other one is a secondary key
 * (decrypts tokens issued before a rotation). Keys are 32 random bytes, base64.
 */
export interface TokenKeys {
  primary: Buffer;
  primaryId: Buffer;
  /** fingerprint (hex) -> key */
  byId: Map<string, Buffer>;
}

export const keyFingerprint = (key: Buffer): Buffer =>
  createHash('sha256').update(key).digest().subarray(0, 4);

const newKeyText = () => `${randomBytes(32).toString('base64')}\n`;

function writeKey(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function keyNumbers(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => /^\d+$/.test(f))
    .map(Number)
    .sort((a, b) => a - b);
}

/** Create the repository with a staged and a primary key if it has none. Idempotent. */
export function initKeyRepository(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (keyNumbers(dir).length > 0) return;
  writeKey(join(dir, '0'), newKeyText());
  writeKey(join(dir, '1'), newKeyText());
}

export function loadKeyRepository(dir: string): TokenKeys {
  if (!existsSync(dir)) throw new KumoError('invalid', `token key repository ${dir} does not exist`);
  const nums = keyNumbers(dir);
  if (nums.length < 2)
    throw new KumoError('invalid', `token key repository ${dir} needs a staged and a primary key`);
  const byId = new Map<string, Buffer>();
  let primary: Buffer | undefined;
  for (const n of nums) {
    const key = Buffer.from(readFileSync(join(dir, String(n)), 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new KumoError('invalid', `token key ${dir}/${n} is not 32 bytes`);
    byId.set(keyFingerprint(key).toString('hex'), key);
    primary = key;
  }
  return { primary: primary!, primaryId: keyFingerprint(primary!), byId };
}

/**
 * Rotate: the staged key becomes the new primary, a new staged key is made, and
 * the oldest secondaries beyond `maxActive` keys in all are removed.
 */
export function rotateKeyRepository(dir: string, maxActive = 3): { primary: number; removed: number[] } {
  initKeyRepository(dir);
  if (maxActive < 2) throw new KumoError('invalid', 'maxActive must be at least 2');
  const nums = keyNumbers(dir);
  const next = (nums[nums.length - 1] ?? 0) + 1;
  renameSync(join(dir, '0'), join(dir, String(next)));
  writeKey(join(dir, '0'), newKeyText());
  const secondaries = keyNumbers(dir).filter((n) => n !== 0 && n !== next);
  const removed: number[] = [];
  while (secondaries.length + 2 > maxActive) {
    const n = secondaries.shift()!;
    rmSync(join(dir, String(n)));
    removed.push(n);
  }
  return { primary: next, removed };
}

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { TokenData } from './token-data.js';
import type { TokenKeys } from './token-keys.js';

/**
 * Token wire format (base64url):
 *   version(1) | key fingerprint(4) | iv(12) | GCM tag(16) | ciphertext(JSON of TokenData)
 * AES-256-GCM authenticates the whole payload; the fingerprint picks the key
 * without trial decryption, so rotated-out keys fail fast.
 */
const VERSION = 1;
const HEAD = 1 + 4 + 12 + 16;

export function encodeToken(keys: TokenKeys, data: TokenData): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.primary, iv);
  const head = Buffer.alloc(5);
  head[0] = VERSION;
  keys.primaryId.copy(head, 1);
  cipher.setAAD(head);
  const ct = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
  return Buffer.concat([head, iv, cipher.getAuthTag(), ct]).toString('base64url');
}

/** Returns the token's data, or undefined when it is malformed, tampered with or
 * encrypted with an unknown key. Expiry and revocation are checked by the caller. */
export function decodeToken(keys: TokenKeys, token: string): TokenData | undefined {
  if (token.length < 40 || token.length > 16384 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const raw = Buffer.from(token, 'base64url');
  if (raw.length <= HEAD || raw[0] !== VERSION) return undefined;
  const key = keys.byId.get(raw.subarray(1, 5).toString('hex'));
  if (!key) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(5, 17));
    decipher.setAAD(raw.subarray(0, 5));
    decipher.setAuthTag(raw.subarray(17, 33));
    const text = Buffer.concat([decipher.update(raw.subarray(33)), decipher.final()]).toString('utf8');
    return JSON.parse(text) as TokenData;
  } catch {
    return undefined;
  }
}

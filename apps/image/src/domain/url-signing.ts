import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KumoError } from '@kumo/service-kit';

export type SignedMethod = 'GET' | 'PUT';

/**
 * HMAC-SHA256 signatures for the token-less data URLs handed to the compute service and
 * host agents: `?expires=<unix seconds>&sig=<base64url>` over method, image id and expiry.
 */
export class UrlSigner {
  constructor(private readonly key: Buffer) {}

  /** Load the key from `file` (mode 0600), creating it on first start. */
  static fromKeyFile(file: string): UrlSigner {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const hex = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64,}$/.test(hex)) throw new Error(`URL signing key ${file} is malformed`);
    return new UrlSigner(Buffer.from(hex, 'hex'));
  }

  private mac(method: SignedMethod, id: string, expires: number): Buffer {
    return createHmac('sha256', this.key).update(`${method}\n${id}\n${expires}`).digest();
  }

  sign(method: SignedMethod, id: string, expires: number): string {
    return this.mac(method, id, expires).toString('base64url');
  }

  /** Throws 401 when the signature parameters are missing, 403 when wrong or expired. */
  verify(method: SignedMethod, id: string, expires: unknown, sig: unknown, now = Date.now()): void {
    if (typeof expires !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(expires) || sig === '')
      throw new KumoError('unauthenticated', 'This URL needs valid expires and sig parameters.');
    const given = Buffer.from(sig, 'base64url');
    const want = this.mac(method, id, Number(expires));
    if (given.length !== want.length || !timingSafeEqual(given, want))
      throw new KumoError('forbidden', 'The URL signature is not valid.');
    if (Number(expires) * 1000 < now) throw new KumoError('forbidden', 'The signed URL has expired.');
  }
}

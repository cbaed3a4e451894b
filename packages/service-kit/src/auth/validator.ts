import type { RevocationList } from './revocation.js';
import { decodeToken } from './token-codec.js';
import type { TokenData } from './token-data.js';
import type { TokenKeys } from './token-keys.js';

export type ValidationResult =
  | { ok: true; token: TokenData }
  | { ok: false; reason: 'malformed' | 'expired' | 'revoked' };

/** Validates a token locally: decrypt, expiry, revocation list. No database. */
export class TokenValidator {
  constructor(
    private keys: TokenKeys,
    readonly revocations: RevocationList,
    private readonly now: () => number = Date.now,
  ) {}

  setKeys(keys: TokenKeys): void {
    this.keys = keys;
  }

  /** Decrypts without expiry or revocation checks (for `allow_expired`). */
  decodeUnchecked(token: string): TokenData | undefined {
    return decodeToken(this.keys, token);
  }

  validate(token: string): ValidationResult {
    const data = decodeToken(this.keys, token);
    if (!data) return { ok: false, reason: 'malformed' };
    if (data.expiresAt <= this.now()) return { ok: false, reason: 'expired' };
    if (this.revocations.isRevoked(data)) return { ok: false, reason: 'revoked' };
    return { ok: true, token: data };
  }
}

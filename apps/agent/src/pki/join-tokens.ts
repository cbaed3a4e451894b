import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One-time join tokens. A token reads `kumo1.<ca-sha256-hex>.<secret>`: the
 * first part lets a joining agent pin the CA before it trusts anything (as
 * k3s/kubeadm do); only the SHA-256 of the secret is kept, with its expiry.
 */
const PREFIX = 'kumo1';
const TOKEN_RE = /^kumo1\.([0-9a-f]{64})\.([A-Za-z0-9_-]{43})$/;

export interface ParsedJoinToken {
  caFingerprint: string;
  secret: string;
}

export function parseJoinToken(token: string): ParsedJoinToken | undefined {
  const m = TOKEN_RE.exec(token.trim());
  return m ? { caFingerprint: m[1]!, secret: m[2]! } : undefined;
}

export type JoinRefusal = 'malformed' | 'unknown' | 'expired' | 'wrong_host' | 'wrong_ca';

export class JoinRefused extends Error {
  constructor(readonly reason: JoinRefusal) {
    super(`join token refused: ${reason.replace('_', ' ')}`);
    this.name = 'JoinRefused';
  }
}

interface TokenRecord {
  hash: Buffer;
  expiresAt: number;
  /** When set, only this host id may join with the token. */
  hostId: string | undefined;
}

const hashOf = (secret: string) => createHash('sha256').update(secret).digest();

/** In memory for now; the scheduler will keep the same records (hashes only) in its schema. */
export class JoinTokenStore {
  private readonly tokens = new Map<string, TokenRecord>();

  constructor(
    private readonly caFingerprint: string,
    private readonly now: () => number = Date.now,
  ) {}

  issue(opts: { ttlMs?: number; hostId?: string } = {}): { token: string; expiresAt: number } {
    this.purgeExpired();
    const secret = randomBytes(32).toString('base64url');
    const hash = hashOf(secret);
    const expiresAt = this.now() + (opts.ttlMs ?? 3_600_000);
    this.tokens.set(hash.toString('hex'), { hash, expiresAt, hostId: opts.hostId });
    return { token: `${PREFIX}.${this.caFingerprint}.${secret}`, expiresAt };
  }

  /** Check and burn a token: it never works twice, whatever the outcome. */
  consume(token: string, hostId: string): void {
    const parsed = parseJoinToken(token);
    if (!parsed) throw new JoinRefused('malformed');
    const hash = hashOf(parsed.secret);
    const key = hash.toString('hex');
    const rec = this.tokens.get(key);
    if (!rec || !timingSafeEqual(rec.hash, hash)) throw new JoinRefused('unknown');
    this.tokens.delete(key);
    if (parsed.caFingerprint !== this.caFingerprint) throw new JoinRefused('wrong_ca');
    if (rec.expiresAt <= this.now()) throw new JoinRefused('expired');
    if (rec.hostId !== undefined && rec.hostId !== hostId) throw new JoinRefused('wrong_host');
  }

  get size(): number {
    return this.tokens.size;
  }

  purgeExpired(): void {
    const now = this.now();
    for (const [k, r] of this.tokens) if (r.expiresAt <= now) this.tokens.delete(k);
  }
}

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

/** What is stored of a join token: never the secret, only its SHA-256 (hex). */
export interface JoinTokenRecord {
  hash: string;
  expiresAt: number;
  /** When set, only this host id may join with the token. */
  hostId: string | undefined;
}

/**
 * Where join tokens are kept (in memory here, in the scheduler's schema in
 * production). `take` must remove and return atomically: a token burns on
 * its first use, even when two agents race with it.
 */
export interface JoinTokenRepo {
  save(rec: JoinTokenRecord): Promise<void>;
  take(hash: string): Promise<JoinTokenRecord | undefined>;
  deleteExpired(now: number): Promise<void>;
}

const hashOf = (secret: string) => createHash('sha256').update(secret).digest();

/** A new token for a CA, and the record to store for it. */
export function mintJoinToken(
  caFingerprint: string,
  now: number,
  opts: { ttlMs?: number; hostId?: string } = {},
): { token: string; expiresAt: number; record: JoinTokenRecord } {
  const secret = randomBytes(32).toString('base64url');
  const expiresAt = now + (opts.ttlMs ?? 3_600_000);
  return {
    token: `${PREFIX}.${caFingerprint}.${secret}`,
    expiresAt,
    record: { hash: hashOf(secret).toString('hex'), expiresAt, hostId: opts.hostId },
  };
}

/** The hash a token is stored under; refuses a malformed token. */
export function joinTokenKey(token: string): { parsed: ParsedJoinToken; hash: string } {
  const parsed = parseJoinToken(token);
  if (!parsed) throw new JoinRefused('malformed');
  return { parsed, hash: hashOf(parsed.secret).toString('hex') };
}

/** Check a token against the record it was taken from (already burnt). */
export function checkJoinToken(
  parsed: ParsedJoinToken,
  rec: JoinTokenRecord | undefined,
  ctx: { caFingerprint: string; hostId: string; now: number },
): void {
  const hash = hashOf(parsed.secret);
  if (!rec || !timingSafeEqual(Buffer.from(rec.hash, 'hex'), hash)) throw new JoinRefused('unknown');
  if (parsed.caFingerprint !== ctx.caFingerprint) throw new JoinRefused('wrong_ca');
  if (rec.expiresAt <= ctx.now) throw new JoinRefused('expired');
  if (rec.hostId !== undefined && rec.hostId !== ctx.hostId) throw new JoinRefused('wrong_host');
}

/**
 * The in-memory token store: synchronous `issue`/`consume` for the agent's
 * stand-alone control plane and tests, and the async `JoinTokenRepo` face.
 */
export class JoinTokenStore implements JoinTokenRepo {
  private readonly tokens = new Map<string, JoinTokenRecord>();

  constructor(
    private readonly caFingerprint: string,
    private readonly now: () => number = Date.now,
  ) {}

  issue(opts: { ttlMs?: number; hostId?: string } = {}): { token: string; expiresAt: number } {
    this.purgeExpired();
    const { token, expiresAt, record } = mintJoinToken(this.caFingerprint, this.now(), opts);
    this.tokens.set(record.hash, record);
    return { token, expiresAt };
  }

  /** Check and burn a token: it never works twice, whatever the outcome. */
  consume(token: string, hostId: string): void {
    const { parsed, hash } = joinTokenKey(token);
    const rec = this.tokens.get(hash);
    this.tokens.delete(hash);
    checkJoinToken(parsed, rec, { caFingerprint: this.caFingerprint, hostId, now: this.now() });
  }

  get size(): number {
    return this.tokens.size;
  }

  purgeExpired(): void {
    const now = this.now();
    for (const [k, r] of this.tokens) if (r.expiresAt <= now) this.tokens.delete(k);
  }

  async save(rec: JoinTokenRecord): Promise<void> {
    this.tokens.set(rec.hash, rec);
  }

  async take(hash: string): Promise<JoinTokenRecord | undefined> {
    const rec = this.tokens.get(hash);
    this.tokens.delete(hash);
    return rec;
  }

  async deleteExpired(now: number): Promise<void> {
    for (const [k, r] of this.tokens) if (r.expiresAt <= now) this.tokens.delete(k);
  }
}

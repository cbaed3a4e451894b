import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { TokenData } from './token-data.js';

/**
 * A revocation event, as Keystone's: a token is revoked when it was issued at or
 * before `issuedBefore` and every field the event sets matches the token.
 */
export interface RevocationEvent {
  auditId?: string;
  auditChainId?: string;
  userId?: string;
  projectId?: string;
  domainId?: string;
  roleId?: string;
  applicationCredentialId?: string;
  /** Every token issued from this OS-TRUST trust. */
  trustId?: string;
  issuedBefore: number;
}

export function eventMatches(e: RevocationEvent, t: TokenData): boolean {
  if (t.issuedAt > e.issuedBefore) return false;
  if (e.auditId !== undefined && t.auditIds[0] !== e.auditId) return false;
  if (e.auditChainId !== undefined && t.auditIds[t.auditIds.length - 1] !== e.auditChainId) return false;
  // As Keystone: a user event also matches the trustor and the trustee of a trust-scoped token.
  if (
    e.userId !== undefined &&
    t.user.id !== e.userId &&
    t.trust?.trustorUserId !== e.userId &&
    t.trust?.trusteeUserId !== e.userId
  )
    return false;
  if (e.projectId !== undefined && t.project?.id !== e.projectId) return false;
  if (
    e.domainId !== undefined &&
    t.user.domain.id !== e.domainId &&
    t.project?.domain.id !== e.domainId &&
    t.domain?.id !== e.domainId
  )
    return false;
  if (e.roleId !== undefined && !t.roles.some((r) => r.id === e.roleId)) return false;
  if (e.applicationCredentialId !== undefined && t.applicationCredential?.id !== e.applicationCredentialId)
    return false;
  if (e.trustId !== undefined && t.trust?.id !== e.trustId) return false;
  return true;
}

/** The in-memory list every validator checks; kept in sync from Redis. */
export class RevocationList {
  private events: RevocationEvent[] = [];

  constructor(private readonly maxTokenLifetimeMs: number) {}

  replace(events: RevocationEvent[]): void {
    this.events = events.slice();
    this.prune();
  }

  add(e: RevocationEvent): void {
    this.events.push(e);
  }

  get size(): number {
    return this.events.length;
  }

  isRevoked(t: TokenData): boolean {
    for (const e of this.events) if (eventMatches(e, t)) return true;
    return false;
  }

  /** Events older than the longest token lifetime can no longer match anything. */
  prune(now = Date.now()): void {
    const cutoff = now - this.maxTokenLifetimeMs;
    this.events = this.events.filter((e) => e.issuedBefore >= cutoff);
  }
}

/**
 * Redis carries revocation events to every process: a list holds them (for a
 * process that starts later) and a pub/sub channel announces each new one.
 * Postgres (the identity service's table) stays the source of truth and
 * re-seeds the list when identity starts.
 */
export class RedisRevocationFeed {
  private subscriber: Redis | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly list: RevocationList,
    private readonly log?: Logger,
    private readonly reloadMs = 30_000,
  ) {}

  private get key() {
    return `${this.prefix}revocations`;
  }

  async start(): Promise<void> {
    await this.reload();
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('message', (_channel: string, message: string) => {
      try {
        this.list.add(JSON.parse(message) as RevocationEvent);
      } catch (err) {
        this.log?.warn({ err }, 'bad revocation message');
      }
    });
    this.subscriber.on('error', (err) => this.log?.warn({ err }, 'revocation subscriber error'));
    // A reconnect resubscribes automatically (ioredis autoResubscribe); reload to catch what was missed.
    this.subscriber.on('ready', () => void this.reload().catch(() => undefined));
    await this.subscriber.subscribe(this.key);
    this.timer = setInterval(() => void this.reload().catch(() => undefined), this.reloadMs);
    this.timer.unref();
  }

  async reload(): Promise<void> {
    const raw = await this.redis.lrange(this.key, 0, -1);
    this.list.replace(raw.map((r) => JSON.parse(r) as RevocationEvent));
  }

  /** Publish a new event: push it onto Redis' list, then announce it (the publisher adds it to its own list). */
  async publish(e: RevocationEvent): Promise<void> {
    const text = JSON.stringify(e);
    await this.redis.rpush(this.key, text);
    await this.redis.publish(this.key, text);
  }

  /** Replace the whole list (identity does this from Postgres at start). */
  async seed(events: RevocationEvent[]): Promise<void> {
    const tx = this.redis.multi().del(this.key);
    if (events.length > 0) tx.rpush(this.key, ...events.map((e) => JSON.stringify(e)));
    await tx.exec();
    this.list.replace(events);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.subscriber) {
      this.subscriber.disconnect();
      this.subscriber = undefined;
    }
  }
}

import { createTestRedis } from '@kumo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRevocationFeed, RevocationList } from './revocation.js';
import type { TokenData } from './token-data.js';

const token: TokenData = {
  methods: ['password'],
  user: { id: 'u1', name: 'a', domain: { id: 'd', name: 'D' } },
  roles: [],
  auditIds: ['x'],
  issuedAt: Date.now(),
  expiresAt: Date.now() + 60_000,
};

let r: Awaited<ReturnType<typeof createTestRedis>>;
beforeAll(async () => {
  r = await createTestRedis();
});
afterAll(async () => {
  await r.cleanup();
});

describe('revocation over Redis', () => {
  it('reaches another process within milliseconds, and a late starter from the list', async () => {
    const listA = new RevocationList(60_000);
    const listB = new RevocationList(60_000);
    const a = new RedisRevocationFeed(r.redis, r.prefix, listA);
    const redisB = r.redis.duplicate();
    const redisC = r.redis.duplicate();
    const b = new RedisRevocationFeed(redisB, r.prefix, listB);
    await a.start();
    await b.start();
    await a.publish({ userId: 'u1', issuedBefore: Date.now() + 1 });
    const t0 = Date.now();
    while (!listB.isRevoked(token) && Date.now() - t0 < 2000) await new Promise((res) => setTimeout(res, 5));
    expect(listB.isRevoked(token)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    const listC = new RevocationList(60_000);
    const c = new RedisRevocationFeed(redisC, r.prefix, listC);
    await c.start();
    expect(listC.isRevoked(token)).toBe(true);
    await Promise.all([a.stop(), b.stop(), c.stop()]);
    redisB.disconnect();
    redisC.disconnect();
  });
});

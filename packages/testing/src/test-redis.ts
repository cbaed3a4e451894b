import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const testRedisUrl = () => process.env.KUMO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** A Redis connection and a key prefix of its own; cleanup deletes the prefix's keys. */
export async function createTestRedis(): Promise<{ redis: Redis; prefix: string; cleanup(): Promise<void> }> {
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null, lazyConnect: false });
  const prefix = `kumo-test:${randomBytes(4).toString('hex')}:`;
  return {
    redis,
    prefix,
    async cleanup() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    },
  };
}

export * from './test-db.js';
export * from './test-redis.js';

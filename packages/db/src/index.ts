export * from './errors.js';
export * from './migrate.js';
export * from './pool.js';

export * from './migrate.js';
export * from './pool.js';
export * from './errors.js';

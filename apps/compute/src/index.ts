import { fileURLToPath } from 'node:url';

export * from './agents/index.js';
export * from './app.js';
export * from './bootstrap.js';
export * from './config.js';
export type { ComputeContext, Db } from './context.js';
export * as computeSchema from './db/schema.js';
export { type ComputeBaseContext, type ComputeDepsOptions, createComputeContext } from './deps.js';
export { computePolicyDefaults } from './domain/policy-defaults.js';
export * from './domain/states.js';
export * from './domain/tasks.js';
export * from './http/microversion.js';
export * from './service.js';

/** Where the compute service's checked-in migrations live. */
export const computeMigrations = {
  schema: 'compute',
  folder: fileURLToPath(new URL('../drizzle', import.meta.url)),
};

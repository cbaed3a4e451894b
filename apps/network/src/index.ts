import { fileURLToPath } from 'node:url';

export * from './app.js';
export * from './config.js';
export * from './context.js';
export type { NetworkDb, NetworkTx } from './db/database.js';
export { networkPolicyDefaults } from './domain/policy-defaults.js';
export * from './domain/sync.js';
export * from './service.js';

/** Where the network service's checked-in migrations live. */
export const networkMigrations = {
  schema: 'network',
  folder: fileURLToPath(new URL('../drizzle', import.meta.url)),
};
export * from './clients/index.js';

export * from './app.js';
export * from './config.js';
export * from './context.js';
export * from './deps.js';
export { identityPolicyDefaults } from './domain/policy-defaults.js';
export * as identitySchema from './db/schema.js';

import { fileURLToPath } from 'node:url';
/** Where the identity service's checked-in migrations live. */
export const identityMigrations = { schema: 'identity', folder: fileURLToPath(new URL('../drizzle', import.meta.url)) };
export { bootstrapIdentity, type BootstrapInput, type CatalogService } from './domain/bootstrap.js';

export * from './app.js';
export * from './config.js';
export * from './context.js';
export * as identitySchema from './db/schema.js';
export * from './deps.js';
export { identityPolicyDefaults } from './domain/policy-defaults.js';

import { fileURLToPath } from 'node:url';
/** Where the identity service's checked-in migrations live. */
export const identityMigrations = {
  schema: 'identity',
  folder: fileURLToPath(new URL('../drizzle', import.meta.url)),
};
export {
  type BootstrapInput,
  bootstrapIdentity,
  type CatalogService,
  SERVICE_USER,
} from './domain/bootstrap.js';

import { fileURLToPath } from 'node:url';

export * from './app.js';
export * from './clients/image.client.js';
export * from './config.js';
export * from './context.js';
export { CONTAINER_FORMATS, DISK_FORMATS } from './domain/formats.js';
export { imagePolicyDefaults } from './domain/policy-defaults.js';
export { UrlSigner } from './domain/url-signing.js';
export * from './service.js';
export { FilesystemStore } from './store/filesystem.store.js';
export * from './store/image-store.js';

/** Where the image service's checked-in migrations live. */
export const imageMigrations = {
  schema: 'image',
  folder: fileURLToPath(new URL('../drizzle', import.meta.url)),
};

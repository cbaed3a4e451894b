export * from './config.js';
export * from './drivers/fake/index.js';
export * from './drivers/index.js';
export * from './pki/index.js';
export * from './server/daemon.js';
export * from './server/index.js';

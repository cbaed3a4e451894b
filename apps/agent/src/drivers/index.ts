export * from './compute.js';
export * from './ids.js';
export * from './network.js';
export * from './storage.js';
export * from './upload.js';

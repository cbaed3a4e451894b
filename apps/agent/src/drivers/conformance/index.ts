// Test-only: these register vitest suites. Import from *.test.ts files, never from the agent itself.
export * from './compute.conformance.js';
export * from './export-target.js';
export * from './helpers.js';
export * from './network.conformance.js';
export * from './storage.conformance.js';
export * from './storage-export.conformance.js';
export * from './storage-images.conformance.js';

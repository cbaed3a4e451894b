export * from './policy.js';
export * from './revocation.js';
export * from './token-codec.js';
export * from './token-data.js';
export * from './token-keys.js';
export * from './token-validation.js';
export * from './validator.js';

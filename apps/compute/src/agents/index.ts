export * from './agent-errors.js';
export * from './connector.js';
export * from './grpc.connector.js';
export * from './in-process.connector.js';

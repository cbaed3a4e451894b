export * from './agent-server.js';
export * from './client.js';
export * from './in-process-agent.js';
export { type AuthorizePeer, controlPlaneOnly } from './rpc.js';
export { codeOfKind, toStatus } from './status.js';

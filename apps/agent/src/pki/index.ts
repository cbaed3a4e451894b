export * from './ca.js';
export * from './control-plane.js';
export * from './control-plane-server.js';
export * from './csr.js';
export * from './enrol.js';
export * from './host-id.js';
export * from './inventory.js';
export * from './join-tokens.js';
export { certFingerprint, isIssuedBy, ROLE_AGENT, ROLE_CONTROL_PLANE } from './x509.js';

/**
 * kumo.agent.v1 — the agent protocol, generated from proto/kumo/agent/v1 by
 * ts-proto through buf (`pnpm --filter @kumo/agent-proto generate`). The
 * generated code is committed so installs need no codegen; a test checks that
 * regenerating gives no diff.
 */
export * from './gen/kumo/agent/v1/compute.js';
export * from './gen/kumo/agent/v1/host.js';
export * from './gen/kumo/agent/v1/network.js';
export * from './gen/kumo/agent/v1/storage.js';

import { fileURLToPath } from 'node:url';

export * from './app.js';
export * from './client.js';
export * from './config.js';
export type { ConsumerAllocations } from './db/allocations.repo.js';
export type { ProviderPatch, ProviderRow } from './db/providers.repo.js';
export * from './domain/filters.js';
export * from './domain/host-state.js';
export { schedulerPolicyDefaults } from './domain/policy-defaults.js';
export * from './domain/resources.js';
export * from './domain/weighers.js';
export * from './placement.js';
export type { AggregateView } from './routes/aggregates.routes.js';
export type { ClaimBody, HostPatchBody, ScheduleBody } from './routes/bodies.js';
export type { AllocationsView, HostView, ScheduleView } from './routes/views.js';
export * from './service.js';

/** Where the scheduler's checked-in migrations live. */
export const schedulerMigrations = {
  schema: 'scheduler',
  folder: fileURLToPath(new URL('../drizzle', import.meta.url)),
};

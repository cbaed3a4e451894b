import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  serial,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

/** The scheduler's (placement's) tables, in its own Postgres schema. */
export const scheduler = pgSchema('scheduler');

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** One resource provider per host: its id is the host id the agent enrolled with. */
export const providers = scheduler.table('resource_providers', {
  id: text('id').primaryKey(),
  hostname: text('hostname').notNull(),
  address: text('address').notNull(),
  agentVersion: text('agent_version'),
  hypervisor: text('hypervisor').notNull(),
  arch: text('arch').notNull(),
  /** The agent's last reported inventory, as it sent it. */
  inventory: jsonb('inventory').$type<Record<string, unknown>>().notNull(),
  enabled: boolean('enabled').notNull().default(true),
  disabledReason: text('disabled_reason'),
  availabilityZone: text('availability_zone').notNull().default('nova'),
  registeredAt: ts('registered_at').notNull().defaultNow(),
  lastHeartbeatAt: ts('last_heartbeat_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * Inventory per resource class. `used` is the sum of the allocations against
 * it, kept by the same transactions that write allocations: a claim is one
 * conditional UPDATE on it, so two claims can never overcommit.
 */
export const inventories = scheduler.table(
  'inventories',
  {
    providerId: text('provider_id')
      .notNull()
      .references(() => providers.id, { onDelete: 'cascade' }),
    resourceClass: text('resource_class').notNull(),
    total: integer('total').notNull(),
    reserved: integer('reserved').notNull().default(0),
    allocationRatio: doublePrecision('allocation_ratio').notNull().default(1),
    minUnit: integer('min_unit').notNull().default(1),
    maxUnit: integer('max_unit').notNull(),
    stepSize: integer('step_size').notNull().default(1),
    used: integer('used').notNull().default(0),
    /** reserved/allocation_ratio were set by an operator: registration keeps them. */
    overridden: boolean('overridden').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.providerId, t.resourceClass] }),
    check('inventories_used_check', sql`${t.used} >= 0`),
    check('inventories_ratio_check', sql`${t.allocationRatio} > 0`),
  ],
);

/** Traits: `custom` ones come from an operator (PUT traits), the others from registration. */
export const providerTraits = scheduler.table(
  'provider_traits',
  {
    providerId: text('provider_id')
      .notNull()
      .references(() => providers.id, { onDelete: 'cascade' }),
    trait: text('trait').notNull(),
    custom: boolean('custom').notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.providerId, t.trait] })],
);

/**
 * Host aggregates (Nova's os-aggregates): `seq` is the integer id Nova shows;
 * the metadata key `availability_zone` makes the aggregate an availability
 * zone, which then is its hosts' zone.
 */
export const aggregates = scheduler.table('aggregates', {
  id: uuid('id').primaryKey(),
  seq: serial('seq').notNull().unique('aggregates_seq_key'),
  name: text('name').notNull().unique('aggregates_name_key'),
  metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at'),
});

export const aggregateHosts = scheduler.table(
  'aggregate_hosts',
  {
    aggregateId: uuid('aggregate_id')
      .notNull()
      .references(() => aggregates.id, { onDelete: 'cascade' }),
    providerId: text('provider_id')
      .notNull()
      .references(() => providers.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.aggregateId, t.providerId] })],
);

/** One consumer (a server) holds its resources on one provider. */
export const allocations = scheduler.table(
  'allocations',
  {
    consumerId: uuid('consumer_id').notNull(),
    resourceClass: text('resource_class').notNull(),
    providerId: text('provider_id')
      .notNull()
      .references(() => providers.id),
    amount: integer('amount').notNull(),
    projectId: text('project_id').notNull(),
    userId: text('user_id').notNull(),
    groupId: uuid('group_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.consumerId, t.resourceClass] }),
    index('allocations_provider_idx').on(t.providerId),
    index('allocations_group_idx').on(t.groupId),
    check('allocations_amount_check', sql`${t.amount} > 0`),
  ],
);

/** Agent join tokens: only the SHA-256 of the secret is kept. */
export const joinTokens = scheduler.table('join_tokens', {
  hash: text('hash').primaryKey(),
  hostId: text('host_id'),
  expiresAt: ts('expires_at').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

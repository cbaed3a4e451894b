import { sql } from 'drizzle-orm';
import { boolean, index, integer, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { network, standardColumns } from './columns.js';
import { subnets } from './schema.js';

/**
 * Neutron subnet pools (subnet_allocation): a set of prefixes of one IP version from which
 * subnets are carved. `prefixes` is kept normalised (merged, host bits cleared, sorted).
 */
export const subnetpools = network.table(
  'subnetpools',
  {
    ...standardColumns(),
    ipVersion: integer('ip_version').notNull(),
    prefixes: text('prefixes').array().notNull(),
    defaultPrefixlen: integer('default_prefixlen').notNull(),
    minPrefixlen: integer('min_prefixlen').notNull(),
    maxPrefixlen: integer('max_prefixlen').notNull(),
    shared: boolean('shared').notNull().default(false),
    isDefault: boolean('is_default').notNull().default(false),
  },
  (t) => [
    index('subnetpools_project_idx').on(t.projectId),
    // one default pool per IP version
    uniqueIndex('subnetpools_default_uq').on(t.ipVersion).where(sql`${t.isDefault}`),
  ],
);

/**
 * The subnets carved from a pool (one row per subnet; it goes with its subnet). The pool row is
 * locked FOR UPDATE while a subnet is allocated from it or while it is deleted, so allocations
 * never overlap and a pool in use is never deleted.
 */
export const subnetpoolAllocations = network.table(
  'subnetpool_allocations',
  {
    subnetId: text('subnet_id')
      .notNull()
      .references(() => subnets.id, { onDelete: 'cascade' }),
    subnetpoolId: text('subnetpool_id')
      .notNull()
      .references(() => subnetpools.id),
    cidr: text('cidr').notNull(),
  },
  (t) => [primaryKey({ columns: [t.subnetId] }), index('subnetpool_allocations_pool_idx').on(t.subnetpoolId)],
);

export type SubnetpoolRow = typeof subnetpools.$inferSelect;

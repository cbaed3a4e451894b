import { sql } from 'drizzle-orm';
import { integer, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

/** The network service's tables, in its own Postgres schema. Every schema*.ts file uses this object. */
export const network = pgSchema('network');

export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Neutron's "standard attributes", shared by every top-level resource (networks, subnets, ports,
 * security groups and rules, routers, floating IPs): ids are UUID strings, `project_id` is the
 * owner (tenant_id in views), tags are a text array, revision_number grows by one on every change
 * (If-Match: revision_number=N compares against it).
 */
export function standardColumns() {
  return {
    id: text('id').primaryKey(),
    projectId: text('project_id').notNull(),
    name: text('name').notNull().default(''),
    description: text('description').notNull().default(''),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    revisionNumber: integer('revision_number').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  };
}

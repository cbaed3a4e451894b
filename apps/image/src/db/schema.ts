import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/** The image service's tables, in its own Postgres schema. */
export const image = pgSchema('image');

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const images = image.table(
  'images',
  {
    id: text('id').primaryKey(),
    name: text('name'),
    status: text('status').notNull(),
    visibility: text('visibility').notNull(),
    owner: text('owner'),
    protected: boolean('protected').notNull().default(false),
    osHidden: boolean('os_hidden').notNull().default(false),
    minDisk: integer('min_disk').notNull().default(0),
    minRam: integer('min_ram').notNull().default(0),
    diskFormat: text('disk_format'),
    containerFormat: text('container_format'),
    size: bigint('size', { mode: 'number' }),
    virtualSize: bigint('virtual_size', { mode: 'number' }),
    checksum: text('checksum'),
    osHashAlgo: text('os_hash_algo'),
    osHashValue: text('os_hash_value'),
    /** Extra (user) properties: string values only, as Glance. */
    properties: jsonb('properties').$type<Record<string, string | null>>().notNull().default({}),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    /** Set while an upload owns the `saving` status: only that upload may finish it. */
    uploadId: text('upload_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('images_owner_idx').on(t.owner),
    index('images_created_idx').on(t.createdAt, t.id),
    index('images_visibility_idx').on(t.visibility),
  ],
);

export const imageMembers = image.table(
  'image_members',
  {
    imageId: text('image_id')
      .notNull()
      .references(() => images.id, { onDelete: 'cascade' }),
    memberId: text('member_id').notNull(),
    status: text('status').notNull().default('pending'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.imageId, t.memberId] }), index('image_members_member_idx').on(t.memberId)],
);

export type ImageRow = typeof images.$inferSelect;
export type MemberRow = typeof imageMembers.$inferSelect;

/** Metadata definition namespaces (Glance's metadefs catalog). */
export const metadefNamespaces = image.table('metadef_namespaces', {
  namespace: text('namespace').primaryKey(),
  displayName: text('display_name'),
  description: text('description'),
  visibility: text('visibility').notNull().default('private'),
  protected: boolean('protected').notNull().default(false),
  owner: text('owner'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** What a namespace holds: objects, properties, tags and resource type associations, by kind and name. */
export const metadefItems = image.table(
  'metadef_items',
  {
    namespace: text('namespace')
      .notNull()
      .references(() => metadefNamespaces.namespace, { onDelete: 'cascade', onUpdate: 'cascade' }),
    kind: text('kind').notNull(),
    name: text('name').notNull(),
    body: jsonb('body').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.kind, t.name] })],
);

export type MetadefNamespaceRow = typeof metadefNamespaces.$inferSelect;
export type MetadefItemRow = typeof metadefItems.$inferSelect;

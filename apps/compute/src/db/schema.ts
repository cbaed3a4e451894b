import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  real,
  serial,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import type { FlavorSnapshot, ServerFault } from '../domain/server-record.js';

/** The compute service's tables, in its own Postgres schema: the only source of truth for them. */
export const compute = pgSchema('compute');

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const flavors = compute.table('flavors', {
  /** Nova's flavorid: a string (a UUID when the creator gave none). */
  id: text('id').primaryKey(),
  name: text('name').notNull().unique('flavors_name_key'),
  vcpus: integer('vcpus').notNull(),
  ramMb: integer('ram_mb').notNull(),
  diskGb: integer('disk_gb').notNull(),
  ephemeralGb: integer('ephemeral_gb').notNull().default(0),
  swapMb: integer('swap_mb').notNull().default(0),
  rxtxFactor: real('rxtx_factor').notNull().default(1),
  isPublic: boolean('is_public').notNull().default(true),
  description: text('description'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const flavorExtraSpecs = compute.table(
  'flavor_extra_specs',
  {
    flavorId: text('flavor_id')
      .notNull()
      .references(() => flavors.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.flavorId, t.key] })],
);

export const flavorProjects = compute.table(
  'flavor_projects',
  {
    flavorId: text('flavor_id')
      .notNull()
      .references(() => flavors.id, { onDelete: 'cascade' }),
    projectId: text('project_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.flavorId, t.projectId] })],
);

export const keypairs = compute.table(
  'keypairs',
  {
    userId: text('user_id').notNull(),
    name: text('name').notNull(),
    type: text('type').notNull().default('ssh'),
    publicKey: text('public_key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.name] })],
);

export const serverGroups = compute.table(
  'server_groups',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    /** affinity | anti-affinity | soft-affinity | soft-anti-affinity */
    policy: text('policy').notNull(),
    rules: jsonb('rules').$type<Record<string, unknown>>().notNull().default({}),
    projectId: text('project_id').notNull(),
    userId: text('user_id').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('server_groups_project_idx').on(t.projectId)],
);

export const servers = compute.table(
  'servers',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    projectId: text('project_id').notNull(),
    userId: text('user_id').notNull(),
    /** The host (resource provider) the server is on; null until scheduled. */
    host: text('host'),
    /** The flavor as it was at boot (Nova embeds it; a deleted flavor keeps its servers). */
    flavor: jsonb('flavor').$type<FlavorSnapshot>().notNull(),
    /** The flavor before a resize, until it is confirmed or reverted. */
    oldFlavor: jsonb('old_flavor').$type<FlavorSnapshot>(),
    imageId: text('image_id'),
    keyName: text('key_name'),
    keyData: text('key_data'),
    userData: text('user_data'),
    configDrive: boolean('config_drive').notNull().default(false),
    availabilityZone: text('availability_zone'),
    /** Requested networks: 'none' | 'auto' | a JSON list (network issue). */
    networks: jsonb('networks').$type<unknown>().notNull().default(sql`'"none"'::jsonb`),
    /** Nova's `addresses` (network name → IPs), cached from the server's ports (server_interfaces). */
    addresses: jsonb('addresses').$type<Record<string, unknown[]>>().notNull().default({}),
    /** The security groups the server's ports get (names as requested; Nova's `security_groups`). */
    securityGroups: jsonb('security_groups')
      .$type<{ name: string }[]>()
      .notNull()
      .default(sql`'[{"name": "default"}]'::jsonb`),
    vmState: text('vm_state').notNull(),
    taskState: text('task_state'),
    powerState: integer('power_state').notNull().default(0),
    locked: boolean('locked').notNull().default(false),
    lockedBy: text('locked_by'),
    lockedReason: text('locked_reason'),
    fault: jsonb('fault').$type<ServerFault>(),
    description: text('description'),
    hostname: text('hostname').notNull(),
    accessIpv4: text('access_ipv4'),
    accessIpv6: text('access_ipv6'),
    /** OS-DCF:diskConfig: AUTO | MANUAL (recorded and echoed; the root disk is always resized to the flavor). */
    diskConfig: text('disk_config').notNull().default('MANUAL'),
    reservationId: text('reservation_id').notNull(),
    launchIndex: integer('launch_index').notNull().default(0),
    serverGroupId: uuid('server_group_id'),
    progress: integer('progress').notNull().default(0),
    launchedAt: ts('launched_at'),
    terminatedAt: ts('terminated_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    /** Soft delete: a deleted server stays visible to `changes-since` and admin `deleted=true`. */
    deletedAt: ts('deleted_at'),
  },
  (t) => [
    index('servers_project_idx').on(t.projectId, t.createdAt),
    index('servers_updated_idx').on(t.updatedAt),
    index('servers_host_idx').on(t.host),
    index('servers_reservation_idx').on(t.reservationId),
  ],
);

export const serverMetadata = compute.table(
  'server_metadata',
  {
    serverId: uuid('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.serverId, t.key] })],
);

export const serverTags = compute.table(
  'server_tags',
  {
    serverId: uuid('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    tag: text('tag').notNull(),
  },
  (t) => [primaryKey({ columns: [t.serverId, t.tag] }), index('server_tags_tag_idx').on(t.tag)],
);

export const instanceActions = compute.table(
  'instance_actions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    serverId: uuid('server_id').notNull(),
    requestId: text('request_id').notNull(),
    /** create, delete, start, stop, reboot, pause, unpause, suspend, resume, rebuild, resize, confirmResize, revertResize, createImage, lock, unlock, ... */
    action: text('action').notNull(),
    projectId: text('project_id').notNull(),
    userId: text('user_id').notNull(),
    message: text('message'),
    startTime: ts('start_time').notNull().defaultNow(),
    finishTime: ts('finish_time'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    unique('instance_actions_request_key').on(t.serverId, t.requestId),
    index('instance_actions_server_idx').on(t.serverId, t.startTime),
  ],
);

export const instanceActionEvents = compute.table(
  'instance_action_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    actionId: integer('action_id')
      .notNull()
      .references(() => instanceActions.id, { onDelete: 'cascade' }),
    /** e.g. compute_claim, compute_ensure_image, compute_create_disk, compute_start */
    event: text('event').notNull(),
    startTime: ts('start_time').notNull().defaultNow(),
    finishTime: ts('finish_time'),
    /** Success | Error | null while running */
    result: text('result'),
    traceback: text('traceback'),
    host: text('host'),
  },
  (t) => [index('instance_action_events_action_idx').on(t.actionId)],
);

/** Per-project quota limits; a project without a row for a resource gets the configured default. */
export const quotas = compute.table(
  'quotas',
  {
    projectId: text('project_id').notNull(),
    resource: text('resource').notNull(),
    hardLimit: integer('hard_limit').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.resource] })],
);

/** Quota class limits (Nova's os-quota-class-sets): class `default` overrides the configured defaults. */
export const quotaClasses = compute.table(
  'quota_classes',
  {
    className: text('class_name').notNull(),
    resource: text('resource').notNull(),
    hardLimit: integer('hard_limit').notNull(),
  },
  (t) => [primaryKey({ columns: [t.className, t.resource] })],
);

/**
 * Moves of a server between flavors or hosts (os-migrations): one row per
 * resize / migration, written by the task that does it (`taskId` keeps a
 * retried task to one row). status: migrating → finished → confirmed |
 * reverted, or error.
 */
export const migrations = compute.table(
  'migrations',
  {
    id: serial('id').primaryKey(),
    uuid: uuid('uuid').notNull().unique('migrations_uuid_key'),
    taskId: uuid('task_id').unique('migrations_task_key'),
    serverId: uuid('server_id').notNull(),
    projectId: text('project_id').notNull(),
    userId: text('user_id').notNull(),
    /** resize | migration | live-migration | evacuation */
    migrationType: text('migration_type').notNull(),
    status: text('status').notNull(),
    sourceCompute: text('source_compute'),
    destCompute: text('dest_compute'),
    oldFlavorId: text('old_flavor_id'),
    newFlavorId: text('new_flavor_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at'),
  },
  (t) => [index('migrations_server_idx').on(t.serverId, t.createdAt)],
);

/**
 * The transactional outbox for server tasks: the API writes a row in the same
 * transaction that changes the server's task_state, then enqueues a BullMQ job
 * with id `server-task:<id>`. A reconciler re-enqueues rows left pending (Redis lost, crash).
 */
export const serverTasks = compute.table(
  'server_tasks',
  {
    id: uuid('id').primaryKey(),
    serverId: uuid('server_id').notNull(),
    /** A ServerTaskKind (domain/tasks.ts). */
    kind: text('kind').notNull(),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    requestId: text('request_id').notNull(),
    /** The instance action this task reports its events to. */
    actionId: integer('action_id'),
    /** pending | running | done | failed */
    state: text('state').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('server_tasks_state_idx').on(t.state, t.createdAt).where(sql`state IN ('pending', 'running')`),
    index('server_tasks_server_idx').on(t.serverId),
  ],
);

/**
 * A server's network interfaces: one Neutron port each. `createdByNova` ports
 * are deleted with the server (or the interface); the others (given by the
 * user) are only unbound. `portReleased` is set once the port was deleted or
 * unbound while the row waits for the host's VIF to go (a host that is down).
 */
export const serverInterfaces = compute.table(
  'server_interfaces',
  {
    serverId: uuid('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    portId: text('port_id').notNull(),
    networkId: text('network_id').notNull(),
    mac: text('mac').notNull(),
    createdByNova: boolean('created_by_nova').notNull(),
    tag: text('tag'),
    /** The NIC's place in the guest (requested order; attached ones after). */
    position: integer('position').notNull(),
    portReleased: boolean('port_released').notNull().default(false),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.serverId, t.portId] }), index('server_interfaces_port_idx').on(t.portId)],
);

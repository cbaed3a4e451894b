import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';

/** The identity service's tables, in its own Postgres schema. The only source of truth for them. */
export const identity = pgSchema('identity');

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const extra = () => jsonb('extra').$type<Record<string, unknown>>().notNull().default({});

export const domains = identity.table('domains', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique('domains_name_key'),
  description: text('description').notNull().default(''),
  enabled: boolean('enabled').notNull().default(true),
  tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
  extra: extra(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const projects = identity.table(
  'projects',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    domainId: text('domain_id')
      .notNull()
      .references(() => domains.id),
    parentId: text('parent_id'),
    description: text('description').notNull().default(''),
    enabled: boolean('enabled').notNull().default(true),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
    extra: extra(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('projects_domain_name_key').on(t.domainId, t.name),
    index('projects_parent_idx').on(t.parentId),
  ],
);

export const users = identity.table(
  'users',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    domainId: text('domain_id')
      .notNull()
      .references(() => domains.id),
    enabled: boolean('enabled').notNull().default(true),
    defaultProjectId: text('default_project_id'),
    description: text('description'),
    passwordHash: text('password_hash'),
    passwordCreatedAt: ts('password_created_at'),
    passwordExpiresAt: ts('password_expires_at'),
    failedAuthCount: integer('failed_auth_count').notNull().default(0),
    lockedUntil: ts('locked_until'),
    lastActiveAt: ts('last_active_at'),
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
    extra: extra(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [unique('users_domain_name_key').on(t.domainId, t.name)],
);

export const groups = identity.table(
  'groups',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    domainId: text('domain_id')
      .notNull()
      .references(() => domains.id),
    description: text('description').notNull().default(''),
    extra: extra(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [unique('groups_domain_name_key').on(t.domainId, t.name)],
);

export const userGroups = identity.table(
  'user_groups',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.groupId] }), index('user_groups_group_idx').on(t.groupId)],
);

export const roles = identity.table(
  'roles',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** null: a global role; else a domain-specific role. */
    domainId: text('domain_id'),
    description: text('description'),
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
    extra: extra(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [unique('roles_name_domain_key').on(t.name, t.domainId).nullsNotDistinct()],
);

export const impliedRoles = identity.table(
  'implied_roles',
  {
    priorRoleId: text('prior_role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    impliedRoleId: text('implied_role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.priorRoleId, t.impliedRoleId] })],
);

/** Role assignments: (user|group) has role on (project|domain|system). */
export const assignments = identity.table(
  'assignments',
  {
    actorType: text('actor_type').$type<'user' | 'group'>().notNull(),
    actorId: text('actor_id').notNull(),
    targetType: text('target_type').$type<'project' | 'domain' | 'system'>().notNull(),
    /** project or domain id; 'all' for the system. */
    targetId: text('target_id').notNull(),
    roleId: text('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    inherited: boolean('inherited').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.actorType, t.actorId, t.targetType, t.targetId, t.roleId, t.inherited] }),
    index('assignments_actor_idx').on(t.actorId),
    index('assignments_target_idx').on(t.targetId),
    index('assignments_role_idx').on(t.roleId),
  ],
);

export const regions = identity.table('regions', {
  id: text('id').primaryKey(),
  description: text('description').notNull().default(''),
  parentRegionId: text('parent_region_id'),
  extra: extra(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const services = identity.table('services', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  name: text('name'),
  description: text('description'),
  enabled: boolean('enabled').notNull().default(true),
  extra: extra(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const endpoints = identity.table(
  'endpoints',
  {
    id: text('id').primaryKey(),
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
    interface: text('interface').$type<'public' | 'internal' | 'admin'>().notNull(),
    url: text('url').notNull(),
    regionId: text('region_id'),
    enabled: boolean('enabled').notNull().default(true),
    extra: extra(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('endpoints_service_idx').on(t.serviceId)],
);

export const applicationCredentials = identity.table(
  'application_credentials',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    projectId: text('project_id').notNull(),
    secretHash: text('secret_hash').notNull(),
    description: text('description'),
    expiresAt: ts('expires_at'),
    unrestricted: boolean('unrestricted').notNull().default(false),
    roles: jsonb('roles').$type<{ id: string; name: string }[]>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [unique('app_creds_user_name_key').on(t.userId, t.name)],
);

/** Access rules (service, path, method) a user's application credentials may be limited to. */
export const accessRules = identity.table(
  'access_rules',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    service: text('service').notNull(),
    path: text('path').notNull(),
    method: text('method').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [unique('access_rules_user_rule_key').on(t.userId, t.service, t.path, t.method)],
);

/** Which access rules an application credential is limited to. A rule in use cannot be deleted. */
export const applicationCredentialAccessRules = identity.table(
  'application_credential_access_rules',
  {
    applicationCredentialId: text('application_credential_id').notNull(),
    accessRuleId: text('access_rule_id').notNull(),
  },
  (t) => [
    primaryKey({ name: 'app_cred_access_rules_pk', columns: [t.applicationCredentialId, t.accessRuleId] }),
    foreignKey({
      name: 'app_cred_access_rules_cred_fk',
      columns: [t.applicationCredentialId],
      foreignColumns: [applicationCredentials.id],
    }).onDelete('cascade'),
    // NO ACTION (checked at the end of the statement): a rule in use cannot be deleted, yet deleting a
    // user removes its credentials and rules in one cascade whatever the order
    foreignKey({
      name: 'app_cred_access_rules_rule_fk',
      columns: [t.accessRuleId],
      foreignColumns: [accessRules.id],
    }).onDelete('no action'),
    index('app_cred_access_rules_rule_idx').on(t.accessRuleId),
  ],
);

export const credentials = identity.table(
  'credentials',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    projectId: text('project_id'),
    type: text('type').notNull(),
    blob: text('blob').notNull(),
    extra: extra(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('credentials_user_idx').on(t.userId)],
);

/** Token revocation events; the source of truth that Redis fans out. */
export const revocationEvents = identity.table(
  'revocation_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    event: jsonb('event').$type<Record<string, unknown>>().notNull(),
    issuedBefore: ts('issued_before').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('revocation_events_issued_before_idx').on(t.issuedBefore)],
);

/** Domain-specific configuration (/v3/domains/{id}/config): group → option → value. */
export const domainConfigs = identity.table(
  'domain_configs',
  {
    domainId: text('domain_id')
      .notNull()
      .references(() => domains.id, { onDelete: 'cascade' }),
    group: text('group').notNull(),
    option: text('option').notNull(),
    value: jsonb('value').notNull(),
    /** Sensitive options (e.g. ldap password) are stored but never returned. */
    sensitive: boolean('sensitive').notNull().default(false),
  },
  (t) => [primaryKey({ name: 'domain_configs_pk', columns: [t.domainId, t.group, t.option] })],
);

/** Policy blobs (/v3/policies): stored and served, as Keystone does; Kumo enforces its own policy engine. */
export const policies = identity.table('policies', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  blob: text('blob').notNull(),
  extra: extra(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** OAuth 1.0a consumers (/v3/OS-OAUTH1/consumers). */
export const oauthConsumers = identity.table('oauth_consumers', {
  id: text('id').primaryKey(),
  description: text('description'),
  secretHash: text('secret_hash').notNull(),
  extra: extra(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** Endpoint groups (OS-EP-FILTER): a filter over endpoints, associated with projects. */
export const endpointGroups = identity.table('endpoint_groups', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description'),
  filters: jsonb('filters').$type<Record<string, string>>().notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const projectEndpointGroups = identity.table(
  'project_endpoint_groups',
  {
    endpointGroupId: text('endpoint_group_id')
      .notNull()
      .references(() => endpointGroups.id, { onDelete: 'cascade' }),
    projectId: text('project_id').notNull(),
  },
  (t) => [primaryKey({ name: 'project_endpoint_groups_pk', columns: [t.endpointGroupId, t.projectId] })],
);

export const projectEndpoints = identity.table(
  'project_endpoints',
  {
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => endpoints.id, { onDelete: 'cascade' }),
    projectId: text('project_id').notNull(),
  },
  (t) => [primaryKey({ name: 'project_endpoints_pk', columns: [t.endpointId, t.projectId] })],
);

/** OS-TRUST: a trustor delegates roles on a project to a trustee. */
export const trusts = identity.table(
  'trusts',
  {
    id: text('id').primaryKey(),
    trustorUserId: text('trustor_user_id').notNull(),
    trusteeUserId: text('trustee_user_id').notNull(),
    projectId: text('project_id'),
    impersonation: boolean('impersonation').notNull(),
    expiresAt: ts('expires_at'),
    /** null: unlimited. */
    remainingUses: integer('remaining_uses'),
    allowRedelegation: boolean('allow_redelegation').notNull().default(false),
    redelegationCount: integer('redelegation_count'),
    redelegatedTrustId: text('redelegated_trust_id'),
    extra: extra(),
    createdAt: ts('created_at').notNull().defaultNow(),
    deletedAt: ts('deleted_at'),
  },
  (t) => [index('trusts_trustor_idx').on(t.trustorUserId), index('trusts_trustee_idx').on(t.trusteeUserId)],
);

export const trustRoles = identity.table(
  'trust_roles',
  {
    trustId: text('trust_id')
      .notNull()
      .references(() => trusts.id, { onDelete: 'cascade' }),
    roleId: text('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ name: 'trust_roles_pk', columns: [t.trustId, t.roleId] })],
);

/** Earlier password hashes, for KUMO_PASSWORD_UNIQUE_LAST_COUNT (security compliance). */
export const passwordHistory = identity.table(
  'password_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    passwordHash: text('password_hash').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('password_history_user_idx').on(t.userId, t.createdAt)],
);

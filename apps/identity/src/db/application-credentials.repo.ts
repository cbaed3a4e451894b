import type { RoleRef } from '@kumo/service-kit';
import { and, eq, getTableColumns, inArray, ne, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import { newId } from '../domain/ids.js';
import { storable } from './regions.repo.js';
import { applicationCredentials, roles } from './schema.js';
import { textArray } from './sql-helpers.js';

export interface AccessRule {
  id: string;
  service: string;
  path: string;
  method: string;
}

/**
 * Access rules belong to the user and outlive the application credentials that
 * use them (Keystone keeps them until the user deletes them). Each application
 * credential row carries its rules; rules whose credentials are all gone stay
 * in one "holder" row per user, named '' (a name no credential can have),
 * whose secret never verifies and which is expired since 1970.
 */
const HOLDER_NAME = '';

const t = applicationCredentials;
const columns = {
  ...getTableColumns(t),
  /** expires_at as Keystone prints it, to the microsecond (a JS Date keeps milliseconds only). */
  expiresText: sql<string | null>`to_char(${t.expiresAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
};
export type AppCredRow = typeof t.$inferSelect & { expiresText: string | null };

export async function listAppCreds(db: Db, userId: string, name?: string): Promise<AppCredRow[]> {
  if (!storable(userId) || (name !== undefined && !storable(name))) return [];
  const where: SQL[] = [eq(t.userId, userId), ne(t.name, HOLDER_NAME)];
  if (name !== undefined) where.push(eq(t.name, name));
  return db
    .select(columns)
    .from(t)
    .where(and(...where))
    .orderBy(t.name);
}

export async function getAppCred(db: Db, id: string): Promise<AppCredRow | undefined> {
  if (!storable(id)) return undefined;
  const [row] = await db
    .select(columns)
    .from(t)
    .where(and(eq(t.id, id), ne(t.name, HOLDER_NAME)))
    .limit(1);
  return row;
}

export interface NewAppCred {
  name: string;
  userId: string;
  projectId: string;
  secretHash: string;
  description: string | null;
  /** ISO 8601 with an explicit offset; Postgres keeps its microseconds. */
  expiresAt: string | null;
  unrestricted: boolean;
  roles: RoleRef[];
  accessRules: AccessRule[];
}

/** Insert; a duplicate name for the user surfaces as the unique violation. */
export async function insertAppCred(db: Db, v: NewAppCred): Promise<AppCredRow> {
  const [row] = await db
    .insert(t)
    .values({
      id: newId(),
      name: v.name,
      userId: v.userId,
      projectId: v.projectId,
      secretHash: v.secretHash,
      description: v.description,
      expiresAt: v.expiresAt === null ? null : sql`${v.expiresAt}::timestamptz`,
      unrestricted: v.unrestricted,
      roles: v.roles,
      accessRules: v.accessRules as unknown as Record<string, unknown>[],
    })
    .returning(columns);
  return row!;
}

/** Delete a credential; its access rules move to the user's holder row. */
export async function deleteAppCred(db: Db, row: AppCredRow): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(t).where(eq(t.id, row.id));
    if (row.accessRules.length === 0) return;
    await tx
      .insert(t)
      .values({
        id: newId(),
        name: HOLDER_NAME,
        userId: row.userId,
        projectId: '',
        secretHash: '!',
        description: 'Access rules no application credential uses any more.',
        expiresAt: new Date(0),
        unrestricted: false,
        roles: [],
        accessRules: row.accessRules,
      })
      .onConflictDoUpdate({
        target: [t.userId, t.name],
        set: {
          accessRules: sql`(SELECT coalesce(jsonb_agg(DISTINCT r), '[]'::jsonb)
            FROM jsonb_array_elements(identity.application_credentials.access_rules || excluded.access_rules) r)`,
        },
      });
  });
}

/** The user's access rules, and the ids some live application credential uses. */
export async function userAccessRules(
  db: Db,
  userId: string,
): Promise<{ rules: AccessRule[]; inUse: Set<string> }> {
  if (!storable(userId)) return { rules: [], inUse: new Set() };
  const rows = await db
    .select({ name: t.name, accessRules: t.accessRules })
    .from(t)
    .where(eq(t.userId, userId));
  const byId = new Map<string, AccessRule>();
  const inUse = new Set<string>();
  for (const r of rows)
    for (const rule of r.accessRules as unknown as AccessRule[]) {
      if (!byId.has(rule.id)) byId.set(rule.id, rule);
      if (r.name !== HOLDER_NAME) inUse.add(rule.id);
    }
  return { rules: [...byId.values()], inUse };
}

/** Drop an access rule no credential uses from the user's holder row. */
export async function deleteHeldAccessRule(db: Db, userId: string, ruleId: string): Promise<void> {
  await db
    .update(t)
    .set({
      accessRules: sql`(SELECT coalesce(jsonb_agg(r), '[]'::jsonb)
        FROM jsonb_array_elements(${t.accessRules}) r WHERE r->>'id' <> ${ruleId})`,
    })
    .where(and(eq(t.userId, userId), eq(t.name, HOLDER_NAME)));
}

/** A global role by name (Keystone's get_unique_role_by_name), else any role of that name. */
export async function roleByName(db: Db, name: string): Promise<RoleRef | undefined> {
  if (!storable(name)) return undefined;
  const rows = await db
    .select({ id: roles.id, name: roles.name, domainId: roles.domainId })
    .from(roles)
    .where(eq(roles.name, name));
  const pick = rows.find((r) => r.domainId === null) ?? (rows.length === 1 ? rows[0] : undefined);
  return pick ? { id: pick.id, name: pick.name } : undefined;
}

/** The roles and every role they imply, transitively. */
export async function withImpliedRoles(db: Db, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const res = await db.execute<{ id: string }>(sql`
    WITH RECURSIVE all_roles(role_id) AS (
      SELECT unnest(${textArray(ids)})
      UNION
      SELECT ir.implied_role_id FROM identity.implied_roles ir JOIN all_roles ar ON ir.prior_role_id = ar.role_id
    )
    SELECT role_id AS id FROM all_roles`);
  return res.rows.map((r) => r.id);
}

/** domain_id of each role (null for global roles), for the credential view. */
export async function roleDomains(db: Db, ids: string[]): Promise<Map<string, string | null>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: roles.id, domainId: roles.domainId })
    .from(roles)
    .where(inArray(roles.id, [...new Set(ids)]));
  return new Map(rows.map((r) => [r.id, r.domainId]));
}

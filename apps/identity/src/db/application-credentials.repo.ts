import { isForeignKeyViolation } from '@kumo/db';
import { notFound, type RoleRef } from '@kumo/service-kit';
import { and, eq, getTableColumns, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import { newId } from '../domain/ids.js';
import { storable } from './regions.repo.js';
import { accessRules, applicationCredentialAccessRules, applicationCredentials, roles } from './schema.js';
import { textArray } from './sql-helpers.js';

export interface AccessRule {
  id: string;
  service: string;
  path: string;
  method: string;
}

/** An access rule as a request names it: by id, by service/path/method, or both. */
export interface WantedRule {
  id?: string;
  service?: string;
  path?: string;
  method?: string;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const t = applicationCredentials;
const ar = accessRules;
const link = applicationCredentialAccessRules;
const columns = {
  ...getTableColumns(t),
  /** expires_at as Keystone prints it, to the microsecond (a JS Date keeps milliseconds only). */
  expiresText: sql<string | null>`to_char(${t.expiresAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
};
const ruleColumns = { id: ar.id, service: ar.service, path: ar.path, method: ar.method };

type AppCredBase = typeof t.$inferSelect & { expiresText: string | null };
/** A credential with the access rules it is limited to. */
export type AppCredRow = AppCredBase & { accessRules: AccessRule[] };

/** The access rules of each credential. */
async function rulesOf(db: Db | Tx, credIds: string[]): Promise<Map<string, AccessRule[]>> {
  const out = new Map<string, AccessRule[]>(credIds.map((id) => [id, []]));
  if (credIds.length === 0) return out;
  const rows = await db
    .select({ credId: link.applicationCredentialId, ...ruleColumns })
    .from(link)
    .innerJoin(ar, eq(ar.id, link.accessRuleId))
    .where(inArray(link.applicationCredentialId, credIds))
    .orderBy(ar.createdAt, ar.id);
  for (const { credId, ...rule } of rows) out.get(credId)?.push(rule);
  return out;
}

async function withRules(db: Db, rows: AppCredBase[]): Promise<AppCredRow[]> {
  const rules = await rulesOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...r, accessRules: rules.get(r.id) ?? [] }));
}

export async function listAppCreds(db: Db, userId: string, name?: string): Promise<AppCredRow[]> {
  if (!storable(userId) || (name !== undefined && !storable(name))) return [];
  const where: SQL[] = [eq(t.userId, userId)];
  if (name !== undefined) where.push(eq(t.name, name));
  const rows = await db
    .select(columns)
    .from(t)
    .where(and(...where))
    .orderBy(t.name);
  return withRules(db, rows);
}

export async function getAppCred(db: Db, id: string): Promise<AppCredRow | undefined> {
  if (!storable(id)) return undefined;
  const rows = await db.select(columns).from(t).where(eq(t.id, id)).limit(1);
  const [row] = await withRules(db, rows);
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
  /** Each names a rule of the user by id, or by service/path/method (made when the user has none). */
  accessRules: WantedRule[];
}

const ruleNotFound = (id: string) => notFound('Access Rule', id, 'AccessRuleNotFound');

/**
 * The user's rule a request names, as Keystone finds it: by id (another user's
 * rule is not found), else by service/path/method, else a new rule (with the
 * requested id, if any).
 */
async function resolveRule(tx: Tx, userId: string, w: WantedRule): Promise<AccessRule> {
  if (w.id !== undefined) {
    const [byId] = await tx
      .select({ ...ruleColumns, userId: ar.userId })
      .from(ar)
      .where(eq(ar.id, w.id))
      .limit(1);
    if (byId) {
      if (byId.userId !== userId) throw ruleNotFound(w.id);
      const { userId: _owner, ...rule } = byId;
      return rule;
    }
  }
  const { service, path, method } = w;
  if (service === undefined || path === undefined || method === undefined) throw ruleNotFound(w.id ?? '');
  const [made] = await tx
    .insert(ar)
    .values({ id: w.id ?? newId(), userId, service, path, method })
    .onConflictDoNothing({ target: [ar.userId, ar.service, ar.path, ar.method] })
    .returning(ruleColumns);
  if (made) return made;
  const [same] = await tx
    .select(ruleColumns)
    .from(ar)
    .where(and(eq(ar.userId, userId), eq(ar.service, service), eq(ar.path, path), eq(ar.method, method)))
    .limit(1);
  // a concurrent request made it (visible once committed); absent only if also deleted meanwhile
  if (!same) throw ruleNotFound(w.id ?? `${service} ${method} ${path}`);
  return same;
}

/**
 * Insert a credential and link its access rules, in one transaction; a duplicate
 * name for the user surfaces as the unique violation.
 */
export async function insertAppCred(db: Db, v: NewAppCred): Promise<AppCredRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx
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
      })
      .returning(columns);
    const rules = new Map<string, AccessRule>();
    for (const w of v.accessRules) {
      const rule = await resolveRule(tx, v.userId, w);
      rules.set(rule.id, rule);
    }
    if (rules.size > 0)
      await tx
        .insert(link)
        .values(
          [...rules.keys()].map((accessRuleId) => ({ applicationCredentialId: row!.id, accessRuleId })),
        );
    return { ...row!, accessRules: [...rules.values()] };
  });
}

/** Delete a credential; its access rules stay with the user (only the links go). */
export async function deleteAppCred(db: Db, id: string): Promise<void> {
  await db.delete(t).where(eq(t.id, id));
}

export interface RuleFilter {
  service?: string;
  path?: string;
  method?: string;
}

/** The user's access rules, optionally filtered by service, path and method. */
export async function listAccessRules(db: Db, userId: string, f: RuleFilter = {}): Promise<AccessRule[]> {
  const values = [userId, f.service, f.path, f.method];
  if (values.some((x) => x !== undefined && !storable(x))) return [];
  const where: SQL[] = [eq(ar.userId, userId)];
  if (f.service !== undefined) where.push(eq(ar.service, f.service));
  if (f.path !== undefined) where.push(eq(ar.path, f.path));
  if (f.method !== undefined) where.push(eq(ar.method, f.method));
  return db
    .select(ruleColumns)
    .from(ar)
    .where(and(...where))
    .orderBy(ar.createdAt, ar.id);
}

export async function getAccessRule(db: Db, userId: string, id: string): Promise<AccessRule | undefined> {
  if (!storable(userId) || !storable(id)) return undefined;
  const [rule] = await db
    .select(ruleColumns)
    .from(ar)
    .where(and(eq(ar.id, id), eq(ar.userId, userId)))
    .limit(1);
  return rule;
}

/** Delete one of the user's access rules: 'missing' if it has none by that id, 'in_use' while a credential uses it. */
export async function deleteAccessRule(
  db: Db,
  userId: string,
  id: string,
): Promise<'deleted' | 'missing' | 'in_use'> {
  if (!storable(userId) || !storable(id)) return 'missing';
  try {
    const gone = await db
      .delete(ar)
      .where(and(eq(ar.id, id), eq(ar.userId, userId)))
      .returning({ id: ar.id });
    return gone.length > 0 ? 'deleted' : 'missing';
  } catch (err) {
    if (isForeignKeyViolation(err)) return 'in_use';
    throw err;
  }
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

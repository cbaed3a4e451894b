import { and, eq, getTableColumns, isNull, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import { newId } from '../domain/ids.js';
import type { RoleRow } from './roles.repo.js';
import { roles, trustRoles, trusts } from './schema.js';
import { textArray } from './sql-helpers.js';

const t = trusts;
const columns = {
  ...getTableColumns(t),
  /** expires_at as Keystone prints it (microseconds, Z); a JS Date keeps milliseconds only. */
  expiresText: sql<
    string | null
  >`to_char(${t.expiresAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
};

export type TrustRow = typeof t.$inferSelect & { expiresText: string | null };
/** A trust with the ids of the roles it delegates. */
export type TrustWithRoles = TrustRow & { roleIds: string[] };

/** Keystone's get_trust: a deleted, expired or used-up trust is not found. */
const live = (): SQL =>
  sql`${t.deletedAt} IS NULL AND (${t.expiresAt} IS NULL OR ${t.expiresAt} > now())
      AND (${t.remainingUses} IS NULL OR ${t.remainingUses} > 0)`;

/** Postgres text cannot hold NUL: such an id names nothing. */
const usable = (id: string) => id.length > 0 && id.length <= 64 && !id.includes('\u0000');

export async function getLiveTrust(db: Db, id: string): Promise<TrustWithRoles | undefined> {
  if (!usable(id)) return undefined;
  const [row] = await db
    .select(columns)
    .from(t)
    .where(and(eq(t.id, id), live()))
    .limit(1);
  if (!row) return undefined;
  const links = await db
    .select({ roleId: trustRoles.roleId })
    .from(trustRoles)
    .where(eq(trustRoles.trustId, id));
  return { ...row, roleIds: links.map((l) => l.roleId) };
}

/** Trusts not deleted (expired ones included, as Keystone lists them). */
export async function listTrusts(
  db: Db,
  filter: { trustorUserId?: string; trusteeUserId?: string },
): Promise<TrustRow[]> {
  const where: SQL[] = [isNull(t.deletedAt)];
  for (const v of [filter.trustorUserId, filter.trusteeUserId]) if (v !== undefined && !usable(v)) return [];
  if (filter.trustorUserId !== undefined) where.push(eq(t.trustorUserId, filter.trustorUserId));
  if (filter.trusteeUserId !== undefined) where.push(eq(t.trusteeUserId, filter.trusteeUserId));
  return db
    .select(columns)
    .from(t)
    .where(and(...where))
    .orderBy(t.createdAt, t.id);
}

/** The roles a trust delegates, as role rows (a role deleted since is gone from the trust too). */
export async function rolesOfTrust(db: Db, trustId: string): Promise<RoleRow[]> {
  const rows = await db
    .select({ role: roles })
    .from(trustRoles)
    .innerJoin(roles, eq(roles.id, trustRoles.roleId))
    .where(eq(trustRoles.trustId, trustId))
    .orderBy(roles.name);
  return rows.map((r) => r.role);
}

export interface NewTrust {
  trustorUserId: string;
  trusteeUserId: string;
  projectId: string | null;
  impersonation: boolean;
  /** ISO time with offset, or null. */
  expiresAt: string | null;
  remainingUses: number | null;
  redelegationCount: number;
  redelegatedTrustId: string | null;
  extra: Record<string, unknown>;
  roleIds: string[];
}

export async function insertTrust(db: Db, v: NewTrust): Promise<TrustWithRoles> {
  return db.transaction(async (tx) => {
    const id = newId();
    const [row] = await tx
      .insert(t)
      .values({
        id,
        trustorUserId: v.trustorUserId,
        trusteeUserId: v.trusteeUserId,
        projectId: v.projectId,
        impersonation: v.impersonation,
        expiresAt: v.expiresAt === null ? null : sql`${v.expiresAt}::timestamptz`,
        remainingUses: v.remainingUses,
        allowRedelegation: v.redelegationCount > 0,
        redelegationCount: v.redelegationCount,
        redelegatedTrustId: v.redelegatedTrustId,
        extra: v.extra,
      })
      .returning(columns);
    if (v.roleIds.length > 0)
      await tx.insert(trustRoles).values(v.roleIds.map((roleId) => ({ trustId: id, roleId })));
    return { ...row!, roleIds: v.roleIds };
  });
}

/**
 * Soft-delete a trust and, recursively, the trusts redelegated from it (as
 * Keystone); returns the ids deleted now.
 */
export async function deleteTrustTree(db: Db, id: string): Promise<string[]> {
  const res = await db.execute<{ id: string }>(sql`
    WITH RECURSIVE tree(id, depth) AS (
      SELECT id, 0 FROM identity.trusts WHERE id = ${id} AND deleted_at IS NULL
      UNION
      SELECT c.id, tree.depth + 1 FROM identity.trusts c JOIN tree ON c.redelegated_trust_id = tree.id
      WHERE c.deleted_at IS NULL AND tree.depth < 64
    )
    UPDATE identity.trusts SET deleted_at = now()
    WHERE id IN (SELECT id FROM tree) AND deleted_at IS NULL RETURNING id`);
  return res.rows.map((r) => r.id);
}

/** The trust and the trusts it was redelegated from, nearest first (deleted ones included). */
export async function trustPedigree(db: Db, id: string): Promise<TrustWithRoles[]> {
  const res = await db.execute<{ id: string }>(sql`
    WITH RECURSIVE up(id, parent, depth) AS (
      SELECT id, redelegated_trust_id, 0 FROM identity.trusts WHERE id = ${id}
      UNION ALL
      SELECT p.id, p.redelegated_trust_id, up.depth + 1 FROM identity.trusts p JOIN up ON p.id = up.parent
      WHERE up.depth < 64
    )
    SELECT id FROM up ORDER BY depth`);
  const out: TrustWithRoles[] = [];
  for (const { id: tid } of res.rows) {
    const [row] = await db.select(columns).from(t).where(eq(t.id, tid)).limit(1);
    if (!row) continue;
    const links = await db
      .select({ roleId: trustRoles.roleId })
      .from(trustRoles)
      .where(eq(trustRoles.trustId, tid));
    out.push({ ...row, roleIds: links.map((l) => l.roleId) });
  }
  return out;
}

/**
 * Use a trust once: decrement remaining_uses if it is limited. False when a
 * concurrent request took the last use (or the trust went away meanwhile).
 */
export async function consumeTrustUse(db: Db, id: string): Promise<boolean> {
  const res = await db.execute<{ id: string }>(sql`
    UPDATE identity.trusts SET remaining_uses = remaining_uses - 1
    WHERE id = ${id} AND deleted_at IS NULL AND (remaining_uses IS NULL OR remaining_uses > 0)
    RETURNING id`);
  return res.rows.length === 1;
}

/** The trust's roles and every role they imply, transitively, with their domain (null: global). */
export async function trustRoleClosure(
  db: Db,
  trustId: string,
): Promise<{ id: string; name: string; domainId: string | null }[]> {
  const res = await db.execute<{ id: string; name: string; domain_id: string | null }>(sql`
    WITH RECURSIVE all_roles(role_id) AS (
      SELECT role_id FROM identity.trust_roles WHERE trust_id = ${trustId}
      UNION
      SELECT ir.implied_role_id FROM identity.implied_roles ir JOIN all_roles ar ON ir.prior_role_id = ar.role_id
    )
    SELECT r.id, r.name, r.domain_id FROM identity.roles r JOIN all_roles ar ON r.id = ar.role_id ORDER BY r.name`);
  return res.rows.map((r) => ({ id: r.id, name: r.name, domainId: r.domain_id }));
}

/**
 * Soft-delete every live trust a user is party to (as trustor or trustee) or that
 * delegates roles on one of the given projects — Keystone drops them with their
 * user or project. Their tokens are already revoked by the user/project event.
 */
export async function deleteTrustsOf(
  db: Db,
  of: { userIds?: string[]; projectIds?: string[] },
): Promise<void> {
  const userIds = of.userIds ?? [];
  const projectIds = of.projectIds ?? [];
  if (userIds.length === 0 && projectIds.length === 0) return;
  await db.execute(sql`
    UPDATE identity.trusts SET deleted_at = now()
    WHERE deleted_at IS NULL
      AND (trustor_user_id = ANY(${textArray(userIds)}) OR trustee_user_id = ANY(${textArray(userIds)})
        OR project_id = ANY(${textArray(projectIds)}))`);
}

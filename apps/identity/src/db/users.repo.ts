import { invalid } from '@kumo/service-kit';
import {
  and,
  desc,
  eq,
  gt,
  gte,
  ilike,
  inArray,
  like,
  lt,
  lte,
  ne,
  notInArray,
  type SQL,
  sql,
} from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Db, IdentityContext } from '../context.js';
import { hashPassword } from '../domain/passwords.js';
import { q, qBool } from '../http/views.js';
import type { UserRow } from './lookups.js';
import { assignments, passwordHistory, userGroups, users } from './schema.js';
import { deleteTrustsOf } from './trusts.repo.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const TIME_OPS = { lt, lte, gt, gte, eq, neq: ne } as const;
type TimeOp = keyof typeof TIME_OPS;

/** Keystone's `password_expires_at={op}:{timestamp}` filter (op defaults to eq). */
function passwordExpiryFilter(raw: string): SQL {
  const m = /^(lt|lte|gt|gte|eq|neq):(.*)$/.exec(raw);
  const op: TimeOp = m ? (m[1] as TimeOp) : 'eq';
  const text = m ? m[2]! : raw;
  const when = /^\d{4}-\d{2}-\d{2}/.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(when.getTime()))
    throw invalid(
      `Invalid input for field 'password_expires_at': expected {operator}:{timestamp}, got '${raw.slice(0, 64)}'.`,
      'ValidationError',
    );
  return TIME_OPS[op](users.passwordExpiresAt, when);
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Keystone's filters on user lists. */
export interface UserFilters {
  name?: string;
  domainId?: string;
  enabled?: boolean;
  /** `{op}:{timestamp}`, as in the query string. */
  passwordExpiresAt?: string;
  /** Inexact name filters: name__contains, name__istartswith, ... */
  nameLike?: { form: 'contains' | 'startswith' | 'endswith'; folded: boolean; value: string }[];
}

/** The user filters of a list request's query string. */
export function userFiltersOf(req: FastifyRequest): UserFilters {
  const nameLike: NonNullable<UserFilters['nameLike']> = [];
  for (const form of ['contains', 'startswith', 'endswith'] as const) {
    const exact = q(req, `name__${form}`);
    if (exact !== undefined) nameLike.push({ form, folded: false, value: exact });
    const folded = q(req, `name__i${form}`);
    if (folded !== undefined) nameLike.push({ form, folded: true, value: folded });
  }
  return {
    name: q(req, 'name'),
    domainId: q(req, 'domain_id'),
    enabled: qBool(req, 'enabled'),
    passwordExpiresAt: q(req, 'password_expires_at'),
    nameLike,
  };
}

export function userFilterSql(f: UserFilters): SQL[] {
  const where: SQL[] = [];
  if (f.name !== undefined) where.push(eq(users.name, f.name));
  if (f.domainId !== undefined) where.push(eq(users.domainId, f.domainId));
  if (f.enabled !== undefined) where.push(eq(users.enabled, f.enabled));
  if (f.passwordExpiresAt !== undefined) where.push(passwordExpiryFilter(f.passwordExpiresAt));
  for (const { form, folded, value } of f.nameLike ?? []) {
    const v = escapeLike(value);
    const pattern = form === 'contains' ? `%${v}%` : form === 'startswith' ? `${v}%` : `%${v}`;
    where.push(folded ? ilike(users.name, pattern) : like(users.name, pattern));
  }
  return where;
}

/** Users matching the filters, by name; only the members of a group when groupId is given. */
export async function listUsers(db: Db, where: SQL[], groupId?: string): Promise<UserRow[]> {
  const all = [...where];
  if (groupId !== undefined)
    all.push(
      inArray(
        users.id,
        db.select({ id: userGroups.userId }).from(userGroups).where(eq(userGroups.groupId, groupId)),
      ),
    );
  return db
    .select()
    .from(users)
    .where(and(...all))
    .orderBy(users.name, users.id);
}

/** Keystone's resource options for users, with the type each accepts (null removes one). */
const BOOL_OPTIONS = new Set([
  'ignore_change_password_upon_first_use',
  'ignore_password_expiry',
  'ignore_lockout_failure_attempts',
  'lock_password',
  'ignore_user_inactivity',
  'multi_factor_auth_enabled',
]);

export function mergeUserOptions(
  current: Record<string, unknown>,
  given: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (!given) return current;
  const next = { ...current };
  for (const [k, v] of Object.entries(given)) {
    if (v === null) {
      delete next[k];
      continue;
    }
    if (BOOL_OPTIONS.has(k)) {
      if (typeof v !== 'boolean')
        throw invalid(`Invalid input for field 'options.${k}': expected a boolean.`);
    } else if (k === 'multi_factor_auth_rules') {
      const ok =
        Array.isArray(v) &&
        v.every(
          (rule) =>
            Array.isArray(rule) &&
            rule.length > 0 &&
            rule.every((m) => typeof m === 'string' && m.length <= 255),
        );
      if (!ok)
        throw invalid(
          "Invalid input for field 'options.multi_factor_auth_rules': expected a list of lists of method names.",
        );
    } else {
      throw invalid(`Invalid input for field 'options': unknown option '${k.slice(0, 64)}'.`);
    }
    next[k] = v;
  }
  return next;
}

/**
 * The columns that store a (new) password; null removes the password. `mustChange` (an admin
 * set it and the operator wants users to change such passwords) makes it expire at once.
 */
export async function passwordColumns(
  ctx: IdentityContext,
  password: string | null,
  options: Record<string, unknown>,
  mustChange = false,
) {
  if (password === null)
    return {
      passwordHash: null,
      passwordCreatedAt: null,
      passwordExpiresAt: null,
      failedAuthCount: 0,
      lockedUntil: null,
    };
  const now = new Date();
  const days = ctx.settings.passwordExpiresDays;
  const expires = mustChange
    ? now
    : days > 0 && options.ignore_password_expiry !== true
      ? new Date(now.getTime() + days * 86_400_000)
      : null;
  return {
    passwordHash: await hashPassword(password, ctx.settings.scrypt),
    passwordCreatedAt: now,
    passwordExpiresAt: expires,
    failedAuthCount: 0,
    lockedUntil: null,
  };
}

/** How many past passwords to keep: enough for the history rule, and at least the current one. */
const historyKept = (ctx: IdentityContext) => Math.max(ctx.settings.passwordPolicy.uniqueLastCount, 1);

/**
 * Remember a password just set (every set, by an admin or by its owner), keeping only the
 * last few. Call it in the transaction that stores the password.
 */
export async function recordPassword(
  ctx: IdentityContext,
  tx: Db | Tx,
  userId: string,
  set: { passwordHash: string | null; passwordCreatedAt: Date | null },
): Promise<void> {
  if (!set.passwordHash) return;
  await tx
    .insert(passwordHistory)
    .values({ userId, passwordHash: set.passwordHash, createdAt: set.passwordCreatedAt ?? new Date() });
  const kept = tx
    .select({ id: passwordHistory.id })
    .from(passwordHistory)
    .where(eq(passwordHistory.userId, userId))
    .orderBy(desc(passwordHistory.createdAt), desc(passwordHistory.id))
    .limit(historyKept(ctx));
  await tx
    .delete(passwordHistory)
    .where(and(eq(passwordHistory.userId, userId), notInArray(passwordHistory.id, kept)));
}

/** The user's current password hash then its past ones, newest first (at most `limit`). */
export async function recentPasswordHashes(db: Db, user: UserRow, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  const rows = await db
    .select({ hash: passwordHistory.passwordHash })
    .from(passwordHistory)
    .where(eq(passwordHistory.userId, user.id))
    .orderBy(desc(passwordHistory.createdAt), desc(passwordHistory.id))
    .limit(limit);
  const hashes = rows.map((r) => r.hash);
  return user.passwordHash ? [user.passwordHash, ...hashes] : hashes;
}

/** Count a wrong password toward the lockout, as a failed authentication does. */
export async function recordPasswordFailure(
  ctx: IdentityContext,
  user: Pick<UserRow, 'id' | 'options'>,
): Promise<void> {
  const { failures, seconds } = ctx.settings.lockout;
  if (failures <= 0 || user.options.ignore_lockout_failure_attempts === true) return;
  await ctx.db
    .update(users)
    .set({
      failedAuthCount: sql`${users.failedAuthCount} + 1`,
      lockedUntil: sql`CASE WHEN ${users.failedAuthCount} + 1 >= ${failures} THEN now() + make_interval(secs => ${seconds}) ELSE ${users.lockedUntil} END`,
    })
    .where(eq(users.id, user.id));
}

/** Delete a user with its role assignments (memberships and credentials cascade). */
export async function deleteUser(db: Db, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(assignments).where(and(eq(assignments.actorType, 'user'), eq(assignments.actorId, id)));
    await tx.delete(users).where(eq(users.id, id));
    await deleteTrustsOf(tx, { userIds: [id] });
  });
}

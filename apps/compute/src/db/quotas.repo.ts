import { forbidden } from '@kumo/service-kit';
import { and, eq, sql } from 'drizzle-orm';
import type { QuotaResource } from '../config.js';
import type { Db } from '../context.js';
import { quotaClasses, quotas } from './schema.js';

/** A transaction handle or the database itself. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type Executor = Db | Tx;

export const DEFAULT_QUOTA_CLASS = 'default';

/** The configured defaults with quota class `default`'s rows over them (what a new project gets). */
export const classDefaults = <K extends string>(db: Executor, defaults: Record<K, number>) =>
  quotaClassLimits(db, DEFAULT_QUOTA_CLASS, defaults);

/** A quota class's rows over `defaults`. */
export async function quotaClassLimits<K extends string>(
  db: Executor,
  className: string,
  defaults: Record<K, number>,
): Promise<Record<K, number>> {
  const rows = await db.select().from(quotaClasses).where(eq(quotaClasses.className, className));
  const out = { ...defaults };
  for (const r of rows) if (Object.hasOwn(out, r.resource)) out[r.resource as K] = r.hardLimit;
  return out;
}

/** Set limits of a quota class. */
export async function setQuotaClass(db: Executor, className: string, values: Record<string, number>) {
  const rows = Object.entries(values).map(([resource, hardLimit]) => ({ className, resource, hardLimit }));
  if (rows.length === 0) return;
  await db
    .insert(quotaClasses)
    .values(rows)
    .onConflictDoUpdate({
      target: [quotaClasses.className, quotaClasses.resource],
      set: { hardLimit: sql`excluded.hard_limit` },
    });
}

/** The project's limits: its own rows over the defaults (quota class `default`, else configured). */
export async function quotaLimits<K extends string>(
  db: Executor,
  projectId: string,
  defaults: Record<K, number>,
): Promise<Record<K, number>> {
  const [rows, base] = await Promise.all([
    db.select().from(quotas).where(eq(quotas.projectId, projectId)),
    classDefaults(db, defaults),
  ]);
  const out: Record<K, number> = { ...base };
  for (const r of rows) if (Object.hasOwn(out, r.resource)) out[r.resource as K] = r.hardLimit;
  return out;
}

export async function quotaLimit(
  db: Executor,
  projectId: string,
  resource: QuotaResource,
  defaults: Record<QuotaResource, number>,
): Promise<number> {
  const [row] = await db
    .select({ v: quotas.hardLimit })
    .from(quotas)
    .where(and(eq(quotas.projectId, projectId), eq(quotas.resource, resource)));
  if (row) return row.v;
  const [cls] = await db
    .select({ v: quotaClasses.hardLimit })
    .from(quotaClasses)
    .where(and(eq(quotaClasses.className, DEFAULT_QUOTA_CLASS), eq(quotaClasses.resource, resource)));
  return cls?.v ?? defaults[resource];
}

export async function setQuotas(
  db: Executor,
  projectId: string,
  values: Record<string, number>,
): Promise<void> {
  const rows = Object.entries(values).map(([resource, hardLimit]) => ({
    projectId,
    resource,
    hardLimit: hardLimit as number,
  }));
  if (rows.length === 0) return;
  await db
    .insert(quotas)
    .values(rows)
    .onConflictDoUpdate({
      target: [quotas.projectId, quotas.resource],
      set: { hardLimit: sql`excluded.hard_limit` },
    });
}

export async function deleteQuotas(db: Executor, projectId: string): Promise<void> {
  await db.delete(quotas).where(eq(quotas.projectId, projectId));
}

/**
 * Serialise quota checks of one scope (a project, a user) until the
 * transaction ends: count-then-insert under this lock cannot overshoot.
 */
export async function lockQuotaScope(tx: Tx, scope: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`kumo-compute-quota:${scope}`}, 0))`);
}

/** Nova's 403 when `used + requested` passes a limit (-1 is unlimited). */
export function enforceLimit(limit: number, used: number, requested: number, message: string): void {
  if (limit >= 0 && used + requested > limit) throw forbidden(message);
}

import { type AnyColumn, and, asc, desc, eq, gt, inArray, lt, not, or, type SQL, sql } from 'drizzle-orm';
import type { PgTable, SelectedFields } from 'drizzle-orm/pg-core';
import { notFoundOf } from '../domain/errors.js';
import type { AttrType, FilterValue, ListQuery } from '../domain/list-query.js';
import type { Executor } from './database.js';

/**
 * How one API attribute maps to the table: a column (equality filter and sort key) or a custom
 * filter (a SQL condition for the list of OR-ed values, e.g. an EXISTS on a child table).
 */
export interface ListAttr {
  type: AttrType;
  column?: AnyColumn;
  /** Custom condition for `attr=v1&attr=v2` (OR semantics are up to it). */
  filter?: (values: FilterValue[]) => SQL | undefined;
  /** Sortable (default: true when a column is given). */
  sort?: boolean;
}

export interface ListSpec {
  table: PgTable;
  id: AnyColumn;
  tags?: AnyColumn;
  attrs: Record<string, ListAttr>;
  /** The NotFound type for an unknown marker, e.g. NetworkNotFound. */
  notFoundType?: string;
}

/** The attribute types of a spec, for parseListQuery. */
export const attrTypes = (spec: ListSpec): Record<string, AttrType> =>
  Object.fromEntries(Object.entries(spec.attrs).map(([k, a]) => [k, a.type]));

/** The sortable attribute names of a spec, for parseListQuery. */
export const sortableAttrs = (spec: ListSpec): string[] =>
  Object.entries(spec.attrs)
    .filter(([, a]) => a.column && a.sort !== false)
    .map(([k]) => k);

const textArray = (xs: string[]) =>
  sql`ARRAY[${sql.join(
    xs.map((x) => sql`${x}`),
    sql`, `,
  )}]::text[]`;

/** The WHERE conditions of the query's filters and tag filters (scope not included). */
export function filterConditions(spec: ListSpec, q: ListQuery): SQL[] {
  const conds: SQL[] = [];
  for (const f of q.filters) {
    const a = spec.attrs[f.attr];
    if (!a) continue;
    if (a.filter) {
      const c = a.filter(f.values);
      if (c) conds.push(c);
    } else if (a.column) {
      conds.push(f.values.length === 1 ? eq(a.column, f.values[0]) : inArray(a.column, f.values));
    }
  }
  if (spec.tags) {
    const t = spec.tags;
    if (q.tags.all.length) conds.push(sql`${t} @> ${textArray(q.tags.all)}`);
    if (q.tags.any.length) conds.push(sql`${t} && ${textArray(q.tags.any)}`);
    if (q.tags.notAll.length) conds.push(not(sql`${t} @> ${textArray(q.tags.notAll)}`));
    if (q.tags.notAny.length) conds.push(not(sql`${t} && ${textArray(q.tags.notAny)}`));
  }
  return conds;
}

export interface Page<T> {
  rows: T[];
  /** More rows follow in the paging direction. */
  hasMore: boolean;
}

/**
 * One page of `spec.table` rows the caller may see (`scope`), filtered, sorted (id is always
 * the last sort key, so paging is stable) and keyset-paged from the marker.
 */
export async function listPage<T>(db: Executor, spec: ListSpec, q: ListQuery, scope?: SQL): Promise<Page<T>> {
  const sorts = q.sorts
    .map((s) => ({ col: spec.attrs[s.key]!.column!, dir: s.dir }))
    .filter((s) => s.col !== spec.id);
  sorts.push({ col: spec.id, dir: q.sorts.find((s) => spec.attrs[s.key]?.column === spec.id)?.dir ?? 'asc' });
  // page_reverse walks backwards from the marker: flip every direction, then flip the page back
  const eff = sorts.map((s) => ({
    col: s.col,
    dir: q.pageReverse ? (s.dir === 'asc' ? 'desc' : 'asc') : s.dir,
  }));

  const conds = [...filterConditions(spec, q)];
  if (scope) conds.push(scope);
  if (q.marker !== undefined) {
    const pick = Object.fromEntries(eff.map((s, i) => [`k${i}`, s.col]));
    const [m] = await db
      .select(pick as unknown as SelectedFields)
      .from(spec.table)
      .where(scope ? and(eq(spec.id, q.marker), scope) : eq(spec.id, q.marker))
      .limit(1);
    if (!m) throw notFoundOf(spec.notFoundType ?? 'NotFound', `Marker ${q.marker} could not be found.`);
    const vals = eff.map((_, i) => (m as Record<string, unknown>)[`k${i}`]);
    // (k0 > m0) or (k0 = m0 and k1 > m1) or ...
    const ors: SQL[] = [];
    for (let i = 0; i < eff.length; i++) {
      const parts: SQL[] = [];
      for (let j = 0; j < i; j++) parts.push(sql`${eff[j]!.col} IS NOT DISTINCT FROM ${vals[j]}`);
      const cmp = eff[i]!.dir === 'asc' ? gt : lt;
      parts.push(cmp(eff[i]!.col, vals[i]));
      ors.push(and(...parts)!);
    }
    conds.push(or(...ors)!);
  }
  let query = db
    .select()
    .from(spec.table)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(...eff.map((s) => (s.dir === 'asc' ? asc(s.col) : desc(s.col))))
    .$dynamic();
  if (q.limit !== undefined) query = query.limit(q.limit + 1);
  const rows = (await query) as T[];
  const hasMore = q.limit !== undefined && rows.length > q.limit;
  if (hasMore) rows.length = q.limit!;
  if (q.pageReverse) rows.reverse();
  return { rows, hasMore };
}

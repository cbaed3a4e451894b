import {
  type Atom,
  atomKey,
  type Mutation,
  NamedUuid,
  namedUuid,
  type Operation,
  OvsdbSet,
  ops,
  ovsMap,
  ovsSet,
  type Row,
  type Uuid,
  uuid,
  type Value,
  where,
} from '@kumo/ovsdb';
import type { NbIndex } from './nb-index.js';
import {
  CONTAINERS,
  type DesiredRow,
  type NbTable,
  OWNER_KEY,
  type Placement,
  RID_KEY,
  ROOT_TABLES,
  type RowRef,
} from './nb-rows.js';

export interface SyncCounts {
  created: number;
  updated: number;
  deleted: number;
}

export interface NbPlan {
  ops: Operation[];
  counts: SyncCounts;
  /** Row ids inserted by this plan, per table. */
  inserted: { table: NbTable; rid: string }[];
}

/** A required parent row is not in the NB yet (e.g. a port synced before its network): retry later. */
export class MissingParentError extends Error {
  override name = 'MissingParentError';
}

/** Canonical text of a value for comparison: sets are unordered, an atom equals a one-element set. */
export function canonical(v: Value | undefined): string {
  if (v === undefined) return 's:';
  if (v instanceof Map) {
    return `m:${[...v]
      .map(([k, x]) => `${atomKey(k)}=${atomKey(x)}`)
      .sort()
      .join('\u0001')}`;
  }
  const items = v instanceof OvsdbSet ? v.items : [v as Atom];
  return `s:${items.map(atomKey).sort().join('\u0001')}`;
}

function tagged(d: DesiredRow, owner: string): Value {
  const ext = d.columns.external_ids;
  const base: [Atom, Atom][] = ext instanceof Map ? [...ext] : [];
  return ovsMap([...base, [OWNER_KEY, owner], [RID_KEY, d.rid]]);
}

/**
 * Computes the minimal operations that make the NB rows of `owner` equal `desired`: inserts of missing
 * rows (placed into their parents), updates of differing managed columns, membership repairs, and
 * deletion of the owner's rows that are no longer desired (roots by `delete`, children by removing
 * every reference to them). Rows of other owners and untagged rows are never modified, except for
 * adding or removing this owner's rows in their reference sets.
 */
export function planOwner(
  index: NbIndex,
  owner: string,
  desired: readonly DesiredRow[],
  /** Prefix of the named uuids (unique per owner when several plans share one transaction). */
  namePrefix = 'row',
): NbPlan {
  const replica = index.replica;
  const counts: SyncCounts = { created: 0, updated: 0, deleted: 0 };
  const out: Operation[] = [];
  const inserted: NbPlan['inserted'] = [];

  // match actual rows to desired ones by row id (and table); duplicates and leftovers are deleted
  const actualByRid = new Map<string, { table: NbTable; uuid: string }>();
  const stale: { table: NbTable; uuid: string }[] = [];
  const wanted = new Map(desired.map((d) => [d.rid, d]));
  for (const a of index.rowsOf(owner)) {
    const d = wanted.get(a.rid);
    if (!d || d.table !== a.table || actualByRid.has(a.rid)) stale.push(a);
    else actualByRid.set(a.rid, a);
  }
  const named = new Map<string, NamedUuid>();
  desired.forEach((d, i) => {
    if (!actualByRid.has(d.rid)) named.set(d.rid, namedUuid(`${namePrefix}${i}`));
  });
  const idOf = (rid: string): Uuid | NamedUuid | undefined => {
    const a = actualByRid.get(rid);
    return a ? uuid(a.uuid) : named.get(rid);
  };
  const resolveRef = (ref: RowRef): Uuid | NamedUuid | undefined => {
    if (ref.owner === owner) return idOf(ref.rid);
    const r = index.find(ref.owner, ref.rid);
    return r ? uuid(r.uuid) : undefined;
  };
  const deletedRoots = new Set(stale.filter((s) => ROOT_TABLES.has(s.table)).map((s) => s.uuid));

  for (const d of desired) {
    const refs: Record<string, Value> = {};
    for (const [col, targets] of Object.entries(d.refs ?? {})) {
      refs[col] = ovsSet(...targets.map(resolveRef).filter((x): x is Uuid | NamedUuid => x !== undefined));
    }
    const full: Row = { ...d.columns, ...refs, external_ids: tagged(d, owner) };
    const actual = actualByRid.get(d.rid);
    if (!actual) {
      out.push(ops.insert(d.table, full, { uuidName: (named.get(d.rid) as NamedUuid).name }));
      inserted.push({ table: d.table, rid: d.rid });
      counts.created++;
      continue;
    }
    const row = replica.get(d.table, actual.uuid) ?? {};
    const changed: Row = {};
    for (const [col, v] of Object.entries(full)) {
      if (canonical(row[col]) !== canonical(v)) changed[col] = v;
    }
    if (Object.keys(changed).length > 0) {
      out.push(ops.update(d.table, [where.uuid(uuid(actual.uuid))], changed));
      counts.updated++;
    }
  }

  // placements: each desired row into its parents; existing rows out of containers they should not be in
  let repaired = 0;
  for (const d of desired) {
    const self = idOf(d.rid) as Uuid | NamedUuid;
    const actual = actualByRid.get(d.rid);
    const keep = new Set<string>();
    for (const p of d.parents ?? []) {
      const parent = resolvePlacement(index, p, idOf);
      if (parent === undefined) {
        if (p.required)
          throw new MissingParentError(`${p.table} ${describeParent(p)} not found for ${owner}`);
        continue;
      }
      if (parent instanceof NamedUuid) {
        // parent inserted in this transaction
        out.push(ops.mutate(p.table, [where.eq('_uuid', parent)], [[p.column, 'insert', ovsSet(self)]]));
        continue;
      }
      keep.add(`${p.table}/${parent.value}/${p.column}`);
      if (actual && index.contains({ table: p.table, uuid: parent.value, column: p.column }, actual.uuid))
        continue;
      out.push(ops.mutate(p.table, [where.uuid(parent)], [[p.column, 'insert', ovsSet(self)]]));
      if (actual) repaired++;
    }
    if (!actual) continue;
    for (const c of index.containersOf(actual.uuid)) {
      if (keep.has(`${c.table}/${c.uuid}/${c.column}`) || deletedRoots.has(c.uuid)) continue;
      if (!(CONTAINERS[d.table] ?? []).some(([t, col]) => t === c.table && col === c.column)) continue;
      out.push(
        ops.mutate(c.table, [where.uuid(uuid(c.uuid))], [[c.column, 'delete', ovsSet(uuid(actual.uuid))]]),
      );
      repaired++;
    }
  }
  counts.updated += repaired;

  // deletions
  for (const s of stale) {
    counts.deleted++;
    if (ROOT_TABLES.has(s.table)) {
      out.push(ops.delete(s.table, [where.uuid(uuid(s.uuid))]));
      continue;
    }
    for (const c of index.containersOf(s.uuid)) {
      if (deletedRoots.has(c.uuid)) continue;
      out.push(ops.mutate(c.table, [where.uuid(uuid(c.uuid))], [[c.column, 'delete', ovsSet(uuid(s.uuid))]]));
    }
  }
  return { ops: mergeMutations(out), counts, inserted };
}

function describeParent(p: Placement): string {
  return 'name' in p.parent ? p.parent.name : `row ${p.parent.rid}`;
}

function resolvePlacement(
  index: NbIndex,
  p: Placement,
  idOf: (rid: string) => Uuid | NamedUuid | undefined,
): Uuid | NamedUuid | undefined {
  if ('rid' in p.parent) return idOf(p.parent.rid);
  const u = index.byNameOf(p.table, p.parent.name);
  return u === undefined ? undefined : uuid(u);
}

/**
 * Folds `mutate` operations that add to (or remove from) the same column of the same row into one:
 * ovsdb-server copies the whole set per mutation, so 50 ports joining one switch cost 50 copies of
 * its port list unless merged. The merged operation takes the place of the first one.
 */
export function mergeMutations(list: readonly Operation[]): Operation[] {
  const out: Operation[] = [];
  const merged = new Map<string, { index: number; items: Atom[] }>();
  for (const o of list) {
    const c = o.op === 'mutate' && o.where.length === 1 && o.mutations.length === 1 ? o.where[0] : undefined;
    const m = o.op === 'mutate' ? o.mutations[0] : undefined;
    if (!c || !m || c[0] !== '_uuid' || c[1] !== '==' || !(m[2] instanceof OvsdbSet) || o.op !== 'mutate') {
      out.push(o);
      continue;
    }
    const key = `${o.table}|${canonical(c[2])}|${m[0]}|${m[1]}`;
    const prev = merged.get(key);
    if (prev) {
      prev.items.push(...m[2].items);
      continue;
    }
    const items = [...m[2].items];
    merged.set(key, { index: out.length, items });
    out.push(o);
  }
  for (const { index, items } of merged.values()) {
    const o = out[index];
    if (o?.op !== 'mutate') continue;
    const [col, mutator] = o.mutations[0] as Mutation;
    out[index] = ops.mutate(o.table, o.where, [[col, mutator, ovsSet(...items)]]);
  }
  return out;
}

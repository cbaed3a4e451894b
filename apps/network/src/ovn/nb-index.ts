import { type ChangeEvent, mapRecord, type Replica, type Row, setItems, type Value } from '@kumo/ovsdb';
import { CONTAINERS, NB_TABLES, type NbTable, OWNER_KEY, RID_KEY } from './nb-rows.js';

export interface IndexedRow {
  table: NbTable;
  uuid: string;
  rid: string;
}

export interface ContainerRef {
  table: NbTable;
  uuid: string;
  column: string;
}

const NAMED: ReadonlySet<string> = new Set(['Logical_Switch', 'Logical_Router', 'Port_Group']);

/** Parent (table, column) pairs that hold references to other rows, derived from CONTAINERS. */
const CONTAINER_COLUMNS = new Map<string, string[]>();
for (const list of Object.values(CONTAINERS)) {
  for (const [t, c] of list ?? []) {
    const cols = CONTAINER_COLUMNS.get(t) ?? [];
    if (!cols.includes(c)) cols.push(c);
    CONTAINER_COLUMNS.set(t, cols);
  }
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

const refKey = (table: string, uuid: string, column: string) => `${table}\u0000${uuid}\u0000${column}`;

/**
 * Indexes over the NB replica, kept current from its change events: Kumo rows by owner, root rows by
 * name, and for each row the containers (parent row + column) that reference it.
 */
export class NbIndex {
  private readonly byOwner = new Map<string, Map<string, IndexedRow>>();
  private readonly ownerOf = new Map<string, string>();
  private readonly byName = new Map<string, Map<string, Set<string>>>();
  private readonly refs = new Map<string, Set<string>>();
  private readonly off: () => void;

  constructor(readonly replica: Replica) {
    for (const table of NB_TABLES) {
      for (const [uuid, row] of replica.table(table)) {
        this.onChange({ table, uuid, kind: 'insert', row });
      }
    }
    this.off = replica.onChange((e) => this.onChange(e));
  }

  close(): void {
    this.off();
  }

  /** Kumo rows of one owner. */
  rowsOf(owner: string): IndexedRow[] {
    return [...(this.byOwner.get(owner)?.values() ?? [])];
  }

  owners(): string[] {
    return [...this.byOwner.keys()];
  }

  /** The uuid of a Kumo row by owner and row id. */
  find(owner: string, rid: string): IndexedRow | undefined {
    for (const r of this.byOwner.get(owner)?.values() ?? []) if (r.rid === rid) return r;
    return undefined;
  }

  /** A root row by name, preferring a Kumo-tagged one. */
  byNameOf(table: NbTable, name: string): string | undefined {
    const set = this.byName.get(table)?.get(name);
    if (!set || set.size === 0) return undefined;
    for (const u of set) if (this.ownerOf.has(u)) return u;
    return set.values().next().value;
  }

  /** Rows (parent + column) that reference `uuid`. */
  containersOf(uuid: string): ContainerRef[] {
    return [...(this.refs.get(uuid) ?? [])].map((k) => {
      const [table, parent, column] = k.split('\u0000') as [NbTable, string, string];
      return { table, uuid: parent, column };
    });
  }

  contains(parent: ContainerRef, child: string): boolean {
    return this.refs.get(child)?.has(refKey(parent.table, parent.uuid, parent.column)) ?? false;
  }

  private onChange(e: ChangeEvent): void {
    const table = e.table as NbTable;
    if (e.old) this.remove(table, e.uuid, e.old);
    if (e.kind !== 'delete') this.add(table, e.uuid, e.row);
    for (const col of CONTAINER_COLUMNS.get(table) ?? []) {
      const before = e.old?.[col];
      const after = e.kind === 'delete' ? undefined : e.row[col];
      if (before === after) continue; // an unmodified column keeps its value object
      const was = uuidSet(before);
      const now = uuidSet(after);
      const key = refKey(table, e.uuid, col);
      for (const c of now) if (!was.has(c)) getOrCreate(this.refs, c, () => new Set<string>()).add(key);
      for (const c of was) {
        if (now.has(c)) continue;
        const s = this.refs.get(c);
        s?.delete(key);
        if (s?.size === 0) this.refs.delete(c);
      }
    }
  }

  private add(table: NbTable, uuid: string, row: Row): void {
    const ext = mapRecord(row.external_ids);
    const owner = ext[OWNER_KEY];
    if (owner !== undefined) {
      const m = getOrCreate(this.byOwner, owner, () => new Map<string, IndexedRow>());
      m.set(uuid, { table, uuid, rid: ext[RID_KEY] ?? '' });
      this.ownerOf.set(uuid, owner);
    }
    if (NAMED.has(table) && typeof row.name === 'string') {
      const t = getOrCreate(this.byName, table, () => new Map<string, Set<string>>());
      getOrCreate(t, row.name, () => new Set<string>()).add(uuid);
    }
  }

  private remove(table: NbTable, uuid: string, old: Row): void {
    const owner = this.ownerOf.get(uuid);
    if (owner !== undefined) {
      const m = this.byOwner.get(owner);
      m?.delete(uuid);
      if (m?.size === 0) this.byOwner.delete(owner);
      this.ownerOf.delete(uuid);
    }
    if (NAMED.has(table) && typeof old.name === 'string') {
      const s = this.byName.get(table)?.get(old.name);
      s?.delete(uuid);
      if (s?.size === 0) this.byName.get(table)?.delete(old.name);
    }
  }
}

/** Uuids of a reference column as strings, memoized per (immutable) value object. */
const uuidSets = new WeakMap<object, Set<string>>();
const EMPTY: ReadonlySet<string> = new Set();

function uuidSet(v: Value | undefined): ReadonlySet<string> {
  if (v === undefined) return EMPTY;
  if (typeof v !== 'object') return new Set([String(v)]);
  let s = uuidSets.get(v);
  if (!s) {
    s = new Set(setItems(v).map(String));
    uuidSets.set(v, s);
  }
  return s;
}

import { OvsdbError } from './errors.js';
import { columnDefault, type DatabaseSchema, isComposite, isMapColumn, normalizeValue } from './schema.js';
import {
  type Atom,
  atomKey,
  type Json,
  OvsdbSet,
  type Row,
  rowFromWire,
  rowToWire,
  type Value,
  valueFromWire,
} from './values.js';

export type ChangeKind = 'insert' | 'update' | 'delete';

export interface ChangeEvent {
  table: string;
  uuid: string;
  kind: ChangeKind;
  /** The new row (for delete: the row as it was). */
  row: Row;
  /** The previous row, for update and delete. */
  old?: Row;
}

export type ChangeListener = (event: ChangeEvent) => void;

type Tables = Map<string, Map<string, Row>>;

const isObj = (j: Json | undefined): j is { [key: string]: Json } =>
  j !== null && typeof j === 'object' && !Array.isArray(j);

/** An in-memory copy of the monitored tables, kept in sync by OvsdbClient.monitor(). */
export class Replica {
  private tables: Tables = new Map();
  private readonly listeners = new Set<ChangeListener>();
  private readonly syncListeners = new Set<() => void>();
  /** Last transaction id seen (monitor_cond_since only). */
  lastTxnId: string | undefined;
  /** How the last (re)start of the monitor loaded: the full contents, or only the changes since lastTxnId. */
  lastLoad: 'full' | 'delta' = 'full';

  constructor(
    readonly database: string,
    private readonly schema: DatabaseSchema,
    /** Monitored columns per table. */
    readonly columns: ReadonlyMap<string, readonly string[]>,
  ) {
    for (const t of columns.keys()) this.tables.set(t, new Map());
  }

  /** Rows of a monitored table, keyed by uuid. */
  table(name: string): ReadonlyMap<string, Row> {
    const t = this.tables.get(name);
    if (!t) throw new OvsdbError(`table ${name} is not monitored in ${this.database}`);
    return t;
  }

  rows(name: string): Row[] {
    return [...this.table(name).values()];
  }

  get(table: string, uuid: string): Row | undefined {
    return this.table(table).get(uuid);
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called after every batch of updates (initial contents, notifications, resync). */
  onSync(listener: () => void): () => void {
    this.syncListeners.add(listener);
    return () => this.syncListeners.delete(listener);
  }

  /** Resolves once `predicate` holds (checked now and after every batch), rejects after `timeoutMs`. */
  waitFor(predicate: (r: Replica) => boolean, timeoutMs = 5000): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.onSync(() => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        off();
        resolve();
      });
      const timer = setTimeout(() => {
        off();
        reject(new OvsdbError(`replica of ${this.database}: condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

  /** Replaces the whole contents (initial monitor reply or resync), emitting the differences as events. */
  reset(updates: Json, format: 1 | 2): void {
    const fresh: Tables = new Map();
    for (const t of this.columns.keys()) fresh.set(t, new Map());
    const events: ChangeEvent[] = [];
    this.applyTo(fresh, updates, format, []);
    for (const [table, rows] of fresh) {
      const before = this.tables.get(table) ?? new Map<string, Row>();
      for (const [uuid, row] of rows) {
        const old = before.get(uuid);
        if (!old) events.push({ table, uuid, kind: 'insert', row });
        else if (!sameRow(old, row)) events.push({ table, uuid, kind: 'update', row, old });
      }
      for (const [uuid, old] of before) {
        if (!rows.has(uuid)) events.push({ table, uuid, kind: 'delete', row: old, old });
      }
    }
    this.tables = fresh;
    this.emit(events);
  }

  /** Applies an `update` (format 1) or `update2`/`update3` (format 2) notification. */
  apply(updates: Json, format: 1 | 2): void {
    const events: ChangeEvent[] = [];
    this.applyTo(this.tables, updates, format, events);
    this.emit(events);
  }

  private emit(events: ChangeEvent[]): void {
    for (const e of events) for (const l of this.listeners) l(e);
    for (const l of this.syncListeners) l();
  }

  private applyTo(tables: Tables, updates: Json, format: 1 | 2, events: ChangeEvent[]): void {
    if (!isObj(updates)) return;
    for (const [table, rowUpdates] of Object.entries(updates)) {
      const rows = tables.get(table);
      if (!rows || !isObj(rowUpdates)) continue;
      for (const [uuid, u] of Object.entries(rowUpdates)) {
        if (!isObj(u)) continue;
        if (format === 1) this.apply1(table, rows, uuid, u, events);
        else this.apply2(table, rows, uuid, u, events);
      }
    }
  }

  private apply1(
    table: string,
    rows: Map<string, Row>,
    uuid: string,
    u: { [k: string]: Json },
    ev: ChangeEvent[],
  ) {
    const old = rows.get(uuid);
    if (u.new === undefined || u.new === null) {
      if (old) {
        rows.delete(uuid);
        ev.push({ table, uuid, kind: 'delete', row: old, old });
      }
      return;
    }
    const row = this.complete(table, rowFromWire(u.new));
    rows.set(uuid, row);
    ev.push(old ? { table, uuid, kind: 'update', row, old } : { table, uuid, kind: 'insert', row });
  }

  private apply2(
    table: string,
    rows: Map<string, Row>,
    uuid: string,
    u: { [k: string]: Json },
    ev: ChangeEvent[],
  ) {
    const old = rows.get(uuid);
    const full = u.initial ?? u.insert;
    if (full !== undefined) {
      const row = this.complete(table, rowFromWire(full));
      rows.set(uuid, row);
      ev.push(old ? { table, uuid, kind: 'update', row, old } : { table, uuid, kind: 'insert', row });
    } else if ('delete' in u) {
      if (old) {
        rows.delete(uuid);
        ev.push({ table, uuid, kind: 'delete', row: old, old });
      }
    } else if (isObj(u.modify) && old) {
      const row: Row = { ...old };
      const cols = this.schema.tables[table]?.columns ?? {};
      for (const [col, diffJson] of Object.entries(u.modify)) {
        const type = cols[col];
        const diff = valueFromWire(diffJson);
        row[col] =
          type && isComposite(type)
            ? applyDiff(row[col], diff, isMapColumn(type))
            : normalizeValue(type, diff);
      }
      rows.set(uuid, row);
      ev.push({ table, uuid, kind: 'update', row, old });
    }
  }

  /** Fills omitted columns with their defaults and normalizes set columns. */
  private complete(table: string, row: Row): Row {
    const cols = this.schema.tables[table]?.columns ?? {};
    const out: Row = {};
    for (const c of this.columns.get(table) ?? []) {
      const type = cols[c];
      const v = row[c];
      if (v !== undefined) out[c] = normalizeValue(type, v);
      else if (type) out[c] = columnDefault(type);
    }
    return out;
  }
}

function applyDiff(current: Value | undefined, diff: Value, isMap: boolean): Value {
  if (isMap) {
    const m = new Map<Atom, Atom>(current instanceof Map ? current : []);
    const byKey = new Map<string, Atom>();
    for (const k of m.keys()) byKey.set(atomKey(k), k);
    for (const [k, v] of diff instanceof Map ? diff : []) {
      const existing = byKey.get(atomKey(k));
      if (existing === undefined) {
        m.set(k, v);
        byKey.set(atomKey(k), k);
      } else if (atomKey(m.get(existing) as Atom) === atomKey(v)) {
        m.delete(existing);
        byKey.delete(atomKey(k));
      } else m.set(existing, v);
    }
    return m;
  }
  const items = new Map<string, Atom>();
  for (const a of current instanceof OvsdbSet
    ? current.items
    : current === undefined
      ? []
      : [current as Atom]) {
    items.set(atomKey(a), a);
  }
  for (const a of diff instanceof OvsdbSet ? diff.items : [diff as Atom]) {
    const k = atomKey(a);
    if (items.has(k)) items.delete(k);
    else items.set(k, a);
  }
  return new OvsdbSet(items.values());
}

function sameRow(a: Row, b: Row): boolean {
  return JSON.stringify(rowToWire(a)) === JSON.stringify(rowToWire(b));
}

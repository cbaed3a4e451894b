import { OvsdbError } from './errors.js';
import { type Atom, isMapValue, type Json, OvsdbSet, Uuid, type Value } from './values.js';

export type AtomicType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';

export interface ColumnType {
  key: AtomicType;
  value?: AtomicType;
  min: number;
  max: number | 'unlimited';
}

export interface TableSchema {
  columns: Record<string, ColumnType>;
  isRoot: boolean;
}

export interface DatabaseSchema {
  name: string;
  version: string;
  tables: Record<string, TableSchema>;
}

function baseType(j: Json | undefined): AtomicType {
  const t = typeof j === 'string' ? j : j && typeof j === 'object' && !Array.isArray(j) ? j.type : undefined;
  if (t === 'integer' || t === 'real' || t === 'boolean' || t === 'string' || t === 'uuid') return t;
  throw new OvsdbError(`bad OVSDB base type ${JSON.stringify(j)}`);
}

function columnType(j: Json | undefined): ColumnType {
  if (typeof j === 'string') return { key: baseType(j), min: 1, max: 1 };
  if (!j || typeof j !== 'object' || Array.isArray(j))
    throw new OvsdbError(`bad OVSDB column type ${JSON.stringify(j)}`);
  const t: ColumnType = {
    key: baseType(j.key),
    min: typeof j.min === 'number' ? j.min : 1,
    max: j.max === 'unlimited' ? 'unlimited' : typeof j.max === 'number' ? j.max : 1,
  };
  if (j.value !== undefined) t.value = baseType(j.value);
  return t;
}

/** Parses the `get_schema` result. */
export function parseSchema(j: Json): DatabaseSchema {
  if (!j || typeof j !== 'object' || Array.isArray(j) || typeof j.name !== 'string') {
    throw new OvsdbError('bad OVSDB schema: no name');
  }
  const tables: Record<string, TableSchema> = {};
  const tj = j.tables;
  if (!tj || typeof tj !== 'object' || Array.isArray(tj)) throw new OvsdbError('bad OVSDB schema: no tables');
  for (const [name, t] of Object.entries(tj)) {
    if (!t || typeof t !== 'object' || Array.isArray(t)) continue;
    const columns: Record<string, ColumnType> = {};
    const cj = t.columns;
    if (cj && typeof cj === 'object' && !Array.isArray(cj)) {
      for (const [c, def] of Object.entries(cj)) {
        if (def && typeof def === 'object' && !Array.isArray(def)) columns[c] = columnType(def.type);
      }
    }
    tables[name] = { columns, isRoot: t.isRoot === true };
  }
  return { name: j.name, version: typeof j.version === 'string' ? j.version : '', tables };
}

/** A column whose monitor diffs are element-wise (sets and maps with more than one element allowed). */
export const isComposite = (t: ColumnType): boolean => t.max !== 1;
export const isMapColumn = (t: ColumnType): boolean => t.value !== undefined;

function atomDefault(t: AtomicType): Atom {
  switch (t) {
    case 'integer':
    case 'real':
      return 0;
    case 'boolean':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return new Uuid('00000000-0000-0000-0000-000000000000');
  }
}

/** The value a column has when a row omits it (update2 omits default values). */
export function columnDefault(t: ColumnType): Value {
  if (isMapColumn(t)) return new Map<Atom, Atom>();
  if (t.min === 0) return new OvsdbSet([]);
  return atomDefault(t.key);
}

/** Normalizes a value to the column's shape: composite set columns always become an OvsdbSet. */
export function normalizeValue(t: ColumnType | undefined, v: Value): Value {
  if (!t || isMapColumn(t) || !isComposite(t) || v instanceof OvsdbSet || isMapValue(v)) return v;
  return new OvsdbSet([v]);
}

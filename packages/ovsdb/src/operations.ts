import { OvsdbTransactionError } from './errors.js';
import {
  type Json,
  type Row,
  rowFromWire,
  rowToWire,
  type Uuid,
  type Value,
  valueFromWire,
  valueToWire,
  type WireRow,
  type WireValue,
} from './values.js';

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';
export type Condition = readonly [column: string, fn: ConditionFunction, value: Value];
export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
export type Mutation = readonly [column: string, mutator: Mutator, value: Value];

export type Operation =
  | { op: 'insert'; table: string; row: Row; uuidName?: string; uuid?: string }
  | { op: 'select'; table: string; where: readonly Condition[]; columns?: readonly string[] }
  | { op: 'update'; table: string; where: readonly Condition[]; row: Row }
  | { op: 'mutate'; table: string; where: readonly Condition[]; mutations: readonly Mutation[] }
  | { op: 'delete'; table: string; where: readonly Condition[] }
  | {
      op: 'wait';
      table: string;
      where: readonly Condition[];
      columns: readonly string[];
      until: '==' | '!=';
      rows: readonly Row[];
      timeout?: number;
    }
  | { op: 'commit'; durable: boolean }
  | { op: 'abort' }
  | { op: 'comment'; comment: string }
  | { op: 'assert'; lock: string };

/** Result of one successful operation: `uuid` for insert, `rows` for select, `count` for update/mutate/delete. */
export interface OperationResult {
  uuid?: Uuid;
  rows?: Row[];
  count?: number;
}

/** Typed builders for transaction operations. */
export const ops = {
  insert: (table: string, row: Row, opts: { uuidName?: string; uuid?: string } = {}): Operation => ({
    op: 'insert',
    table,
    row,
    ...opts,
  }),
  select: (table: string, where: readonly Condition[] = [], columns?: readonly string[]): Operation =>
    columns ? { op: 'select', table, where, columns } : { op: 'select', table, where },
  update: (table: string, where: readonly Condition[], row: Row): Operation => ({
    op: 'update',
    table,
    where,
    row,
  }),
  mutate: (table: string, where: readonly Condition[], mutations: readonly Mutation[]): Operation => ({
    op: 'mutate',
    table,
    where,
    mutations,
  }),
  delete: (table: string, where: readonly Condition[]): Operation => ({ op: 'delete', table, where }),
  wait: (
    table: string,
    where: readonly Condition[],
    columns: readonly string[],
    until: '==' | '!=',
    rows: readonly Row[],
    timeout?: number,
  ): Operation =>
    timeout === undefined
      ? { op: 'wait', table, where, columns, until, rows }
      : { op: 'wait', table, where, columns, until, rows, timeout },
  commit: (durable = false): Operation => ({ op: 'commit', durable }),
  abort: (): Operation => ({ op: 'abort' }),
  comment: (comment: string): Operation => ({ op: 'comment', comment }),
  assert: (lock: string): Operation => ({ op: 'assert', lock }),
};

/** Condition helpers: `where.eq('name', 'br0')`, `where.uuid(u)`. */
export const where = {
  eq: (column: string, value: Value): Condition => [column, '==', value],
  ne: (column: string, value: Value): Condition => [column, '!=', value],
  includes: (column: string, value: Value): Condition => [column, 'includes', value],
  excludes: (column: string, value: Value): Condition => [column, 'excludes', value],
  uuid: (u: Uuid): Condition => ['_uuid', '==', u],
};

type WireCondition = [string, string, WireValue];

export function conditionsToWire(c: readonly Condition[]): WireCondition[] {
  return c.map(([col, fn, v]) => [col, fn, valueToWire(v)]);
}

export function operationToWire(o: Operation): { [key: string]: Json } {
  switch (o.op) {
    case 'insert': {
      const w: { [key: string]: Json } = { op: 'insert', table: o.table, row: rowToWire(o.row) };
      if (o.uuidName !== undefined) w['uuid-name'] = o.uuidName;
      if (o.uuid !== undefined) w.uuid = o.uuid;
      return w;
    }
    case 'select':
      return o.columns
        ? { op: 'select', table: o.table, where: conditionsToWire(o.where), columns: [...o.columns] }
        : { op: 'select', table: o.table, where: conditionsToWire(o.where) };
    case 'update':
      return { op: 'update', table: o.table, where: conditionsToWire(o.where), row: rowToWire(o.row) };
    case 'mutate':
      return {
        op: 'mutate',
        table: o.table,
        where: conditionsToWire(o.where),
        mutations: o.mutations.map(([c, m, v]) => [c, m, valueToWire(v)]),
      };
    case 'delete':
      return { op: 'delete', table: o.table, where: conditionsToWire(o.where) };
    case 'wait': {
      const rows: WireRow[] = o.rows.map(rowToWire);
      const w: { [key: string]: Json } = {
        op: 'wait',
        table: o.table,
        where: conditionsToWire(o.where),
        columns: [...o.columns],
        until: o.until,
        rows,
      };
      if (o.timeout !== undefined) w.timeout = o.timeout;
      return w;
    }
    case 'commit':
      return { op: 'commit', durable: o.durable };
    case 'abort':
      return { op: 'abort' };
    case 'comment':
      return { op: 'comment', comment: o.comment };
    case 'assert':
      return { op: 'assert', lock: o.lock };
  }
}

export function summarizeOperation(o: Operation | undefined): string {
  if (!o) return 'commit';
  return 'table' in o ? `${o.op} ${o.table}` : o.op;
}

/** Checks a `transact` result against its operations; throws OvsdbTransactionError naming the failed op. */
export function parseTransactResult(
  database: string,
  ops: readonly Operation[],
  result: Json,
): OperationResult[] {
  if (!Array.isArray(result)) {
    throw new OvsdbTransactionError(
      database,
      -1,
      'commit',
      'bad response',
      `not an array: ${JSON.stringify(result)}`,
    );
  }
  const out: OperationResult[] = [];
  for (let i = 0; i < result.length; i++) {
    const r = result[i];
    if (r === null || r === undefined || typeof r !== 'object' || Array.isArray(r)) {
      if (i < ops.length) out.push({});
      continue;
    }
    if (typeof r.error === 'string') {
      const op = i < ops.length ? i : -1;
      const details = typeof r.details === 'string' ? r.details : undefined;
      throw new OvsdbTransactionError(database, op, summarizeOperation(ops[i]), r.error, details);
    }
    if (i >= ops.length) continue;
    const one: OperationResult = {};
    if (r.uuid !== undefined) {
      const u = valueFromWire(r.uuid);
      if (typeof u === 'object' && 'value' in u) one.uuid = u as Uuid;
    }
    if (Array.isArray(r.rows)) one.rows = r.rows.map(rowFromWire);
    if (typeof r.count === 'number') one.count = r.count;
    out.push(one);
  }
  if (result.length < ops.length) {
    const i = result.length;
    throw new OvsdbTransactionError(
      database,
      i,
      summarizeOperation(ops[i]),
      'not executed',
      `the server returned ${result.length} results for ${ops.length} operations`,
    );
  }
  return out;
}

import { OvsdbRpcError } from './errors.js';
import { type Condition, conditionsToWire } from './operations.js';
import { Replica } from './replica.js';
import type { DatabaseSchema } from './schema.js';
import type { Json } from './values.js';

export type MonitorMethod = 'monitor_cond_since' | 'monitor_cond' | 'monitor';

/** What to monitor: per table, the columns (all by default) and an optional condition (cond methods only). */
export type MonitorTables = Record<string, { columns?: readonly string[]; where?: readonly Condition[] }>;

export type RequestFn = (method: string, params: Json[]) => Promise<Json>;

/** One registered monitor: its replica and how to (re)establish it on a connection. */
export class MonitorRegistration {
  readonly replica: Replica;
  /** True once the first start succeeded; only started monitors are re-sent after a reconnect. */
  started = false;

  constructor(
    readonly id: string,
    readonly database: string,
    schema: DatabaseSchema,
    private readonly tables: MonitorTables,
  ) {
    const columns = new Map<string, readonly string[]>();
    for (const [t, spec] of Object.entries(tables)) {
      const ts = schema.tables[t];
      if (!ts) throw new OvsdbRpcError('monitor', `unknown table ${t} in ${database}`);
      for (const c of spec.columns ?? []) {
        if (!ts.columns[c]) throw new OvsdbRpcError('monitor', `unknown column ${t}.${c} in ${database}`);
      }
      columns.set(t, spec.columns ?? Object.keys(ts.columns));
    }
    this.replica = new Replica(database, schema, columns);
  }

  private requests(cond: boolean): { [key: string]: Json } {
    const out: { [key: string]: Json } = {};
    for (const [t, cols] of this.replica.columns) {
      const req: { [key: string]: Json } = { columns: [...cols] };
      const where = this.tables[t]?.where;
      if (cond && where) req.where = conditionsToWire(where);
      out[t] = [req];
    }
    return out;
  }

  /**
   * Sends the monitor request with the best method the server supports (remembered in `methods[0]`) and
   * loads the reply into the replica (a delta when monitor_cond_since found our last txn id).
   */
  async start(request: RequestFn, methods: MonitorMethod[]): Promise<void> {
    for (;;) {
      const method = methods[0] ?? 'monitor';
      try {
        await this.startWith(request, method);
        this.started = true;
        return;
      } catch (err) {
        if (method !== 'monitor' && err instanceof OvsdbRpcError && isUnknownMethod(err)) {
          methods.shift();
          continue;
        }
        throw err;
      }
    }
  }

  private async startWith(request: RequestFn, method: MonitorMethod): Promise<void> {
    if (method === 'monitor_cond_since') {
      const last = this.replica.lastTxnId;
      const res = await request(method, [this.database, this.id, this.requests(true), last ?? zeroUuid]);
      if (!Array.isArray(res) || res.length !== 3) throw new OvsdbRpcError(method, 'unexpected reply shape');
      const [found, txnId, updates] = res as [Json, Json, Json];
      const delta = found === true && last !== undefined;
      this.replica.lastLoad = delta ? 'delta' : 'full';
      if (delta) this.replica.apply(updates, 2);
      else this.replica.reset(updates, 2);
      if (typeof txnId === 'string') this.replica.lastTxnId = txnId;
    } else if (method === 'monitor_cond') {
      this.replica.lastLoad = 'full';
      this.replica.reset(await request(method, [this.database, this.id, this.requests(true)]), 2);
    } else {
      this.replica.lastLoad = 'full';
      this.replica.reset(await request(method, [this.database, this.id, this.requests(false)]), 1);
    }
  }

  /** Handles an update/update2/update3 notification addressed to this monitor. */
  notify(method: string, params: Json[]): void {
    if (method === 'update3') {
      if (typeof params[1] === 'string') this.replica.lastTxnId = params[1];
      this.replica.apply(params[2] ?? null, 2);
    } else if (method === 'update2') this.replica.apply(params[1] ?? null, 2);
    else if (method === 'update') this.replica.apply(params[1] ?? null, 1);
  }
}

const zeroUuid = '00000000-0000-0000-0000-000000000000';

function isUnknownMethod(err: OvsdbRpcError): boolean {
  return /unknown method/i.test(JSON.stringify(err.error));
}

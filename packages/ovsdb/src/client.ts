import { OvsdbConnectionError } from './errors.js';
import { type MonitorMethod, MonitorRegistration, type MonitorTables } from './monitor.js';
import { type Operation, type OperationResult, operationToWire, parseTransactResult } from './operations.js';
import type { Replica } from './replica.js';
import { type OvsdbTarget, RpcConnection } from './rpc-connection.js';
import { type DatabaseSchema, parseSchema } from './schema.js';
import type { Json } from './values.js';

export interface OvsdbClientOptions {
  target: OvsdbTarget;
  /** Reconnect after the connection drops (default true). */
  reconnect?: boolean;
  /** Reconnect backoff: first delay and cap, doubling in between (default 100 ms → 5 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Send an echo every `intervalMs`; no reply within the next interval = dead connection. `false` disables. */
  keepalive?: { intervalMs: number } | false;
  /** Timeout of each request, including waiting for a reconnect (default 30 s). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  log?: (message: string) => void;
}

export type ConnectionState = 'connected' | 'disconnected' | 'closed';

/** An RFC 7047 OVSDB client with monitors, keepalive and reconnect. */
export class OvsdbClient {
  private conn: RpcConnection | undefined;
  private state: ConnectionState = 'disconnected';
  private readonly monitors = new Map<string, MonitorRegistration>();
  private readonly schemas = new Map<string, DatabaseSchema>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private methods: MonitorMethod[] = ['monitor_cond_since', 'monitor_cond', 'monitor'];
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private monitorSeq = 0;
  /** Round-trip time of the last keepalive echo. */
  lastEchoRttMs: number | undefined;
  /** Number of successful (re)connections. */
  connections = 0;

  private constructor(private readonly opts: OvsdbClientOptions) {}

  /** Connects (the first connection must succeed) and returns the client. */
  static async connect(opts: OvsdbClientOptions): Promise<OvsdbClient> {
    const c = new OvsdbClient(opts);
    await c.open();
    return c;
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  onStateChange(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  async listDbs(): Promise<string[]> {
    const r = await this.request('list_dbs', []);
    return Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : [];
  }

  async getSchema(database: string): Promise<DatabaseSchema> {
    const cached = this.schemas.get(database);
    if (cached) return cached;
    const s = parseSchema(await this.request('get_schema', [database]));
    this.schemas.set(database, s);
    return s;
  }

  /** Runs operations atomically; throws OvsdbTransactionError naming the failed operation. */
  async transact(database: string, operations: readonly Operation[]): Promise<OperationResult[]> {
    const result = await this.request('transact', [database, ...operations.map(operationToWire)]);
    return parseTransactResult(database, operations, result);
  }

  async echo(): Promise<void> {
    await this.request('echo', ['kumo-echo']);
  }

  /** Starts a monitor; the replica is loaded when this resolves and is kept in sync across reconnects. */
  async monitor(database: string, tables: MonitorTables): Promise<Replica> {
    const schema = await this.getSchema(database);
    const reg = new MonitorRegistration(`kumo-mon-${++this.monitorSeq}`, database, schema, tables);
    this.monitors.set(reg.id, reg);
    try {
      await reg.start((m, p) => this.request(m, p), this.methods);
    } catch (err) {
      this.monitors.delete(reg.id);
      throw err;
    }
    return reg.replica;
  }

  /** Stops a monitor started by monitor(). */
  async cancelMonitor(replica: Replica): Promise<void> {
    for (const [id, reg] of this.monitors) {
      if (reg.replica !== replica) continue;
      this.monitors.delete(id);
      if (this.state === 'connected') await this.request('monitor_cancel', [id]).catch(() => undefined);
    }
  }

  /** The monitor method in use (after fallbacks). */
  get monitorMethod(): MonitorMethod {
    return this.methods[0] ?? 'monitor';
  }

  async close(): Promise<void> {
    this.setState('closed');
    clearTimeout(this.reconnectTimer);
    clearInterval(this.keepaliveTimer);
    this.conn?.close();
    this.conn = undefined;
  }

  private async request(method: string, params: Json[]): Promise<Json> {
    const timeout = this.opts.requestTimeoutMs ?? 30_000;
    const conn = this.conn && !this.conn.isClosed ? this.conn : await this.whenConnected(timeout);
    return conn.request(method, params, timeout);
  }

  private whenConnected(timeoutMs: number): Promise<RpcConnection> {
    if (this.state === 'closed' || this.opts.reconnect === false) {
      return Promise.reject(new OvsdbConnectionError('OVSDB client is not connected'));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new OvsdbConnectionError(`OVSDB not reconnected within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onStateChange((s) => {
        if (s === 'disconnected') return;
        clearTimeout(timer);
        off();
        if (s === 'connected' && this.conn) resolve(this.conn);
        else reject(new OvsdbConnectionError('OVSDB client closed'));
      });
    });
  }

  private async open(): Promise<void> {
    const conn = await RpcConnection.connect(
      this.opts.target,
      {
        notification: (method, params) => this.onNotification(method, params),
        close: (reason) => this.onClose(conn, reason),
      },
      this.opts.connectTimeoutMs,
    );
    if (this.state === 'closed') {
      conn.close();
      return;
    }
    this.conn = conn;
    this.methods = ['monitor_cond_since', 'monitor_cond', 'monitor'];
    try {
      for (const reg of this.monitors.values()) {
        if (!reg.started) continue;
        await reg.start((m, p) => conn.request(m, p, this.opts.requestTimeoutMs ?? 30_000), this.methods);
      }
    } catch (err) {
      conn.close();
      throw err;
    }
    this.attempt = 0;
    this.connections++;
    this.startKeepalive(conn);
    this.setState('connected');
  }

  private onNotification(method: string, params: Json[]): void {
    const id = params[0];
    if (typeof id !== 'string') return;
    this.monitors.get(id)?.notify(method, params);
  }

  private onClose(conn: RpcConnection | undefined, reason: Error): void {
    if (conn !== undefined && this.conn !== conn) return;
    clearInterval(this.keepaliveTimer);
    this.conn = undefined;
    if (this.state === 'closed') return;
    this.opts.log?.(`ovsdb: connection lost: ${reason.message}`);
    this.setState('disconnected');
    if (this.opts.reconnect !== false) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const initial = this.opts.backoff?.initialMs ?? 100;
    const max = this.opts.backoff?.maxMs ?? 5000;
    const delay = Math.min(max, initial * 2 ** this.attempt++);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      if (this.state === 'closed') return;
      this.open().catch((err: unknown) => {
        this.opts.log?.(`ovsdb: reconnect failed: ${err instanceof Error ? err.message : String(err)}`);
        if (this.state !== 'closed' && !this.conn) this.scheduleReconnect();
      });
    }, delay);
  }

  private startKeepalive(conn: RpcConnection): void {
    clearInterval(this.keepaliveTimer);
    const ka = this.opts.keepalive ?? { intervalMs: 5000 };
    if (ka === false) return;
    this.keepaliveTimer = setInterval(() => {
      const t0 = performance.now();
      conn.request('echo', ['kumo-keepalive'], ka.intervalMs).then(
        () => {
          this.lastEchoRttMs = performance.now() - t0;
        },
        (err: unknown) => {
          if (conn.isClosed) return;
          this.opts.log?.(`ovsdb: keepalive failed, dropping connection: ${(err as Error).message}`);
          conn.close();
        },
      );
    }, ka.intervalMs);
    this.keepaliveTimer.unref();
  }

  private setState(s: ConnectionState): void {
    if (this.state === s || this.state === 'closed') return;
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }
}

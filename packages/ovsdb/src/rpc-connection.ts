import net from 'node:net';
import { OvsdbConnectionError, OvsdbRpcError } from './errors.js';
import { JsonStreamParser } from './json-stream.js';
import type { Json } from './values.js';

/** Where the server listens: `unix:/path/sock`, `tcp:host:port`, or an object. */
export type OvsdbTarget = string | { path: string } | { host: string; port: number };

export function parseTarget(target: OvsdbTarget): net.NetConnectOpts {
  if (typeof target !== 'string') return 'path' in target ? { path: target.path } : target;
  if (target.startsWith('unix:')) return { path: target.slice(5) };
  if (target.startsWith('tcp:')) {
    const rest = target.slice(4);
    const idx = rest.lastIndexOf(':');
    const port = Number(rest.slice(idx + 1));
    if (idx <= 0 || !Number.isInteger(port))
      throw new OvsdbConnectionError(`bad OVSDB tcp target '${target}'`);
    return { host: rest.slice(0, idx).replace(/^\[|\]$/g, ''), port };
  }
  throw new OvsdbConnectionError(
    `unsupported OVSDB target '${target}' (use unix:<path> or tcp:<host>:<port>)`,
  );
}

export interface RpcEvents {
  notification(method: string, params: Json[]): void;
  close(reason: Error): void;
}

interface Pending {
  method: string;
  resolve(v: Json): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/** One JSON-RPC 1.0 session over a stream socket. Answers the server's `echo` requests itself. */
export class RpcConnection {
  private readonly parser = new JsonStreamParser();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly events: RpcEvents,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) =>
      this.shutdown(new OvsdbConnectionError(`OVSDB socket error: ${err.message}`)),
    );
    socket.on('close', () => this.shutdown(new OvsdbConnectionError('OVSDB connection closed')));
  }

  static connect(target: OvsdbTarget, events: RpcEvents, timeoutMs = 5000): Promise<RpcConnection> {
    const opts = parseTarget(target);
    return new Promise((resolve, reject) => {
      const socket = net.connect(opts);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new OvsdbConnectionError(`OVSDB connect to ${describe(opts)} timed out after ${timeoutMs} ms`),
        );
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new OvsdbConnectionError(`OVSDB connect to ${describe(opts)} failed: ${err.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay?.(true);
        resolve(new RpcConnection(socket, events));
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  request(method: string, params: Json[], timeoutMs?: number): Promise<Json> {
    if (this.closed) return Promise.reject(new OvsdbConnectionError(`OVSDB connection closed (${method})`));
    const id = this.nextId++;
    return new Promise<Json>((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.pending.delete(id);
              reject(new OvsdbConnectionError(`OVSDB ${method} timed out after ${timeoutMs} ms`));
            }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.send({ method, params, id });
    });
  }

  notify(method: string, params: Json[]): void {
    if (!this.closed) this.send({ method, params, id: null });
  }

  close(): void {
    this.socket.destroy();
    this.shutdown(new OvsdbConnectionError('OVSDB connection closed by client'));
  }

  private send(msg: Json): void {
    this.socket.write(JSON.stringify(msg));
  }

  private onData(chunk: Buffer): void {
    let messages: Json[];
    try {
      messages = this.parser.push(chunk);
    } catch (err) {
      this.socket.destroy();
      this.shutdown(err as Error);
      return;
    }
    for (const m of messages) this.dispatch(m);
  }

  private dispatch(m: Json): void {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return;
    if (typeof m.method === 'string') {
      const params = Array.isArray(m.params) ? m.params : [];
      if (m.method === 'echo' && m.id !== null && m.id !== undefined) {
        this.send({ result: params, error: null, id: m.id });
        return;
      }
      this.events.notification(m.method, params);
      return;
    }
    if (typeof m.id !== 'number') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (p.timer) clearTimeout(p.timer);
    if (m.error !== null && m.error !== undefined) p.reject(new OvsdbRpcError(p.method, m.error));
    else p.resolve(m.result ?? null);
  }

  private shutdown(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new OvsdbConnectionError(`${reason.message} (during ${p.method})`));
    }
    this.pending.clear();
    this.events.close(reason);
  }
}

function describe(opts: net.NetConnectOpts): string {
  return 'path' in opts && opts.path
    ? `unix:${opts.path}`
    : `tcp:${(opts as net.TcpNetConnectOpts).host}:${(opts as net.TcpNetConnectOpts).port}`;
}

import type { PeerCertificate } from 'node:tls';
import {
  type handleServerStreamingCall,
  type handleUnaryCall,
  Metadata,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  status,
} from '@grpc/grpc-js';
import { type Logger, REQUEST_ID_HEADER, requestIdFrom } from '@kumo/service-kit';
import { DriverError } from '../drivers/ids.js';
import { ROLE_CONTROL_PLANE } from '../pki/x509.js';
import { type RpcStatus, toStatus } from './status.js';

export interface RpcContext {
  requestId: string;
  log: Logger;
}

/** Decides whether a client certificate may call the agent (undefined: no TLS peer certificate). */
export type AuthorizePeer = (cert: PeerCertificate | undefined) => RpcStatus | undefined;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * Default policy: the TLS handshake already proved the certificate is from the
 * Kumo CA; only the control plane's (OU=control-plane) may drive an agent —
 * another agent's certificate is refused.
 */
export const controlPlaneOnly: AuthorizePeer = (cert) => {
  if (!cert?.subject) return { code: status.UNAUTHENTICATED, details: 'a client certificate is required' };
  if (first(cert.subject.OU) !== ROLE_CONTROL_PLANE)
    return {
      code: status.PERMISSION_DENIED,
      details: `certificate ${first(cert.subject.CN) ?? '?'} may not call the agent`,
    };
  return undefined;
};

const BAD_REQUEST = Symbol('bad-request');
type BadRequest = { [BAD_REQUEST]: string };

/**
 * grpc-js answers a request it cannot decode with INTERNAL; bad bytes are bad
 * input, so decode failures become a marker the handler turns into INVALID_ARGUMENT.
 */
export function guardDecoding<S extends ServiceDefinition>(def: S): S {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(def)) {
    out[name] = {
      ...m,
      requestDeserialize: (buf: Buffer) => {
        try {
          return m.requestDeserialize(buf);
        } catch (err) {
          return { [BAD_REQUEST]: (err as Error).message } satisfies BadRequest;
        }
      },
    };
  }
  return out as S;
}

function checkDecoded(req: unknown): void {
  if (req && typeof req === 'object' && BAD_REQUEST in req)
    throw new DriverError('invalid', `malformed request: ${(req as BadRequest)[BAD_REQUEST]}`);
}

export interface RpcDeps {
  logger: Logger;
  authorize: AuthorizePeer;
}

function begin(
  deps: RpcDeps,
  name: string,
  call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
) {
  const requestId = requestIdFrom(call.metadata.get(REQUEST_ID_HEADER)[0]?.toString());
  const log = deps.logger.child({ rpc: name, requestId });
  const md = new Metadata();
  md.set(REQUEST_ID_HEADER, requestId);
  call.sendMetadata(md);
  const denied = deps.authorize(call.getAuthContext()?.sslPeerCertificate);
  return { ctx: { requestId, log }, denied };
}

function logEnd(log: Logger, t0: number, st: RpcStatus | undefined, err?: unknown) {
  const ms = Math.round((performance.now() - t0) * 10) / 10;
  if (!st) log.info({ ms, code: 'OK' }, 'rpc');
  else if (st.code === status.INTERNAL) log.error({ ms, code: status[st.code], err }, 'rpc failed');
  else log.info({ ms, code: status[st.code], details: st.details }, 'rpc');
}

/** A unary handler: request id from metadata into logs (and echoed back), auth, decode check, error mapping. It never throws. */
export function unary<Req, Res>(
  deps: RpcDeps,
  name: string,
  fn: (req: Req, ctx: RpcContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const t0 = performance.now();
    let started: ReturnType<typeof begin>;
    try {
      started = begin(deps, name, call as ServerUnaryCall<unknown, unknown>);
    } catch (err) {
      deps.logger.error({ rpc: name, err }, 'rpc setup failed');
      callback({ code: status.INTERNAL, details: 'internal error' });
      return;
    }
    const { ctx, denied } = started;
    if (denied) {
      logEnd(ctx.log, t0, denied);
      callback(denied);
      return;
    }
    Promise.resolve()
      .then(() => {
        checkDecoded(call.request);
        return fn(call.request, ctx);
      })
      .then(
        (res) => {
          logEnd(ctx.log, t0, undefined);
          callback(null, res);
        },
        (err: unknown) => {
          const st = toStatus(err, ctx.requestId);
          logEnd(ctx.log, t0, st, err);
          callback(st);
        },
      );
  };
}

/**
 * A server-streaming handler: `fn` writes until the client cancels or the
 * server shuts down (the signal aborts); then the stream ends with OK.
 */
export function serverStream<Req, Res>(
  deps: RpcDeps,
  name: string,
  track: (stop: () => void) => () => void,
  fn: (req: Req, write: (msg: Res) => void, signal: AbortSignal, ctx: RpcContext) => Promise<void>,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const t0 = performance.now();
    let started: ReturnType<typeof begin>;
    try {
      started = begin(deps, name, call as ServerWritableStream<unknown, unknown>);
    } catch (err) {
      deps.logger.error({ rpc: name, err }, 'rpc setup failed');
      call.emit('error', { code: status.INTERNAL, details: 'internal error' });
      return;
    }
    const { ctx, denied } = started;
    if (denied) {
      logEnd(ctx.log, t0, denied);
      call.emit('error', denied);
      return;
    }
    const ac = new AbortController();
    const untrack = track(() => ac.abort());
    call.on('cancelled', () => ac.abort());
    call.on('error', () => ac.abort());
    const write = (msg: Res) => {
      if (!ac.signal.aborted && !call.cancelled && call.writable) call.write(msg);
    };
    Promise.resolve()
      .then(() => {
        checkDecoded(call.request);
        return fn(call.request, write, ac.signal, ctx);
      })
      .then(
        () => {
          logEnd(ctx.log, t0, undefined);
          if (!call.cancelled && call.writable) call.end();
        },
        (err: unknown) => {
          const st = toStatus(err, ctx.requestId);
          logEnd(ctx.log, t0, st, err);
          if (!call.cancelled && call.writable) call.emit('error', st);
        },
      )
      .finally(() => {
        ac.abort();
        untrack();
      });
  };
}

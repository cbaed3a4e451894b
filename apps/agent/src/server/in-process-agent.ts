import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import {
  type ClientReadableStream,
  Metadata,
  type ServiceDefinition,
  type ServiceError,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  ComputeServiceService,
  HostServiceService,
  NetworkServiceService,
  StorageServiceService,
  type WatchEventsRequest,
  type WatchEventsResponse,
} from '@kumo/agent-proto';
import { createLogger, type Logger, REQUEST_ID_HEADER } from '@kumo/service-kit';
import type { AgentClients, CallOpts, Promised } from './client.js';
import { computeService } from './compute.service.js';
import type { AgentDrivers } from './daemon.js';
import { hostService } from './host.service.js';
import { networkService } from './network.service.js';
import type { RpcStatus } from './status.js';
import { storageService } from './storage.service.js';

export interface InProcessAgentOptions {
  /** The host id GetHostInfo answers (default 'in-process'). */
  hostId?: string;
  /** Where the handlers log each RPC (default: nowhere). */
  logger?: Logger;
  agentVersion?: string;
  /** Default WatchEvents heartbeat period (ms), 10 s unless told. */
  heartbeatMs?: number;
}

/** The agent's RPCs on local drivers, shaped like `AgentClients` (what compute's AgentPort picks). */
export interface InProcessAgent extends Pick<AgentClients, 'host' | 'compute' | 'storage' | 'network'> {
  readonly hostId: string;
  watchEvents(req?: Partial<WatchEventsRequest>, opts?: CallOpts): ClientReadableStream<WatchEventsResponse>;
  /** End every event stream with OK, as the agent's server shutdown does. The drivers are left alone. */
  close(): void;
}

/** What a grpc-js client rejects with for a status: an Error carrying code, details and metadata. */
export function inProcessServiceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

function metadataOf(opts: CallOpts): Metadata {
  const md = new Metadata();
  if (opts.requestId) md.set(REQUEST_ID_HEADER, opts.requestId);
  return md;
}

/** Through the protobuf encoding and back, as the network would: defaults filled in, unknown fields dropped. */
function viaWire<T>(serialize: (v: T) => Buffer, deserialize: (b: Buffer) => T, value: T): T {
  return deserialize(serialize(value));
}

/** The parts of a grpc-js server call the handlers in rpc.ts use. */
class InProcessServerCall<Req> extends EventEmitter {
  cancelled = false;
  writable = true;
  constructor(
    readonly request: Req,
    readonly metadata: Metadata,
  ) {
    super();
  }
  sendMetadata(_md: Metadata): void {}
  getAuthContext(): Record<string, never> {
    return {};
  }
  getPeer(): string {
    return 'in-process';
  }
}

type UnaryHandler = (call: unknown, cb: (err: RpcStatus | null, res?: unknown) => void) => void;
type StreamHandler = (call: unknown) => void;

function inProcessUnary<D extends ServiceDefinition>(
  def: D,
  impl: UntypedServiceImplementation,
): Promised<D> {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(def)) {
    if (m.requestStream || m.responseStream) continue;
    const handler = impl[name] as unknown as UnaryHandler;
    out[name] = (req: unknown, opts: CallOpts = {}) =>
      new Promise((resolve, reject) => {
        let wireReq: unknown;
        try {
          wireReq = viaWire(m.requestSerialize, m.requestDeserialize, req);
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          reject(inProcessServiceError(status.INTERNAL, `Request message serialization failure: ${why}`));
          return;
        }
        let timer: NodeJS.Timeout | undefined;
        if (opts.deadlineMs)
          timer = setTimeout(
            () => reject(inProcessServiceError(status.DEADLINE_EXCEEDED, 'Deadline exceeded')),
            opts.deadlineMs,
          );
        handler(new InProcessServerCall(wireReq, metadataOf(opts)), (err, res) => {
          clearTimeout(timer);
          if (err) reject(inProcessServiceError(err.code ?? status.UNKNOWN, err.details ?? 'unknown error'));
          else resolve(viaWire(m.responseSerialize, m.responseDeserialize, res));
        });
      });
  }
  return out as Promised<D>;
}

/** The client's side of an in-process server stream: a Readable of messages with grpc-js's call surface. */
class InProcessClientStream<T> extends Readable {
  constructor(
    readonly deserialize: (chunk: Buffer) => T,
    private readonly onCancel: () => void,
  ) {
    super({ objectMode: true });
  }
  override _read(): void {}
  cancel(): void {
    this.onCancel();
  }
  getPeer(): string {
    return 'in-process';
  }
  getAuthContext(): null {
    return null;
  }
}

/** A server-streaming call: messages cross the encoding and arrive asynchronously, in order. */
function openStream<Req, Res>(
  m: ServiceDefinition[string],
  handler: StreamHandler,
  req: Req,
  opts: CallOpts,
): ClientReadableStream<Res> {
  const wireReq = viaWire(m.requestSerialize, m.requestDeserialize, req);
  const call = new InProcessServerCall(wireReq, metadataOf(opts));
  let finished = false;
  const finish = (err?: ServiceError) => {
    if (finished) return;
    finished = true;
    call.writable = false;
    queueMicrotask(() => (err ? client.destroy(err) : client.push(null)));
  };
  const client = new InProcessClientStream<Res>(m.responseDeserialize as (b: Buffer) => Res, () => {
    if (finished) return;
    call.cancelled = true;
    call.emit('cancelled');
    finish(inProcessServiceError(status.CANCELLED, 'Cancelled on client'));
  });
  const server = Object.assign(call, {
    write(msg: Res): boolean {
      if (finished) return false;
      const copy = viaWire(m.responseSerialize, m.responseDeserialize, msg) as Res;
      queueMicrotask(() => client.push(copy));
      return true;
    },
    end(): void {
      finish();
    },
  });
  // The handler reports a failed stream by emitting 'error' with a status on its call.
  server.on('error', (st: RpcStatus) =>
    finish(inProcessServiceError(st?.code ?? status.UNKNOWN, st?.details ?? 'unknown error')),
  );
  handler(server);
  return client as unknown as ClientReadableStream<Res>;
}

/**
 * An agent without the network: the very service handlers the gRPC server runs
 * (validation, error mapping, logging) on `drivers`, behind the promise API of
 * `AgentClients`. Requests and answers go through the protobuf encoding, and
 * failures reject with grpc-js-shaped errors (`{ code: status.NOT_FOUND,
 * details, message }`), so callers handle a fake host exactly like a remote
 * one. Every caller is trusted (no certificate check).
 */
export function createInProcessAgent(
  drivers: AgentDrivers,
  opts: InProcessAgentOptions = {},
): InProcessAgent {
  const hostId = opts.hostId ?? 'in-process';
  const logger = (opts.logger ?? createLogger({ service: 'agent', level: 'silent' })).child({ hostId });
  const rpc = { logger, authorize: () => undefined };
  const streams = new Set<() => void>();
  const trackStream = (stop: () => void) => {
    streams.add(stop);
    return () => streams.delete(stop);
  };
  const host = hostService({
    ...rpc,
    compute: drivers.compute,
    storage: drivers.storage,
    network: drivers.network,
    hostId,
    agentVersion: opts.agentVersion ?? '0.1.0',
    heartbeatMs: opts.heartbeatMs ?? 10_000,
    trackStream,
  }) as unknown as UntypedServiceImplementation;
  const compute = computeService({ ...rpc, compute: drivers.compute });
  const storage = storageService({ ...rpc, storage: drivers.storage });
  const network = networkService({ ...rpc, network: drivers.network });
  return {
    hostId,
    host: inProcessUnary(HostServiceService, host),
    compute: inProcessUnary(ComputeServiceService, compute as unknown as UntypedServiceImplementation),
    storage: inProcessUnary(StorageServiceService, storage as unknown as UntypedServiceImplementation),
    network: inProcessUnary(NetworkServiceService, network as unknown as UntypedServiceImplementation),
    watchEvents: (req = {}, callOpts = {}) =>
      openStream<WatchEventsRequest, WatchEventsResponse>(
        HostServiceService.watchEvents,
        host.watchEvents as unknown as StreamHandler,
        { heartbeatIntervalMs: 0, ...req },
        callOpts,
      ),
    close() {
      for (const stop of [...streams]) stop();
    },
  };
}

import {
  type CallOptions,
  type ChannelOptions,
  type Client,
  type ClientReadableStream,
  credentials,
  Metadata,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  ComputeServiceClient,
  ComputeServiceService,
  HostServiceClient,
  HostServiceService,
  NetworkServiceClient,
  NetworkServiceService,
  StorageServiceClient,
  StorageServiceService,
  type WatchEventsRequest,
  type WatchEventsResponse,
} from '@kumo/agent-proto';
import { REQUEST_ID_HEADER } from '@kumo/service-kit';
import type { TlsIdentity } from './agent-server.js';

export interface CallOpts {
  /** Sent as x-openstack-request-id; the agent logs it. */
  requestId?: string;
  deadlineMs?: number;
}

/** The unary methods of a generated service definition as promise-returning functions. */
export type Promised<D> = {
  [K in keyof D as D[K] extends { requestStream: false; responseStream: false } ? K : never]: D[K] extends {
    requestSerialize: (value: infer Req) => Buffer;
    responseDeserialize: (value: Buffer) => infer Res;
  }
    ? (req: Req, opts?: CallOpts) => Promise<Res>
    : never;
};

const metadataOf = (opts: CallOpts) => {
  const md = new Metadata();
  if (opts.requestId) md.set(REQUEST_ID_HEADER, opts.requestId);
  return md;
};
const optionsOf = (opts: CallOpts): Partial<CallOptions> =>
  opts.deadlineMs ? { deadline: Date.now() + opts.deadlineMs } : {};

export function promised<D extends ServiceDefinition>(client: Client, def: D): Promised<D> {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(def)) {
    if (m.requestStream || m.responseStream) continue;
    const method = (client as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!.bind(client);
    out[name] = (req: unknown, opts: CallOpts = {}) =>
      new Promise((resolve, reject) =>
        method(req, metadataOf(opts), optionsOf(opts), (err: ServiceError | null, res: unknown) =>
          err ? reject(err) : resolve(res),
        ),
      );
  }
  return out as Promised<D>;
}

export interface AgentClients {
  host: Promised<typeof HostServiceService>;
  compute: Promised<typeof ComputeServiceService>;
  storage: Promised<typeof StorageServiceService>;
  network: Promised<typeof NetworkServiceService>;
  watchEvents(req?: Partial<WatchEventsRequest>, opts?: CallOpts): ClientReadableStream<WatchEventsResponse>;
  raw: {
    host: HostServiceClient;
    compute: ComputeServiceClient;
    storage: StorageServiceClient;
    network: NetworkServiceClient;
  };
  close(): void;
}

/**
 * Clients for one agent over mTLS, with the caller's CA-signed certificate.
 * The agent's certificate names its host id, not its address, so the TLS name
 * checked is the host id.
 */
export function createAgentClients(
  address: string,
  identity: TlsIdentity,
  opts: { hostId: string; channelOptions?: ChannelOptions },
): AgentClients {
  const creds = credentials.createSsl(
    Buffer.from(identity.caPem),
    Buffer.from(identity.keyPem),
    Buffer.from(identity.certPem),
  );
  const options: ChannelOptions = {
    'grpc.ssl_target_name_override': opts.hostId,
    'grpc.default_authority': opts.hostId,
    ...opts.channelOptions,
  };
  const raw = {
    host: new HostServiceClient(address, creds, options),
    compute: new ComputeServiceClient(address, creds, options),
    storage: new StorageServiceClient(address, creds, options),
    network: new NetworkServiceClient(address, creds, options),
  };
  return {
    host: promised(raw.host, HostServiceService),
    compute: promised(raw.compute, ComputeServiceService),
    storage: promised(raw.storage, StorageServiceService),
    network: promised(raw.network, NetworkServiceService),
    watchEvents: (req = {}, callOpts = {}) =>
      raw.host.watchEvents({ heartbeatIntervalMs: 0, ...req }, metadataOf(callOpts), optionsOf(callOpts)),
    raw,
    close() {
      for (const c of Object.values(raw)) c.close();
    },
  };
}

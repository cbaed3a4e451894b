import { Server, ServerCredentials } from '@grpc/grpc-js';
import {
  ComputeServiceService,
  HostServiceService,
  NetworkServiceService,
  StorageServiceService,
} from '@kumo/agent-proto';
import type { Logger } from '@kumo/service-kit';
import type { ComputeDriver } from '../drivers/compute.js';
import type { NetworkDriver } from '../drivers/network.js';
import type { StorageDriver } from '../drivers/storage.js';
import { computeService } from './compute.service.js';
import { hostService } from './host.service.js';
import { networkService } from './network.service.js';
import { type AuthorizePeer, controlPlaneOnly, guardDecoding } from './rpc.js';
import { storageService } from './storage.service.js';

export interface TlsIdentity {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** mTLS: the agent's own certificate, and only clients with a certificate from the Kumo CA. */
export function agentServerCredentials(id: TlsIdentity): ServerCredentials {
  return ServerCredentials.createSsl(
    Buffer.from(id.caPem),
    [{ cert_chain: Buffer.from(id.certPem), private_key: Buffer.from(id.keyPem) }],
    true,
  );
}

export interface AgentServerDeps {
  compute: ComputeDriver;
  storage: StorageDriver;
  network: NetworkDriver;
  logger: Logger;
  hostId: string;
  agentVersion?: string;
  /** Default WatchEvents heartbeat period (ms), 10 s unless told. */
  heartbeatMs?: number;
  /** Who may call; default: certificates of the control plane only. */
  authorize?: AuthorizePeer;
}

/**
 * The agent's gRPC server: kumo.agent.v1 Host/Compute/Storage/Network services
 * on injected drivers. Shutting it down ends streams and calls; it never
 * touches the guests.
 */
export class AgentServer {
  readonly server: Server;
  private readonly streams = new Set<() => void>();
  private port: number | undefined;

  constructor(private readonly deps: AgentServerDeps) {
    this.server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
    const rpc = { logger: deps.logger, authorize: deps.authorize ?? controlPlaneOnly };
    const trackStream = (stop: () => void) => {
      this.streams.add(stop);
      return () => this.streams.delete(stop);
    };
    this.server.addService(
      guardDecoding(HostServiceService),
      hostService({
        ...rpc,
        compute: deps.compute,
        storage: deps.storage,
        network: deps.network,
        hostId: deps.hostId,
        agentVersion: deps.agentVersion ?? '0.1.0',
        heartbeatMs: deps.heartbeatMs ?? 10_000,
        trackStream,
      }),
    );
    this.server.addService(
      guardDecoding(ComputeServiceService),
      computeService({ ...rpc, compute: deps.compute }),
    );
    this.server.addService(
      guardDecoding(StorageServiceService),
      storageService({ ...rpc, storage: deps.storage }),
    );
    this.server.addService(
      guardDecoding(NetworkServiceService),
      networkService({ ...rpc, network: deps.network }),
    );
  }

  /** Bind `address` (host:port; port 0 picks one) and return the port. */
  listen(address: string, credentials: ServerCredentials): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, credentials, (err, port) => {
        if (err) return reject(err);
        this.port = port;
        this.deps.logger.info({ address, port }, 'agent gRPC server listening');
        resolve(port);
      });
    });
  }

  get boundPort(): number | undefined {
    return this.port;
  }

  /** End every event stream, let calls in flight finish for up to `graceMs`, then cut the rest. */
  async shutdown(graceMs = 5_000): Promise<void> {
    for (const stop of [...this.streams]) stop();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.deps.logger.warn({ graceMs }, 'calls still running after the grace period: forcing shutdown');
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

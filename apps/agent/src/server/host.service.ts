import type * as P from '@kumo/agent-proto';
import { Arch, Hypervisor } from '@kumo/agent-proto';
import type { ComputeDriver, HostEvent } from '../drivers/compute.js';
import type { NetworkDriver } from '../drivers/network.js';
import type { StorageDriver } from '../drivers/storage.js';
import { archOut, hypervisorOut } from './enums.js';
import { parseRequest, watchEventsIn } from './from-wire.js';
import { type RpcDeps, serverStream, unary } from './rpc.js';
import { eventToWire, hostInfoOut, usageOut } from './to-wire.js';

export interface HostServiceDeps extends RpcDeps {
  compute: ComputeDriver;
  storage: StorageDriver;
  network: NetworkDriver;
  hostId: string;
  agentVersion: string;
  /** Default heartbeat period of WatchEvents (ms). */
  heartbeatMs: number;
  /** Register a stream's stop function (server shutdown ends every stream); returns the unregister. */
  trackStream: (stop: () => void) => () => void;
}

/** kumo.agent.v1.HostService: inventory, and the event stream with the agent's own heartbeat. */
export function hostService(deps: HostServiceDeps): P.HostServiceServer {
  return {
    getHostInfo: unary(deps, 'GetHostInfo', async () => {
      const [host, usage] = await Promise.all([deps.compute.hostInfo(), deps.storage.usage()]);
      const cc = deps.compute.capabilities;
      const sc = deps.storage.capabilities;
      return {
        hostId: deps.hostId,
        host: hostInfoOut(host),
        compute: {
          hypervisor: hypervisorOut[cc.hypervisor] ?? Hypervisor.UNSPECIFIED,
          arch: archOut[cc.arch] ?? Arch.UNSPECIFIED,
          hotplugDisk: cc.hotplugDisk,
          hotplugInterface: cc.hotplugInterface,
          pause: cc.pause,
          configDrive: cc.configDrive,
          serialConsoleLog: cc.serialConsoleLog,
        },
        storage: { backend: sc.backend, copyOnWrite: sc.copyOnWrite, resize: sc.resize, shrink: sc.shrink },
        network: { backend: deps.network.capabilities.backend },
        storageUsage: usageOut(usage),
        agentVersion: deps.agentVersion,
      };
    }),

    watchEvents: serverStream(
      deps,
      'WatchEvents',
      deps.trackStream,
      async (req: P.WatchEventsRequest, write: (m: P.WatchEventsResponse) => void, signal) => {
        const every = parseRequest(watchEventsIn, req).heartbeatIntervalMs || deps.heartbeatMs;
        // subscribe before the first heartbeat: a client that saw it misses no later event
        const events = deps.compute.events(signal)[Symbol.asyncIterator]();
        const beat = () => write({ event: eventToWire({ type: 'heartbeat', at: Date.now() }) });
        beat();
        const timer = setInterval(beat, every);
        const aborted = new Promise<IteratorResult<HostEvent>>((resolve) => {
          if (signal.aborted) resolve({ done: true, value: undefined });
          signal.addEventListener('abort', () => resolve({ done: true, value: undefined }), { once: true });
        });
        try {
          for (;;) {
            const next = await Promise.race([events.next(), aborted]);
            if (next.done || signal.aborted) break;
            write({ event: eventToWire(next.value as HostEvent) });
          }
        } finally {
          clearInterval(timer);
          await events.return?.();
        }
      },
    ),
  };
}

import { join } from 'node:path';
import { ensureChassis } from '@kumo/ovn';
import { createLogger, type Logger } from '@kumo/service-kit';
import type { AgentConfig } from '../config.js';
import { BridgeNetworkDriver } from '../drivers/bridge/index.js';
import type { ComputeDriver } from '../drivers/compute.js';
import { FakeNetworkDriver } from '../drivers/fake/fake-network.driver.js';
import { createFakeDrivers } from '../drivers/fake/index.js';
import { createLibvirtDriver } from '../drivers/libvirt/index.js';
import { LocalStorageDriver } from '../drivers/local/index.js';
import type { NetworkDriver } from '../drivers/network.js';
import { OvnNetworkDriver } from '../drivers/ovn/index.js';
import type { StorageDriver } from '../drivers/storage.js';
import { type AgentIdentity, ControlPlaneClient, loadOrJoin } from '../pki/enrol.js';
import { inventoryOf } from '../pki/inventory.js';
import { AgentServer, agentServerCredentials } from './agent-server.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentDrivers {
  compute: ComputeDriver;
  storage: StorageDriver;
  network: NetworkDriver;
  /** Release driver resources (timers, event watchers). Never stops guests. */
  close?(): Promise<void> | void;
}

/**
 * Drivers by name. `libvirt`: local qcow2 storage under $KUMO_HOME
 * (images/, disks/), the libvirt compute driver (config drives and console
 * logs under $KUMO_HOME/instances, disks resolved by the storage driver, KVM only where the
 * boot probe proves it) and the network backend of KUMO_AGENT_NETWORK_DRIVER (default the
 * placeholder bridge network: one Linux bridge per network, bindings under <state>/network).
 * `fake`: the in-memory host.
 */
export async function buildDrivers(cfg: AgentConfig, log?: Logger): Promise<AgentDrivers> {
  if (cfg.driver === 'fake') {
    const d = createFakeDrivers({ host: { hostname: cfg.hostId } });
    return { ...d, close: () => d.compute.close() };
  }
  const storage = new LocalStorageDriver({ root: cfg.home });
  const compute = await createLibvirtDriver({
    // not under the state dir: its certs/ make it private, and QEMU (libvirt-qemu) opens files here
    instancesDir: join(cfg.home, 'instances'),
    storageRoot: storage.root,
    resolveDisk: (d) => storage.getDisk(d),
    probe: cfg.kvmProbeKernel ? { kernel: cfg.kvmProbeKernel } : undefined,
    onError: (message) => log?.warn({ err: message }, 'libvirt event stream'),
  });
  log?.info(
    { hypervisor: compute.hypervisor, arch: compute.arch, kvmProbe: compute.kvmProbe?.reason },
    'libvirt driver ready',
  );
  const network = await buildNetworkDriver(cfg, log);
  return {
    compute,
    storage,
    network,
    close: network instanceof OvnNetworkDriver ? () => network.close() : undefined,
  };
}

/**
 * The network backend by KUMO_AGENT_NETWORK_DRIVER. `ovn`: the host's chassis (its own OVS +
 * ovn-controller under <state>/ovs, started detached so it outlives the agent and reused on restart,
 * or an Open vSwitch the host already runs), guests plugged into br-int by OvnNetworkDriver.
 */
async function buildNetworkDriver(cfg: AgentConfig, log?: Logger): Promise<NetworkDriver> {
  if (cfg.networkDriver === 'fake') return new FakeNetworkDriver();
  if (cfg.networkDriver === 'bridge' || !cfg.ovn)
    return new BridgeNetworkDriver({ stateDir: join(cfg.stateDir, 'network') });
  const o = cfg.ovn;
  let ovsdb = o.ovsdb;
  if (!ovsdb) {
    const chassis = await ensureChassis({
      dir: o.ovsDir,
      systemId: o.systemId,
      encapType: o.encapType,
      encapIp: o.encapIp,
      sbConnection: o.sbConnection,
      bridgeMappings: o.bridgeMappings,
      gateway: o.gateway,
      datapath: o.datapath,
      integrationBridge: o.integrationBridge,
      log: (m) => log?.info(m),
    });
    log?.info(
      { datapath: chassis.datapath, pids: chassis.pids, reused: chassis.reused },
      'OVN chassis ready',
    );
    ovsdb = chassis.dbTarget;
  }
  return new OvnNetworkDriver({ ovsdb, integrationBridge: o.integrationBridge });
}

export interface AgentDaemon {
  hostId: string;
  port: number;
  identity: AgentIdentity;
  server: AgentServer;
  /** Stop serving and heartbeating. Running guests are left exactly as they are. */
  stop(): Promise<void>;
}

/**
 * Start the agent: load its certificate (or join with the token), start the
 * mTLS gRPC server on the drivers, then register with the control plane and
 * heartbeat. A control plane that is away is retried, never fatal.
 */
export async function startAgentDaemon(
  cfg: AgentConfig,
  deps: { drivers?: AgentDrivers; logger?: Logger } = {},
): Promise<AgentDaemon> {
  const log = deps.logger ?? createLogger({ service: 'agent', level: cfg.logLevel });
  const { identity, joined } = await loadOrJoin({
    certsDir: cfg.certsDir,
    hostId: cfg.hostId,
    controlPlaneUrl: cfg.controlPlaneUrl,
    joinToken: cfg.joinToken,
  });
  log.info(
    { hostId: cfg.hostId, joined, certsDir: cfg.certsDir },
    joined ? 'joined the control plane' : 'certificate loaded',
  );

  const drivers = deps.drivers ?? (await buildDrivers(cfg, log));
  const server = new AgentServer({
    ...drivers,
    logger: log,
    hostId: cfg.hostId,
    agentVersion: AGENT_VERSION,
    heartbeatMs: cfg.heartbeatMs,
  });
  const port = await server.listen(cfg.listen, agentServerCredentials(identity));
  // an advertised port 0 (listening on port 0) means the port bound
  const advertise = cfg.advertise?.replace(/:0$/, `:${port}`) ?? `${cfg.hostId}:${port}`;

  const stopReporting = cfg.controlPlaneUrl
    ? reportToControlPlane({
        client: new ControlPlaneClient(cfg.controlPlaneUrl, {
          ca: identity.caPem,
          cert: identity.certPem,
          key: identity.keyPem,
        }),
        hostId: cfg.hostId,
        advertise,
        drivers,
        heartbeatMs: cfg.heartbeatMs,
        log,
      })
    : () => {};
  log.info({ hostId: cfg.hostId, port, advertise }, 'agent ready');

  let stopped: Promise<void> | undefined;
  return {
    hostId: cfg.hostId,
    port,
    identity,
    server,
    stop() {
      stopped ??= (async () => {
        stopReporting();
        await server.shutdown(cfg.shutdownGraceMs);
        await drivers.close?.();
        log.info({ hostId: cfg.hostId }, 'agent stopped; guests left running');
      })();
      return stopped;
    },
  };
}

/** Register (again whenever the control plane has forgotten us), then heartbeat every `heartbeatMs`. */
function reportToControlPlane(o: {
  client: ControlPlaneClient;
  hostId: string;
  advertise: string;
  drivers: AgentDrivers;
  heartbeatMs: number;
  log: Logger;
}): () => void {
  let registered = false;
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  let failures = 0;

  const tick = async () => {
    try {
      if (!registered) {
        const inventory = inventoryOf(await o.drivers.compute.hostInfo());
        await o.client.register(o.hostId, { address: o.advertise, agent_version: AGENT_VERSION, inventory });
        registered = true;
        o.log.info({ address: o.advertise }, 'registered with the control plane');
      } else {
        await o.client.heartbeat(o.hostId);
      }
      failures = 0;
    } catch (err) {
      failures++;
      if (/: 404 /.test((err as Error).message)) registered = false;
      o.log.warn(
        { err: (err as Error).message, failures },
        'control plane unreachable or refused; will retry',
      );
    }
    if (done) return;
    const backoff = failures ? Math.min(o.heartbeatMs, 500 * 2 ** Math.min(failures, 6)) : o.heartbeatMs;
    timer = setTimeout(tick, backoff);
    timer.unref();
  };
  void tick();
  return () => {
    done = true;
    clearTimeout(timer);
  };
}

/** The process: config from the environment, SIGTERM/SIGINT stop it gracefully (guests keep running). */
export async function runAgentDaemon(cfg: AgentConfig): Promise<void> {
  const log = createLogger({ service: 'agent', level: cfg.logLevel });
  const daemon = await startAgentDaemon(cfg, { logger: log });
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'shutting down');
      daemon.stop().then(resolve, (err) => {
        log.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

import { readAgentConfig, startAgentDaemon } from '@kumo/agent';
import type { SchedulerService } from '@kumo/scheduler';
import { createLogger } from '@kumo/service-kit';
import type { KumoConfig } from './config.js';

/** The all-in-one's external network: physical network `public` on the OVS bridge br-ex. */
export const PUBLIC_PHYSNET = 'public';
export const PUBLIC_BRIDGE = 'br-ex';

/** The host id the local agent will use (the network service names it as the gateway chassis). */
export function localAgentHostId(cfg: KumoConfig): string {
  return readAgentConfig({ ...process.env, KUMO_HOME: cfg.env.KUMO_HOME, KUMO_AGENT_NETWORK_DRIVER: 'fake' })
    .hostId;
}

/**
 * The all-in-one's own host: this machine's agent runs in the `kumo up`
 * process and enrols with the scheduler of the same process like any other
 * host — a join token issued in-process, mTLS, registration, heartbeats — so
 * the one-machine cloud exercises the multi-host path. Settings are the
 * agent's KUMO_AGENT_* variables; the control plane URL and listen address
 * default to this process's.
 */
export async function startLocalAgent(
  cfg: KumoConfig,
  scheduler: SchedulerService,
  controlPlaneUrl: string,
  opts: { ovnSbConnection?: string } = {},
): Promise<{ name: string; close(): Promise<void> }> {
  const env = { ...process.env };
  env.KUMO_HOME = cfg.env.KUMO_HOME;
  env.KUMO_AGENT_LISTEN ??= '127.0.0.1:7700';
  env.KUMO_AGENT_CONTROL_PLANE_URL ??= controlPlaneUrl;
  // With real guests, this host is an OVN chassis of the OVN central this process runs: tunnels on
  // loopback (a single host has no peers), a gateway for routers, `public` mapped to br-ex.
  if (opts.ovnSbConnection && env.KUMO_AGENT_DRIVER !== 'fake') {
    env.KUMO_AGENT_NETWORK_DRIVER ??= 'ovn';
    env.KUMO_AGENT_OVN_SB ??= opts.ovnSbConnection;
    env.KUMO_AGENT_OVN_ENCAP_IP ??= '127.0.0.1';
    env.KUMO_AGENT_OVN_GATEWAY ??= 'true';
    env.KUMO_AGENT_OVN_BRIDGE_MAPPINGS ??= `${PUBLIC_PHYSNET}:${PUBLIC_BRIDGE}`;
  }
  const agentCfg = readAgentConfig(env);
  const joinToken = (await scheduler.controlPlane.issueJoinToken({ hostId: agentCfg.hostId })).token;
  const port = Number(agentCfg.listen.split(':').pop());
  const daemon = await startAgentDaemon(
    { ...agentCfg, joinToken, advertise: agentCfg.advertise ?? `127.0.0.1:${port}` },
    { logger: createLogger({ service: 'agent', level: cfg.env.KUMO_LOG_LEVEL }) },
  );
  // registration is asynchronous: wait for it, so the cloud is ready to place servers when we return
  const deadline = Date.now() + 60_000;
  while (!(await isRegistered(scheduler, daemon.hostId))) {
    if (Date.now() > deadline) {
      await daemon.stop();
      throw new Error(`the local agent ${daemon.hostId} did not register with the scheduler within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { name: `agent ${daemon.hostId}`, close: () => daemon.stop() };
}

async function isRegistered(scheduler: SchedulerService, hostId: string): Promise<boolean> {
  return scheduler.scheduler.getHost(hostId).then(
    () => true,
    () => false,
  );
}

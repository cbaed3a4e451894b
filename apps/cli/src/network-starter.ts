import { join } from 'node:path';
import { createNetworkService } from '@kumo/network';
import { ensureOvnCentral } from '@kumo/ovn';
import { createLogger } from '@kumo/service-kit';
import type { KumoConfig } from './config.js';
import { localAgentHostId } from './local-agent.js';
import { serviceRuntime } from './runtime.js';

export interface RunningNetwork {
  name: string;
  /** Where this host's chassis reaches OVN's southbound DB (`tcp:addr:port`). */
  sbConnection: string | undefined;
  close(): Promise<void>;
}

/**
 * The network service. Unless KUMO_OVN_NB_CONNECTION names an existing OVN central, this host runs
 * one under <KUMO_HOME>/ovn: detached daemons that outlive `kumo down` (like libvirtd, so guests keep
 * their network) and are reused by the next `kumo up`.
 */
export async function startNetwork(cfg: KumoConfig): Promise<RunningNetwork> {
  const log = createLogger({ service: 'ovn', level: cfg.env.KUMO_LOG_LEVEL });
  let nbConnection = cfg.env.KUMO_OVN_NB_CONNECTION;
  let sbConnection: string | undefined;
  if (!nbConnection) {
    const sbAddress = cfg.env.KUMO_OVN_SB_ADDRESS ?? '127.0.0.1';
    const central = await ensureOvnCentral({
      dir: join(cfg.env.KUMO_HOME, 'ovn'),
      nbPort: cfg.env.KUMO_OVN_NB_PORT,
      sbPort: cfg.env.KUMO_OVN_SB_PORT,
      address: sbAddress,
      log: (m) => log.info(m),
    });
    nbConnection = central.nbSocket;
    sbConnection = central.sbConnection;
    log.info(
      { nb: central.nbConnection, sb: central.sbConnection, reused: central.reused },
      'OVN central ready',
    );
  }
  const gatewayChassis = cfg.env.KUMO_OVN_GATEWAY_CHASSIS.length
    ? cfg.env.KUMO_OVN_GATEWAY_CHASSIS
    : cfg.env.KUMO_LOCAL_AGENT
      ? [localAgentHostId(cfg)]
      : [];
  const svc = await createNetworkService(serviceRuntime(cfg, 'network'), {
    ...cfg.env,
    KUMO_OVN_NB_CONNECTION: nbConnection,
    KUMO_OVN_GATEWAY_CHASSIS: gatewayChassis,
  });
  await svc.app.listen({ host: cfg.env.KUMO_BIND_HOST, port: cfg.env.KUMO_NETWORK_PORT });
  return { name: 'network', sbConnection, close: svc.close };
}

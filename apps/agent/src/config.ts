import { hostname } from 'node:os';
import { join } from 'node:path';
import { envBool, envInt, KumoError, loadConfig } from '@kumo/service-kit';
import { z } from 'zod';
import { hostIdSchema } from './pki/host-id.js';

/** The agent's settings, from KUMO_* environment variables, parsed once at start. */
export const agentEnvSchema = z.object({
  KUMO_HOME: z.string().min(1).default('/var/lib/kumo'),
  KUMO_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** This host's id (a lowercase DNS name): its certificate's CN. Default: the hostname. */
  KUMO_AGENT_HOST_ID: hostIdSchema.optional(),
  /** host:port the gRPC server binds. */
  KUMO_AGENT_LISTEN: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port')
    .default('0.0.0.0:7700'),
  /** host:port the control plane dials; default: the host id and the bound port. */
  KUMO_AGENT_ADVERTISE: z.string().min(1).max(300).optional(),
  /** Agent state (default $KUMO_HOME/agent); certificates under certs/ unless KUMO_AGENT_CERTS_DIR. */
  KUMO_AGENT_STATE_DIR: z.string().min(1).optional(),
  KUMO_AGENT_CERTS_DIR: z.string().min(1).optional(),
  /** The control plane's agent enrolment endpoint (https). Without it the agent neither joins nor registers. */
  KUMO_AGENT_CONTROL_PLANE_URL: z.url({ protocol: /^https$/ }).optional(),
  /** One-time join token (kumo1.<ca-sha256>.<secret>); only needed until the agent has its certificate. */
  KUMO_AGENT_JOIN_TOKEN: z.string().min(1).optional(),
  /** Which drivers run the host. */
  KUMO_AGENT_DRIVER: z.enum(['libvirt', 'fake']).default('libvirt'),
  KUMO_AGENT_HEARTBEAT_MS: envInt(10_000, 100, 3_600_000),
  /**
   * A Linux kernel (e.g. the test guest's, scripts/build-guest-image leaves kumo-guest-<hash>.kernel)
   * the KVM probe boots as its second stage: KVM counts as working only if it boots. Unset: payload only.
   */
  KUMO_AGENT_KVM_PROBE_KERNEL: z.string().min(1).optional(),
  /** How long calls in flight may finish at shutdown. */
  KUMO_AGENT_SHUTDOWN_GRACE_MS: envInt(10_000, 0, 600_000),
  /** Guest networking: `ovn` (OVS + ovn-controller), `bridge` (placeholder Linux bridges), `fake`. */
  KUMO_AGENT_NETWORK_DRIVER: z.enum(['bridge', 'ovn', 'fake']).optional(),
  /** OVN southbound DB this chassis registers with, e.g. tcp:10.0.0.1:6642 (required for ovn). */
  KUMO_AGENT_OVN_SB: z
    .string()
    .regex(/^(tcp|ssl|unix):\S+$/, 'must be an OVSDB target like tcp:10.0.0.1:6642')
    .optional(),
  KUMO_AGENT_OVN_ENCAP_TYPE: z.enum(['geneve', 'vxlan']).default('geneve'),
  /** This host's tunnel endpoint address (required for ovn). */
  KUMO_AGENT_OVN_ENCAP_IP: z.union([z.ipv4(), z.ipv6()]).optional(),
  /** The chassis name in OVN (default: the host id). */
  KUMO_AGENT_OVN_SYSTEM_ID: z.string().min(1).max(255).optional(),
  /** Physical networks on this host: `physnet1:br-ex,physnet2:br-ex2`. */
  KUMO_AGENT_OVN_BRIDGE_MAPPINGS: z
    .string()
    .regex(
      /^([A-Za-z0-9_.-]+:[A-Za-z0-9_.-]{1,15})(,[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]{1,15})*$/,
      'must be physnet:bridge,...',
    )
    .optional(),
  /** This chassis may host gateway router ports (SNAT, floating IPs). */
  KUMO_AGENT_OVN_GATEWAY: envBool(false),
  /** The chassis' own OVS/ovn-controller instance: db, sockets, pidfiles, logs (default <state>/ovs). */
  KUMO_AGENT_OVS_DIR: z.string().min(1).optional(),
  /** Use an Open vSwitch the host already runs (e.g. unix:/var/run/openvswitch/db.sock) instead. */
  KUMO_AGENT_OVS_DB: z.string().min(1).optional(),
  KUMO_AGENT_OVS_DATAPATH: z.enum(['auto', 'system', 'netdev']).default('auto'),
  /**
   * The integration bridge (OVN's `ovn-bridge`, default br-int). On the userspace datapath a bridge is a
   * kernel tap of that name, so two chassis in one network namespace (a test cloud beside the
   * all-in-one) need different names.
   */
  KUMO_AGENT_OVN_INTEGRATION_BRIDGE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,15}$/)
    .default('br-int'),
});

export interface AgentConfig {
  hostId: string;
  listen: string;
  advertise: string | undefined;
  home: string;
  stateDir: string;
  certsDir: string;
  controlPlaneUrl: string | undefined;
  joinToken: string | undefined;
  driver: 'libvirt' | 'fake';
  heartbeatMs: number;
  shutdownGraceMs: number;
  logLevel: string;
  /** A kernel the KVM probe must boot too (see KUMO_AGENT_KVM_PROBE_KERNEL). */
  kvmProbeKernel?: string;
  /** Guest networking backend (default: fake with the fake drivers, else bridge). */
  networkDriver: 'bridge' | 'ovn' | 'fake';
  /** Settings of the ovn backend (set when networkDriver is ovn). */
  ovn?: AgentOvnConfig;
}

export interface AgentOvnConfig {
  sbConnection: string;
  encapType: 'geneve' | 'vxlan';
  encapIp: string;
  systemId: string;
  bridgeMappings: Record<string, string>;
  gateway: boolean;
  /** The agent's own OVS instance directory (unless `ovsdb` names an existing one). */
  ovsDir: string;
  /** An existing Open vSwitch database to use instead of starting one. */
  ovsdb?: string;
  datapath: 'auto' | 'system' | 'netdev';
  integrationBridge: string;
}

function defaultHostId(): string {
  const r = hostIdSchema.safeParse(hostname().toLowerCase());
  if (!r.success)
    throw new KumoError('invalid', `the hostname ${hostname()} is not a DNS name: set KUMO_AGENT_HOST_ID`);
  return r.data;
}

export function readAgentConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const e = loadConfig(agentEnvSchema, env);
  const stateDir = e.KUMO_AGENT_STATE_DIR ?? join(e.KUMO_HOME, 'agent');
  const hostId = e.KUMO_AGENT_HOST_ID ?? defaultHostId();
  const networkDriver = e.KUMO_AGENT_NETWORK_DRIVER ?? (e.KUMO_AGENT_DRIVER === 'fake' ? 'fake' : 'bridge');
  let ovn: AgentOvnConfig | undefined;
  if (networkDriver === 'ovn') {
    for (const k of ['KUMO_AGENT_OVN_SB', 'KUMO_AGENT_OVN_ENCAP_IP'] as const)
      if (!e[k]) throw new KumoError('invalid', `${k} is required with KUMO_AGENT_NETWORK_DRIVER=ovn`);
    ovn = {
      sbConnection: e.KUMO_AGENT_OVN_SB as string,
      encapType: e.KUMO_AGENT_OVN_ENCAP_TYPE,
      encapIp: e.KUMO_AGENT_OVN_ENCAP_IP as string,
      systemId: e.KUMO_AGENT_OVN_SYSTEM_ID ?? hostId,
      bridgeMappings: Object.fromEntries(
        (e.KUMO_AGENT_OVN_BRIDGE_MAPPINGS ?? '')
          .split(',')
          .filter(Boolean)
          .map((m) => m.split(':') as [string, string]),
      ),
      gateway: e.KUMO_AGENT_OVN_GATEWAY,
      ovsDir: e.KUMO_AGENT_OVS_DIR ?? join(stateDir, 'ovs'),
      ovsdb: e.KUMO_AGENT_OVS_DB,
      datapath: e.KUMO_AGENT_OVS_DATAPATH,
      integrationBridge: e.KUMO_AGENT_OVN_INTEGRATION_BRIDGE,
    };
  }
  return {
    hostId,
    listen: e.KUMO_AGENT_LISTEN,
    advertise: e.KUMO_AGENT_ADVERTISE,
    home: e.KUMO_HOME,
    stateDir,
    certsDir: e.KUMO_AGENT_CERTS_DIR ?? join(stateDir, 'certs'),
    controlPlaneUrl: e.KUMO_AGENT_CONTROL_PLANE_URL,
    joinToken: e.KUMO_AGENT_JOIN_TOKEN,
    driver: e.KUMO_AGENT_DRIVER,
    heartbeatMs: e.KUMO_AGENT_HEARTBEAT_MS,
    shutdownGraceMs: e.KUMO_AGENT_SHUTDOWN_GRACE_MS,
    logLevel: e.KUMO_LOG_LEVEL,
    kvmProbeKernel: e.KUMO_AGENT_KVM_PROBE_KERNEL,
    networkDriver,
    ovn,
  };
}

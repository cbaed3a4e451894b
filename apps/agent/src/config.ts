import { hostname } from 'node:os';
import { join } from 'node:path';
import { envInt, KumoError, loadConfig } from '@kumo/service-kit';
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
  return {
    hostId: e.KUMO_AGENT_HOST_ID ?? defaultHostId(),
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
  };
}

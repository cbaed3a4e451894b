import type { TLSSocket } from 'node:tls';
import { KumoError, type Logger, parseInput } from '@kumo/service-kit';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CertificateAuthority, type IssuedIdentity } from './ca.js';
import { hostIdSchema } from './host-id.js';
import type { Inventory, Registration } from './inventory.js';
import { registrationSchema } from './inventory.js';
import {
  checkJoinToken,
  JoinRefused,
  type JoinTokenRepo,
  JoinTokenStore,
  joinTokenKey,
  mintJoinToken,
} from './join-tokens.js';
import { isIssuedBy, ROLE_AGENT, ROLE_CONTROL_PLANE } from './x509.js';

/**
 * The control plane's side of agent enrolment: it is the CA, issues one-time
 * join tokens, signs agents' CSRs, and keeps their registrations and
 * heartbeats. Host records and join tokens go through `HostRegistry` and
 * `JoinTokenRepo`: in memory by default (the agent's stand-alone server and
 * tests), in Postgres when the scheduler mounts `controlPlaneRoutes` on its
 * agent-facing HTTPS listener (see the ADR on agent enrolment).
 */
export interface HostRecord {
  hostId: string;
  address: string;
  agentVersion: string | undefined;
  inventory: Inventory;
  registeredAt: number;
  lastHeartbeatAt: number;
}

/** Where host records live. `register` upserts; `heartbeat` answers undefined for an unknown host. */
export interface HostRegistry {
  register(hostId: string, reg: Registration, at: number): Promise<HostRecord>;
  heartbeat(hostId: string, at: number): Promise<HostRecord | undefined>;
  get(hostId: string): Promise<HostRecord | undefined>;
  list(): Promise<HostRecord[]>;
}

/** Host records in a Map; `peek`/`all` read them synchronously. */
export class MemoryHostRegistry implements HostRegistry {
  private readonly hosts = new Map<string, HostRecord>();

  async register(hostId: string, reg: Registration, at: number): Promise<HostRecord> {
    const rec: HostRecord = {
      hostId,
      address: reg.address,
      agentVersion: reg.agent_version,
      inventory: reg.inventory,
      registeredAt: this.hosts.get(hostId)?.registeredAt ?? at,
      lastHeartbeatAt: at,
    };
    this.hosts.set(hostId, rec);
    return rec;
  }

  async heartbeat(hostId: string, at: number): Promise<HostRecord | undefined> {
    const rec = this.hosts.get(hostId);
    if (rec) rec.lastHeartbeatAt = at;
    return rec;
  }

  async get(hostId: string): Promise<HostRecord | undefined> {
    return this.hosts.get(hostId);
  }

  async list(): Promise<HostRecord[]> {
    return this.all();
  }

  peek(hostId: string): HostRecord | undefined {
    return this.hosts.get(hostId);
  }

  all(): HostRecord[] {
    return [...this.hosts.values()];
  }
}

export interface ControlPlaneStores {
  hosts?: HostRegistry;
  tokens?: JoinTokenRepo;
}

export class ControlPlane {
  readonly tokens: JoinTokenRepo;
  readonly hosts: HostRegistry;
  private readonly local: JoinTokenStore;
  private clientId: Promise<IssuedIdentity> | undefined;

  constructor(
    readonly ca: CertificateAuthority,
    private readonly now: () => number = Date.now,
    stores: ControlPlaneStores = {},
  ) {
    this.local = new JoinTokenStore(ca.fingerprint, now);
    this.tokens = stores.tokens ?? this.local;
    this.hosts = stores.hosts ?? new MemoryHostRegistry();
  }

  static async create(
    opts: { ca?: CertificateAuthority; now?: () => number } & ControlPlaneStores = {},
  ): Promise<ControlPlane> {
    return new ControlPlane(opts.ca ?? (await CertificateAuthority.create()), opts.now, opts);
  }

  /** A join token, stored (hash only) before it is returned. Any store. */
  async createJoinToken(opts: { ttlMs?: number; hostId?: string } = {}) {
    const now = this.now();
    await this.tokens.deleteExpired(now);
    const { token, expiresAt, record } = mintJoinToken(this.ca.fingerprint, now, opts);
    await this.tokens.save(record);
    return { token, expiresAt };
  }

  /**
   * Synchronous variant. With the default in-memory store it is that store;
   * with another store (Postgres) the token lives in this process only: for
   * an agent that joins this same process (the all-in-one's local agent).
   */
  issueJoinToken(opts: { ttlMs?: number; hostId?: string } = {}) {
    return (this.tokens instanceof JoinTokenStore ? this.tokens : this.local).issue(opts);
  }

  /** Burn the token and sign the agent's CSR: CN and DNS SAN are the host id. */
  async join(req: {
    token: string;
    hostId: string;
    csrPem: string;
  }): Promise<{ certPem: string; caPem: string }> {
    const { parsed, hash } = joinTokenKey(req.token);
    let rec = await this.tokens.take(hash);
    if (!rec && this.tokens !== this.local) rec = await this.local.take(hash);
    checkJoinToken(parsed, rec, { caFingerprint: this.ca.fingerprint, hostId: req.hostId, now: this.now() });
    let certPem: string;
    try {
      certPem = await this.ca.signCsr(req.csrPem, { commonName: req.hostId, role: ROLE_AGENT });
    } catch (err) {
      throw new KumoError('invalid', `Invalid csr: ${(err as Error).message}`);
    }
    return { certPem, caPem: this.ca.certPem };
  }

  register(hostId: string, reg: Registration): Promise<HostRecord> {
    return this.hosts.register(hostId, reg, this.now());
  }

  async heartbeat(hostId: string): Promise<HostRecord> {
    const rec = await this.hosts.heartbeat(hostId, this.now());
    if (!rec) throw new KumoError('not_found', `Host ${hostId} is not registered.`);
    return rec;
  }

  getHost(hostId: string): Promise<HostRecord | undefined> {
    return this.hosts.get(hostId);
  }

  /** Synchronous read of the in-memory registry (the agent's own server and tests). */
  host(hostId: string): HostRecord | undefined {
    return this.memoryHosts().peek(hostId);
  }

  listHosts(): HostRecord[] {
    return this.memoryHosts().all();
  }

  private memoryHosts(): MemoryHostRegistry {
    if (!(this.hosts instanceof MemoryHostRegistry))
      throw new Error('synchronous host reads need the in-memory registry: use getHost/hosts.list()');
    return this.hosts;
  }

  /** The certificate the control plane presents when it calls agents. */
  clientIdentity(): Promise<IssuedIdentity> {
    this.clientId ??= this.ca.issue({ commonName: 'kumo-control-plane', role: ROLE_CONTROL_PLANE });
    return this.clientId;
  }

  /** A server certificate for the agent-facing HTTPS listener (names: DNS names or IPs). */
  serverIdentity(names: string[]): Promise<IssuedIdentity> {
    const [cn = 'localhost', ...rest] = names;
    return this.ca.issue({ commonName: cn, altNames: rest, role: ROLE_CONTROL_PLANE });
  }
}

/** The agent's host id from its TLS client certificate, or undefined. */
export function agentFromTls(req: FastifyRequest, caPem: string): string | undefined {
  const socket = req.raw.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const peer = socket.getPeerCertificate();
  if (!peer?.raw) return undefined;
  const pem = `-----BEGIN CERTIFICATE-----\n${peer.raw.toString('base64')}\n-----END CERTIFICATE-----\n`;
  if (!isIssuedBy(pem, caPem)) return undefined;
  const ou = peer.subject?.OU;
  if ((Array.isArray(ou) ? ou[0] : ou) !== ROLE_AGENT) return undefined;
  const cn = peer.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

const joinBody = z.object({
  token: z.string().min(1).max(200),
  host_id: hostIdSchema,
  csr: z.string().min(1).max(16_384),
});

export interface ControlPlaneRouteOptions {
  controlPlane: ControlPlane;
  logger?: Logger;
  /** Who is calling: the agent's host id. Default: its TLS client certificate. */
  authenticateAgent?: (req: FastifyRequest) => string | undefined;
}

/**
 * Agent enrolment routes, under /kumo/v1/agents. Errors are KumoErrors: the
 * mounting service's error handler renders them.
 *   GET  /kumo/v1/agents/ca                        the CA certificate (the token pins it)
 *   POST /kumo/v1/agents/join                      {token, host_id, csr} → {certificate, ca_certificate}
 *   PUT  /kumo/v1/agents/:hostId/registration      {address, inventory}   (agent certificate)
 *   POST /kumo/v1/agents/:hostId/heartbeat                                 (agent certificate)
 */
export const controlPlaneRoutes: FastifyPluginAsync<ControlPlaneRouteOptions> = async (app, opts) => {
  const cp = opts.controlPlane;
  const authenticate = opts.authenticateAgent ?? ((req) => agentFromTls(req, cp.ca.certPem));
  const requireAgent = (req: FastifyRequest, hostId: string) => {
    const who = authenticate(req);
    if (!who)
      throw new KumoError('unauthenticated', 'An agent certificate issued by the Kumo CA is required.');
    if (who !== hostId)
      throw new KumoError('forbidden', `The certificate of ${who} cannot act for ${hostId}.`);
  };

  app.get('/kumo/v1/agents/ca', { config: { auth: false } }, async () => ({ ca_certificate: cp.ca.certPem }));

  app.post('/kumo/v1/agents/join', { config: { auth: false } }, async (req, reply) => {
    const body = parseInput(joinBody, req.body);
    try {
      const { certPem, caPem } = await cp.join({ token: body.token, hostId: body.host_id, csrPem: body.csr });
      opts.logger?.info({ hostId: body.host_id }, 'agent joined');
      return reply.code(201).send({ certificate: certPem, ca_certificate: caPem });
    } catch (err) {
      if (err instanceof JoinRefused) {
        opts.logger?.warn({ hostId: body.host_id, reason: err.reason }, 'agent join refused');
        throw new KumoError('unauthenticated', err.message);
      }
      throw err;
    }
  });

  app.put<{ Params: { hostId: string } }>(
    '/kumo/v1/agents/:hostId/registration',
    { config: { auth: false } },
    async (req) => {
      requireAgent(req, req.params.hostId);
      const rec = await cp.register(req.params.hostId, parseInput(registrationSchema, req.body));
      opts.logger?.info({ hostId: rec.hostId, address: rec.address }, 'agent registered');
      return { host: hostView(rec) };
    },
  );

  app.post<{ Params: { hostId: string } }>(
    '/kumo/v1/agents/:hostId/heartbeat',
    { config: { auth: false } },
    async (req) => {
      requireAgent(req, req.params.hostId);
      return { host: hostView(await cp.heartbeat(req.params.hostId)) };
    },
  );
};

const hostView = (r: HostRecord) => ({
  host_id: r.hostId,
  address: r.address,
  agent_version: r.agentVersion ?? null,
  registered_at: new Date(r.registeredAt).toISOString(),
  last_heartbeat_at: new Date(r.lastHeartbeatAt).toISOString(),
});

import { type ErrorKind, KumoError } from '@kumo/service-kit';
import type {
  FloatingIp,
  Network,
  NetworkQuery,
  NetworkQuota,
  Port,
  PortWrite,
  SecurityGroup,
  SecurityGroupRule,
  Subnet,
} from './network.types.js';

export type * from './network.types.js';

/** A project's quota usage as `GET /v2.0/quotas/{id}/details` gives it. */
export type NetworkQuotaDetails = Record<string, { used: number; limit: number; reserved: number }>;

/**
 * An HTTP client of the network service's Neutron v2.0 API for other Kumo
 * services (compute). Every call takes the token to act with: the caller's
 * (tenant scoping by Neutron) or the service token (port binding). Neutron
 * errors arrive as KumoErrors of the matching kind with Neutron's message and
 * `type` (e.g. PortNotFound); an unreachable service or a 5xx is 'unavailable'.
 */
export interface NetworkClient {
  listNetworks(token: string, query?: NetworkQuery): Promise<Network[]>;
  getNetwork(token: string, id: string): Promise<Network>;
  listSubnets(token: string, query?: NetworkQuery): Promise<Subnet[]>;
  getSubnet(token: string, id: string): Promise<Subnet>;
  listPorts(token: string, query?: NetworkQuery): Promise<Port[]>;
  getPort(token: string, id: string): Promise<Port>;
  createPort(token: string, port: PortWrite & { network_id: string }): Promise<Port>;
  updatePort(token: string, id: string, port: PortWrite): Promise<Port>;
  deletePort(token: string, id: string): Promise<void>;
  listSecurityGroups(token: string, query?: NetworkQuery): Promise<SecurityGroup[]>;
  getSecurityGroup(token: string, id: string): Promise<SecurityGroup>;
  createSecurityGroup(
    token: string,
    group: { name: string; description?: string; project_id?: string },
  ): Promise<SecurityGroup>;
  updateSecurityGroup(
    token: string,
    id: string,
    group: { name?: string; description?: string },
  ): Promise<SecurityGroup>;
  deleteSecurityGroup(token: string, id: string): Promise<void>;
  getSecurityGroupRule(token: string, id: string): Promise<SecurityGroupRule>;
  createSecurityGroupRule(
    token: string,
    rule: Partial<Omit<SecurityGroupRule, 'id'>> & { security_group_id: string; direction: string },
  ): Promise<SecurityGroupRule>;
  deleteSecurityGroupRule(token: string, id: string): Promise<void>;
  listFloatingIps(token: string, query?: NetworkQuery): Promise<FloatingIp[]>;
  getFloatingIp(token: string, id: string): Promise<FloatingIp>;
  createFloatingIp(
    token: string,
    fip: {
      floating_network_id: string;
      port_id?: string;
      fixed_ip_address?: string;
      floating_ip_address?: string;
      project_id?: string;
    },
  ): Promise<FloatingIp>;
  updateFloatingIp(
    token: string,
    id: string,
    fip: { port_id: string | null; fixed_ip_address?: string | null; description?: string },
  ): Promise<FloatingIp>;
  deleteFloatingIp(token: string, id: string): Promise<void>;
  getQuota(token: string, projectId: string): Promise<NetworkQuota>;
  getQuotaDefaults(token: string, projectId: string): Promise<NetworkQuota>;
  getQuotaDetails(token: string, projectId: string): Promise<NetworkQuotaDetails>;
  /** Set some of a project's limits (admin); answers all of them. */
  updateQuota(token: string, projectId: string, quota: NetworkQuota): Promise<NetworkQuota>;
  /** Back to the defaults (admin). */
  resetQuota(token: string, projectId: string): Promise<void>;
}

export interface NetworkClientOptions {
  fetch?: typeof fetch;
  /** Sent as X-Openstack-Request-Id with every call. */
  requestId?: string;
  /** Per-call deadline (ms); a call that takes longer is 'unavailable'. Default 30 s. */
  timeoutMs?: number;
}

const KIND_OF_STATUS: Record<number, ErrorKind> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  412: 'conflict',
  413: 'too_large',
  415: 'unsupported_media',
};

/** Neutron's error body `{"NeutronError": {type, message, detail}}` (older forms: a string, or `{message}`). */
function neutronError(text: string): { type?: string; message?: string } {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const e = body.NeutronError;
    if (typeof e === 'string') return { message: e };
    if (e && typeof e === 'object') {
      const { type, message } = e as { type?: unknown; message?: unknown };
      return {
        type: typeof type === 'string' ? type : undefined,
        message: typeof message === 'string' ? message : undefined,
      };
    }
    if (typeof body.message === 'string') return { message: body.message };
  } catch {
    // not JSON
  }
  return {};
}

/** A KumoError of the kind Neutron's HTTP status stands for, carrying Neutron's message and type. */
export function networkErrorOf(status: number, text: string, what: string): KumoError {
  const { type, message } = neutronError(text);
  const kind = KIND_OF_STATUS[status] ?? (status >= 500 ? 'unavailable' : 'invalid');
  const msg =
    message ?? (status >= 500 ? `network service: ${what} → ${status}` : text.slice(0, 500) || what);
  return new KumoError(kind, msg, { type });
}

function queryString(q: NetworkQuery = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** The network service's client; `baseUrl` is its unversioned endpoint (rt.urls.network). */
export function createNetworkClient(baseUrl: string, opts: NetworkClientOptions = {}): NetworkClient {
  const base = baseUrl.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const call = async <T>(token: string, method: string, path: string, body?: unknown): Promise<T> => {
    const what = `${method} ${path}`;
    let res: Response;
    let text: string;
    try {
      res = await doFetch(`${base}/v2.0${path}`, {
        method,
        headers: {
          'x-auth-token': token,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(opts.requestId ? { 'x-openstack-request-id': opts.requestId } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new KumoError(
        'unavailable',
        `network service unreachable at ${base} (${what}): ${(err as Error).message}`,
      );
    }
    if (!res.ok) throw networkErrorOf(res.status, text, what);
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new KumoError('unavailable', `network service: ${what} answered no JSON`);
    }
  };
  const enc = encodeURIComponent;
  const list = async <T>(token: string, coll: string, q?: NetworkQuery): Promise<T[]> =>
    (await call<Record<string, T[]>>(token, 'GET', `/${coll}${queryString(q)}`))[coll.replace(/-/g, '_')] ??
    [];
  const one = async <T>(token: string, method: string, path: string, key: string, body?: unknown) =>
    (await call<Record<string, T>>(token, method, path, body === undefined ? undefined : { [key]: body }))[
      key
    ] as T;
  const del = async (token: string, path: string) => {
    await call<void>(token, 'DELETE', path);
  };

  return {
    listNetworks: (t, q) => list<Network>(t, 'networks', q),
    getNetwork: (t, id) => one<Network>(t, 'GET', `/networks/${enc(id)}`, 'network'),
    listSubnets: (t, q) => list<Subnet>(t, 'subnets', q),
    getSubnet: (t, id) => one<Subnet>(t, 'GET', `/subnets/${enc(id)}`, 'subnet'),
    listPorts: (t, q) => list<Port>(t, 'ports', q),
    getPort: (t, id) => one<Port>(t, 'GET', `/ports/${enc(id)}`, 'port'),
    createPort: (t, port) => one<Port>(t, 'POST', '/ports', 'port', port),
    updatePort: (t, id, port) => one<Port>(t, 'PUT', `/ports/${enc(id)}`, 'port', port),
    deletePort: (t, id) => del(t, `/ports/${enc(id)}`),
    listSecurityGroups: (t, q) => list<SecurityGroup>(t, 'security-groups', q),
    getSecurityGroup: (t, id) =>
      one<SecurityGroup>(t, 'GET', `/security-groups/${enc(id)}`, 'security_group'),
    createSecurityGroup: (t, g) => one<SecurityGroup>(t, 'POST', '/security-groups', 'security_group', g),
    updateSecurityGroup: (t, id, g) =>
      one<SecurityGroup>(t, 'PUT', `/security-groups/${enc(id)}`, 'security_group', g),
    deleteSecurityGroup: (t, id) => del(t, `/security-groups/${enc(id)}`),
    getSecurityGroupRule: (t, id) =>
      one<SecurityGroupRule>(t, 'GET', `/security-group-rules/${enc(id)}`, 'security_group_rule'),
    createSecurityGroupRule: (t, r) =>
      one<SecurityGroupRule>(t, 'POST', '/security-group-rules', 'security_group_rule', r),
    deleteSecurityGroupRule: (t, id) => del(t, `/security-group-rules/${enc(id)}`),
    listFloatingIps: (t, q) => list<FloatingIp>(t, 'floatingips', q),
    getFloatingIp: (t, id) => one<FloatingIp>(t, 'GET', `/floatingips/${enc(id)}`, 'floatingip'),
    createFloatingIp: (t, f) => one<FloatingIp>(t, 'POST', '/floatingips', 'floatingip', f),
    updateFloatingIp: (t, id, f) => one<FloatingIp>(t, 'PUT', `/floatingips/${enc(id)}`, 'floatingip', f),
    deleteFloatingIp: (t, id) => del(t, `/floatingips/${enc(id)}`),
    getQuota: (t, projectId) => one<NetworkQuota>(t, 'GET', `/quotas/${enc(projectId)}`, 'quota'),
    getQuotaDefaults: (t, projectId) =>
      one<NetworkQuota>(t, 'GET', `/quotas/${enc(projectId)}/default`, 'quota'),
    getQuotaDetails: (t, projectId) =>
      one<NetworkQuotaDetails>(t, 'GET', `/quotas/${enc(projectId)}/details`, 'quota'),
    updateQuota: (t, projectId, quota) =>
      one<NetworkQuota>(t, 'PUT', `/quotas/${enc(projectId)}`, 'quota', quota),
    resetQuota: (t, projectId) => del(t, `/quotas/${enc(projectId)}`),
  };
}

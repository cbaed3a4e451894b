import { type ErrorKind, KumoError } from '@kumo/service-kit';
import type { AvailabilityZoneView } from './placement.js';
import type { AggregateView } from './routes/aggregates.routes.js';
import type { ClaimBody, HostPatchBody, ScheduleBody } from './routes/bodies.js';
import type { AllocationsView, HostView, ScheduleView } from './routes/views.js';

export interface SchedulerClient {
  schedule(body: ScheduleBody): Promise<ScheduleView>;
  claimOnHost(consumerId: string, body: ClaimBody): Promise<ScheduleView>;
  release(consumerId: string): Promise<void>;
  getAllocations(consumerId: string): Promise<AllocationsView>;
  listHosts(query?: { availability_zone?: string; status?: 'up' | 'down' }): Promise<HostView[]>;
  getHost(hostId: string): Promise<HostView>;
  /** `getHost`, by another name (the agent address is `address`). */
  host(hostId: string): Promise<HostView>;
  updateHost(hostId: string, patch: HostPatchBody): Promise<HostView>;
  setTraits(hostId: string, traits: string[]): Promise<HostView>;
  availabilityZones(): Promise<AvailabilityZoneView[]>;
  listAggregates(): Promise<AggregateView[]>;
  /** `ref`: the aggregate's UUID or integer id. */
  getAggregate(ref: string): Promise<AggregateView>;
  createAggregate(body: { name: string; availability_zone?: string | null }): Promise<AggregateView>;
  updateAggregate(
    ref: string,
    patch: { name?: string; availability_zone?: string | null },
  ): Promise<AggregateView>;
  deleteAggregate(ref: string): Promise<void>;
  /** Keys set to null are removed. */
  setAggregateMetadata(ref: string, metadata: Record<string, string | null>): Promise<AggregateView>;
  addAggregateHost(ref: string, hostId: string): Promise<AggregateView>;
  removeAggregateHost(ref: string, hostId: string): Promise<AggregateView>;
  createJoinToken(o?: { host_id?: string; ttl_seconds?: number }): Promise<{
    token: string;
    host_id: string | null;
    expires_at: string;
  }>;
}

const KINDS = new Set<ErrorKind>([
  'invalid',
  'unauthenticated',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'over_quota',
  'too_large',
  'unsupported_media',
  'not_acceptable',
  'unavailable',
  'internal',
]);

/**
 * The scheduler's REST API over HTTP (for compute). Errors come back as
 * KumoErrors of the same kind and message; a no-valid-host has type NoValidHost.
 */
export function createSchedulerClient(
  baseUrl: string,
  token: () => Promise<string>,
  opts: { fetch?: typeof fetch; requestId?: () => string | undefined } = {},
): SchedulerClient {
  const doFetch = opts.fetch ?? fetch;
  const root = baseUrl.replace(/\/+$/, '');
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { 'x-auth-token': await token(), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const rid = opts.requestId?.();
    if (rid) headers['x-openstack-request-id'] = rid;
    let res: Response;
    try {
      res = await doFetch(`${root}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new KumoError(
        'unavailable',
        `The scheduler at ${root} is unreachable: ${(err as Error).message}`,
      );
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) return json as T;
    const e = (json as { error?: { kind?: string; message?: string } } | undefined)?.error;
    const kind = e?.kind && KINDS.has(e.kind as ErrorKind) ? (e.kind as ErrorKind) : statusKind(res.status);
    const message = e?.message ?? `scheduler ${method} ${path}: HTTP ${res.status}`;
    const type = message.startsWith('No valid host was found') ? 'NoValidHost' : undefined;
    throw new KumoError(kind, message, { type });
  };
  const enc = encodeURIComponent;
  const getHost = async (id: string) =>
    (await call<{ host: HostView }>('GET', `/kumo/v1/hosts/${enc(id)}`)).host;
  return {
    schedule: (b) => call('POST', '/kumo/v1/schedule', b),
    claimOnHost: (id, b) => call('PUT', `/kumo/v1/allocations/${enc(id)}`, b),
    release: (id) => call('DELETE', `/kumo/v1/allocations/${enc(id)}`),
    getAllocations: (id) => call('GET', `/kumo/v1/allocations/${enc(id)}`),
    listHosts: async (q = {}) => {
      const qs = new URLSearchParams(
        Object.entries(q).filter(([, v]) => v !== undefined) as [string, string][],
      );
      const s = qs.toString();
      return (await call<{ hosts: HostView[] }>('GET', `/kumo/v1/hosts${s ? `?${s}` : ''}`)).hosts;
    },
    getHost,
    host: getHost,
    updateHost: async (id, patch) =>
      (await call<{ host: HostView }>('PATCH', `/kumo/v1/hosts/${enc(id)}`, patch)).host,
    setTraits: async (id, traits) =>
      (await call<{ host: HostView }>('PUT', `/kumo/v1/hosts/${enc(id)}/traits`, { traits })).host,
    availabilityZones: async () =>
      (await call<{ availability_zones: AvailabilityZoneView[] }>('GET', '/kumo/v1/availability-zones'))
        .availability_zones,
    listAggregates: async () =>
      (await call<{ aggregates: AggregateView[] }>('GET', '/kumo/v1/aggregates')).aggregates,
    getAggregate: async (id) => (await call<Agg>('GET', `/kumo/v1/aggregates/${enc(id)}`)).aggregate,
    createAggregate: async (b) => (await call<Agg>('POST', '/kumo/v1/aggregates', b)).aggregate,
    updateAggregate: async (id, b) =>
      (await call<Agg>('PATCH', `/kumo/v1/aggregates/${enc(id)}`, b)).aggregate,
    deleteAggregate: (id) => call('DELETE', `/kumo/v1/aggregates/${enc(id)}`),
    setAggregateMetadata: async (id, metadata) =>
      (await call<Agg>('POST', `/kumo/v1/aggregates/${enc(id)}/metadata`, { metadata })).aggregate,
    addAggregateHost: async (id, host) =>
      (await call<Agg>('PUT', `/kumo/v1/aggregates/${enc(id)}/hosts/${enc(host)}`)).aggregate,
    removeAggregateHost: async (id, host) =>
      (await call<Agg>('DELETE', `/kumo/v1/aggregates/${enc(id)}/hosts/${enc(host)}`)).aggregate,
    createJoinToken: (o = {}) => call('POST', '/kumo/v1/join-tokens', o),
  };
}

type Agg = { aggregate: AggregateView };

function statusKind(status: number): ErrorKind {
  const map: Record<number, ErrorKind> = {
    400: 'invalid',
    401: 'unauthenticated',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    409: 'conflict',
    413: 'too_large',
    503: 'unavailable',
  };
  return map[status] ?? (status >= 500 ? 'internal' : 'invalid');
}

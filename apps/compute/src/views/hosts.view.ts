import { createHash } from 'node:crypto';
import type { HostView } from '@kumo/scheduler';
import type { FastifyRequest } from 'fastify';
import { atLeast } from '../http/microversion.js';
import { novaTime } from '../http/nova-request.js';

/**
 * os-hypervisors and os-services from the scheduler's host view. Nova numbers
 * both below 2.53 and uses UUIDs from it; Kumo's host ids are strings, so a
 * stable 31-bit number and a name-based UUID stand in where needed.
 */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function stableNumber(s: string): number {
  return createHash('sha1').update(s).digest().readUInt32BE(0) & 0x7fffffff || 1;
}

export function stableUuid(s: string): string {
  if (UUID_RE.test(s)) return s.toLowerCase();
  const h = createHash('sha1').update(`kumo:${s}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The id a request's microversion shows for a host-backed resource (`svc:` distinguishes services). */
export const hostResourceId = (req: FastifyRequest, key: string): number | string =>
  atLeast(req, '2.53') ? stableUuid(key) : stableNumber(key);

/** Whether `id` (from a URL) names the resource keyed `key`, in either id form. */
export const matchesId = (id: string, key: string): boolean =>
  id.toLowerCase() === stableUuid(key) || id === String(stableNumber(key));

const inv = (h: HostView, rc: 'VCPU' | 'MEMORY_MB' | 'DISK_GB') => {
  const i = h.inventories[rc] as { total?: number } | undefined;
  return { total: i?.total ?? 0, used: h.usages[rc] ?? 0 };
};

const hostIp = (address: string) => {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(address) ?? /^([^:]+)(?::\d+)?$/.exec(address);
  return m?.[1] ?? address;
};

export function hypervisorSummary(req: FastifyRequest, h: HostView) {
  return {
    id: hostResourceId(req, h.id),
    hypervisor_hostname: h.hostname,
    state: h.status === 'up' ? 'up' : 'down',
    status: h.enabled ? 'enabled' : 'disabled',
  };
}

/** `uptime(1)`-like text from the host's registration time (what Nova's uptime field carries). */
export function hostUptime(h: HostView, now = Date.now()): string {
  const mins = Math.max(0, Math.floor((now - Date.parse(h.registered_at)) / 60_000));
  const hm = `${Math.floor((mins % 1440) / 60)}:${String(mins % 60).padStart(2, '0')}`;
  return ` ${new Date(now).toISOString().slice(11, 19)} up ${Math.floor(mins / 1440)} days, ${hm}`;
}

/** The resource fields 2.88 dropped from hypervisor detail/show (placement has them). */
const REMOVED_AT_288 = [
  'cpu_info',
  'vcpus',
  'vcpus_used',
  'memory_mb',
  'memory_mb_used',
  'free_ram_mb',
  'local_gb',
  'local_gb_used',
  'free_disk_gb',
  'disk_available_least',
  'current_workload',
  'running_vms',
] as const;

/** A hypervisor's detail at the request's version: from 2.88 without the resource fields, with `uptime`. */
export function hypervisorDetail(
  req: FastifyRequest,
  h: HostView,
  servers: { uuid: string; name: string }[],
  withServers: boolean,
): Record<string, unknown> {
  const full: Record<string, unknown> = hypervisorFullDetail(req, h, servers, withServers);
  if (!atLeast(req, '2.88')) return full;
  for (const k of REMOVED_AT_288) delete full[k];
  full.uptime = hostUptime(h);
  return full;
}

/** The pre-2.88 detail, with the resource fields (also what the statistics API sums). */
export function hypervisorFullDetail(
  req: FastifyRequest,
  h: HostView,
  servers: { uuid: string; name: string }[],
  withServers: boolean,
) {
  const cpu = inv(h, 'VCPU');
  const ram = inv(h, 'MEMORY_MB');
  const disk = inv(h, 'DISK_GB');
  const cpuInfo = { arch: h.arch, model: 'qemu64', vendor: 'QEMU', topology: {}, features: [] };
  return {
    ...hypervisorSummary(req, h),
    hypervisor_type: 'QEMU',
    hypervisor_version: 8_002_000,
    host_ip: hostIp(h.address),
    cpu_info: atLeast(req, '2.28') ? cpuInfo : JSON.stringify(cpuInfo),
    vcpus: cpu.total,
    vcpus_used: cpu.used,
    memory_mb: ram.total,
    memory_mb_used: ram.used,
    free_ram_mb: ram.total - ram.used,
    local_gb: disk.total,
    local_gb_used: disk.used,
    free_disk_gb: disk.total - disk.used,
    disk_available_least: disk.total - disk.used,
    current_workload: 0,
    running_vms: servers.length,
    service: {
      host: h.hostname,
      id: hostResourceId(req, `svc:${h.id}`),
      disabled_reason: h.disabled_reason ?? null,
    },
    ...(withServers && servers.length > 0 ? { servers } : {}),
  };
}

export interface ServiceEntry {
  key: string;
  binary: string;
  host: string;
  zone: string;
  enabled: boolean;
  up: boolean;
  disabledReason: string | null;
  updatedAt: Date | null;
  /** The scheduler host behind a nova-compute row. */
  hostId?: string;
}

export function serviceView(req: FastifyRequest, s: ServiceEntry) {
  return {
    id: hostResourceId(req, s.key),
    binary: s.binary,
    host: s.host,
    zone: s.zone,
    status: s.enabled ? 'enabled' : 'disabled',
    state: s.up ? 'up' : 'down',
    updated_at: novaTime(s.updatedAt),
    disabled_reason: s.disabledReason,
    ...(atLeast(req, '2.11') ? { forced_down: false } : {}),
  };
}

export function computeServiceEntry(h: HostView): ServiceEntry {
  return {
    key: `svc:${h.id}`,
    binary: 'nova-compute',
    host: h.hostname,
    zone: h.availability_zone,
    enabled: h.enabled,
    up: h.status === 'up',
    disabledReason: h.disabled_reason ?? null,
    updatedAt: new Date(h.last_heartbeat_at),
    hostId: h.id,
  };
}

import { callerOf, invalid, notFound } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { serversInPeriod, type UsageServer } from '../db/usage.repo.js';
import { novaTime, q } from '../http/nova-request.js';

const FORMATS = [
  /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)$/,
  /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{1,6})$/,
  /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{1,6})$/,
];

/** Nova's accepted period formats (UTC, no zone); absent is now. */
function parseTime(v: string | undefined, now: Date): Date {
  if (!v) return now;
  for (const re of FORMATS) {
    const m = re.exec(v.trim());
    if (!m) continue;
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
    const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
    if (!Number.isNaN(t.getTime()) && t.getUTCMonth() === mo - 1) return t;
  }
  throw invalid(`Datetime is in invalid format: '${v}' (expected YYYY-MM-DDTHH:MM:SS[.ffffff]).`);
}

function period(req: FastifyRequest) {
  const now = new Date();
  const start = parseTime(q(req, 'start'), now);
  const end = parseTime(q(req, 'end'), now);
  if (!(start < end)) throw invalid('Invalid start time. The start time cannot occur after the end time.');
  return { start, end, detailed: q(req, 'detailed') === '1' };
}

const HOUR = 3_600_000;

function usageOf(servers: UsageServer[], tenantId: string, start: Date, end: Date, detailed: boolean) {
  const now = Date.now();
  let hours = 0;
  let vcpus = 0;
  let ram = 0;
  let disk = 0;
  const serverUsages = servers.map((s) => {
    const from = Math.max(start.getTime(), s.startedAt.getTime());
    const to = Math.min(end.getTime(), s.endedAt?.getTime() ?? end.getTime());
    const h = Math.max(0, to - from) / HOUR;
    hours += h;
    vcpus += h * s.vcpus;
    ram += h * s.ramMb;
    disk += h * s.localGb;
    return {
      instance_id: s.id,
      name: s.name,
      tenant_id: s.projectId,
      flavor: s.flavorName,
      vcpus: s.vcpus,
      memory_mb: s.ramMb,
      local_gb: s.localGb,
      hours: h,
      state: s.vmState,
      started_at: novaTime(s.startedAt),
      ended_at: novaTime(s.endedAt),
      uptime: Math.floor(((s.endedAt?.getTime() ?? now) - s.startedAt.getTime()) / 1000),
    };
  });
  return {
    tenant_id: tenantId,
    start: novaTime(start),
    stop: novaTime(end),
    total_hours: hours,
    total_vcpus_usage: vcpus,
    total_memory_mb_usage: ram,
    total_local_gb_usage: disk,
    ...(detailed ? { server_usages: serverUsages } : {}),
  };
}

/** os-simple-tenant-usage: server-hours per project over a period (the list is admin only). */
export function usageRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get('/v2.1/os-simple-tenant-usage', async (req) => {
    // Nova has no route for an empty tenant id (`…/os-simple-tenant-usage/`)
    if (req.url.split('?')[0]!.endsWith('/')) throw notFound('The resource could not be found.');
    ctx.policy.authorize('os_compute_api:os-simple-tenant-usage:list', callerOf(req));
    const { start, end, detailed } = period(req);
    const servers = await serversInPeriod(ctx.db, start, end);
    const byProject = new Map<string, UsageServer[]>();
    for (const s of servers) byProject.set(s.projectId, [...(byProject.get(s.projectId) ?? []), s]);
    return {
      tenant_usages: [...byProject].map(([pid, list]) => usageOf(list, pid, start, end, detailed)),
    };
  });

  app.get<{ Params: { tenant_id: string } }>('/v2.1/os-simple-tenant-usage/:tenant_id', async (req) => {
    const pid = req.params.tenant_id;
    ctx.policy.authorize('os_compute_api:os-simple-tenant-usage:show', callerOf(req), { project_id: pid });
    const { start, end } = period(req);
    const servers = await serversInPeriod(ctx.db, start, end, pid);
    return { tenant_usage: usageOf(servers, pid, start, end, true) };
  });
}

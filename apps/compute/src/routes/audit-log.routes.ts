import { callerOf, invalid } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';

const pad = (n: number) => String(n).padStart(2, '0');
const fmt = (d: Date) =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

/** Nova's `before` timestamp: `YYYY-MM-DD HH:MM:SS[.ffffff]`, else 400. */
export function parseBefore(s: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?$/.exec(s.trim());
  const d = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
  if (!d || Number.isNaN(d.getTime()) || d.getUTCDate() !== +m![3]!)
    throw invalid(`Invalid timestamp for date ${s}: expected 'YYYY-MM-DD HH:MM:SS'.`);
  return d;
}

/** The last complete monthly audit period ending at or before `before` (Nova's default period). */
function period(before: Date): { begin: Date; end: Date } {
  const end = new Date(Date.UTC(before.getUTCFullYear(), before.getUTCMonth(), 1));
  const begin = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1));
  return { begin, end };
}

/**
 * os-instance_usage_audit_log (admin): the status of the periodic
 * instance-usage audit per compute host. Kumo runs no such audit task (usage
 * comes from os-simple-tenant-usage), so every host shows as not run.
 */
export function auditLogRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const auth = (req: FastifyRequest) =>
    ctx.policy.authorize('os_compute_api:os-instance-usage-audit-log:list', callerOf(req));
  const report = async (before: Date) => {
    const { begin, end } = period(before);
    const hosts = (await ctx.scheduler.listHosts()).map((h) => h.hostname).sort();
    return {
      hosts_not_run: hosts,
      log: {},
      num_hosts: hosts.length,
      num_hosts_done: 0,
      num_hosts_not_run: hosts.length,
      num_hosts_running: 0,
      overall_status: `0 of ${hosts.length} hosts done. 0 errors.`,
      period_beginning: fmt(begin),
      period_ending: fmt(end),
      total_errors: 0,
      total_instances: 0,
    };
  };

  app.get('/v2.1/os-instance_usage_audit_log', async (req) => {
    auth(req);
    return { instance_usage_audit_logs: await report(new Date()) };
  });

  app.get<{ Params: { before: string } }>('/v2.1/os-instance_usage_audit_log/:before', async (req) => {
    ctx.policy.authorize('os_compute_api:os-instance-usage-audit-log:show', callerOf(req));
    return { instance_usage_audit_log: await report(parseBefore(req.params.before)) };
  });
}

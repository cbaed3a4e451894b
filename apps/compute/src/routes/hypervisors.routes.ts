import type { HostView } from '@kumo/scheduler';
import { callerOf, invalid, notFound } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { serversOnHosts } from '../db/hypervisors.repo.js';
import { atLeast } from '../http/microversion.js';
import { MAX_LIMIT, nextLinks, q, qBool, qInt } from '../http/nova-request.js';
import {
  hostResourceId,
  hostUptime,
  hypervisorDetail,
  hypervisorFullDetail,
  hypervisorSummary,
  matchesId,
} from '../views/hosts.view.js';

type IdParams = { Params: { id: string } };

/** os-hypervisors (admin): the scheduler's hosts as Nova's hypervisors. */
export function hypervisorRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const auth = (req: FastifyRequest, action: string) =>
    ctx.policy.authorize(`os_compute_api:os-hypervisors:${action}`, callerOf(req));

  const sorted = async () => (await ctx.scheduler.listHosts()).sort((a, b) => a.id.localeCompare(b.id));

  /** 2.33 paging, 2.53 hostname pattern; below 2.53 the id is a number. */
  const select = async (req: FastifyRequest): Promise<{ hosts: HostView[]; links?: unknown }> => {
    let hosts = await sorted();
    if (!atLeast(req, '2.33')) return { hosts };
    const pattern = atLeast(req, '2.53') ? q(req, 'hypervisor_hostname_pattern') : undefined;
    if (pattern !== undefined) {
      hosts = hosts.filter((h) => h.hostname.includes(pattern));
      if (hosts.length === 0) throw notFound(`No hypervisor matching '${pattern}' could be found.`);
    }
    const limit = Math.min(qInt(req, 'limit', 1) ?? MAX_LIMIT, MAX_LIMIT);
    const marker = q(req, 'marker');
    if (marker !== undefined) {
      const i = hosts.findIndex((h) => matchesId(marker, h.id));
      if (i < 0) throw invalid(`marker [${marker}] not found`);
      hosts = hosts.slice(i + 1);
    }
    hosts = hosts.slice(0, limit);
    const last = hosts.at(-1);
    const links = nextLinks(
      req,
      hosts.length,
      limit,
      last ? String(hostResourceId(req, last.id)) : undefined,
    );
    return { hosts, links };
  };

  const find = async (id: string) => {
    const h = (await sorted()).find((x) => matchesId(id, x.id));
    if (!h) throw notFound(`Hypervisor with ID ${id} could not be found.`);
    return h;
  };

  const withServers = (req: FastifyRequest) => atLeast(req, '2.53') && (qBool(req, 'with_servers') ?? false);

  app.get('/v2.1/os-hypervisors', async (req) => {
    auth(req, 'list');
    const { hosts, links } = await select(req);
    const servers = withServers(req)
      ? await serversOnHosts(
          ctx.db,
          hosts.map((h) => h.id),
        )
      : undefined;
    return {
      hypervisors: hosts.map((h) => ({
        ...hypervisorSummary(req, h),
        ...(servers && servers.get(h.id)!.length > 0 ? { servers: servers.get(h.id) } : {}),
      })),
      ...(links ? { hypervisors_links: links } : {}),
    };
  });

  app.get('/v2.1/os-hypervisors/detail', async (req) => {
    auth(req, 'list-detail');
    const { hosts, links } = await select(req);
    const servers = await serversOnHosts(
      ctx.db,
      hosts.map((h) => h.id),
    );
    return {
      hypervisors: hosts.map((h) => hypervisorDetail(req, h, servers.get(h.id) ?? [], withServers(req))),
      ...(links ? { hypervisors_links: links } : {}),
    };
  });

  // 2.88 removed the statistics and uptime APIs (uptime moved into show/detail)
  const removedAt288 = (req: FastifyRequest) => {
    if (atLeast(req, '2.88')) throw notFound('The resource could not be found.');
  };

  app.get('/v2.1/os-hypervisors/statistics', async (req) => {
    removedAt288(req);
    auth(req, 'statistics');
    const hosts = await sorted();
    const servers = await serversOnHosts(
      ctx.db,
      hosts.map((h) => h.id),
    );
    const sum = (f: (d: ReturnType<typeof hypervisorFullDetail>) => number) =>
      hosts.reduce((s, h) => s + f(hypervisorFullDetail(req, h, servers.get(h.id) ?? [], false)), 0);
    return {
      hypervisor_statistics: {
        count: hosts.length,
        vcpus: sum((d) => d.vcpus),
        vcpus_used: sum((d) => d.vcpus_used),
        memory_mb: sum((d) => d.memory_mb),
        memory_mb_used: sum((d) => d.memory_mb_used),
        free_ram_mb: sum((d) => d.free_ram_mb),
        local_gb: sum((d) => d.local_gb),
        local_gb_used: sum((d) => d.local_gb_used),
        free_disk_gb: sum((d) => d.free_disk_gb),
        disk_available_least: sum((d) => d.disk_available_least),
        current_workload: 0,
        running_vms: sum((d) => d.running_vms),
      },
    };
  });

  app.get<IdParams>('/v2.1/os-hypervisors/:id', async (req) => {
    auth(req, 'show');
    const h = await find(req.params.id);
    const servers = await serversOnHosts(ctx.db, [h.id]);
    return { hypervisor: hypervisorDetail(req, h, servers.get(h.id) ?? [], withServers(req)) };
  });

  app.get<IdParams>('/v2.1/os-hypervisors/:id/uptime', async (req) => {
    removedAt288(req);
    auth(req, 'uptime');
    const h = await find(req.params.id);
    return { hypervisor: { ...hypervisorSummary(req, h), uptime: hostUptime(h) } };
  });

  // below 2.53: search and servers by hostname pattern
  const byPattern = async (req: FastifyRequest, pattern: string) => {
    if (atLeast(req, '2.53')) throw notFound('The resource could not be found.');
    const hosts = (await sorted()).filter((h) => h.hostname.includes(pattern));
    if (hosts.length === 0) throw notFound(`No hypervisor matching '${pattern}' could be found.`);
    return hosts;
  };
  app.get<IdParams>('/v2.1/os-hypervisors/:id/search', async (req) => {
    auth(req, 'search');
    return { hypervisors: (await byPattern(req, req.params.id)).map((h) => hypervisorSummary(req, h)) };
  });
  app.get<IdParams>('/v2.1/os-hypervisors/:id/servers', async (req) => {
    auth(req, 'servers');
    const hosts = await byPattern(req, req.params.id);
    const servers = await serversOnHosts(
      ctx.db,
      hosts.map((h) => h.id),
    );
    return {
      hypervisors: hosts.map((h) => ({
        ...hypervisorSummary(req, h),
        ...(servers.get(h.id)!.length > 0 ? { servers: servers.get(h.id) } : {}),
      })),
    };
  });
}

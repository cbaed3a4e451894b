import { hostname } from 'node:os';
import type { HostView } from '@kumo/scheduler';
import { callerOf, notFound } from '@kumo/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ComputeContext } from '../context.js';
import { usageOnHost } from '../db/hosts.repo.js';
import { atLeast } from '../http/microversion.js';
import { parseBody, q } from '../http/nova-request.js';

const toggle = z.enum(['enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE']);
const updateBody = z
  .strictObject({ status: toggle.optional(), maintenance_mode: toggle.optional() })
  .refine((b) => b.status !== undefined || b.maintenance_mode !== undefined, {
    message: "'status' or 'maintenance_mode' is required",
  });

type HostParams = { Params: { host: string } };

/**
 * os-hosts (admin, removed in 2.43): every service's host with its zone, a
 * compute host's resources per project, enable/disable through os-services'
 * scheduler switch. Maintenance mode and host power actions are not
 * something Kumo's hypervisor driver does: 501, as Nova's libvirt driver.
 */
export function hostRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const s = ctx.scheduler;
  const auth = (req: FastifyRequest, action: string) => {
    if (atLeast(req, '2.43')) throw notFound('The resource could not be found.');
    ctx.policy.authorize(`os_compute_api:os-hosts:${action}`, callerOf(req));
  };
  const computeHost = async (name: string): Promise<HostView> => {
    const h = (await s.listHosts()).find((x) => x.hostname === name);
    if (!h) throw notFound(`Compute host ${name} could not be found.`);
    return h;
  };
  const notImplemented = (reply: FastifyReply, what: string) =>
    reply.code(501).send({
      notImplemented: { code: 501, message: `The hypervisor driver does not support ${what}.` },
    });

  app.get('/v2.1/os-hosts', async (req) => {
    auth(req, 'list');
    const zone = q(req, 'zone');
    const control = ['scheduler', 'conductor'].map((service) => ({
      host_name: hostname(),
      service,
      zone: 'internal',
    }));
    const compute = (await s.listHosts()).map((h) => ({
      host_name: h.hostname,
      service: 'compute',
      zone: h.availability_zone,
    }));
    const hosts = [...control, ...compute].filter((h) => !zone || h.zone === zone);
    return { hosts };
  });

  app.get<HostParams>('/v2.1/os-hosts/:host', async (req) => {
    auth(req, 'show');
    const h = await computeHost(req.params.host);
    const uses = await usageOnHost(ctx.db, h.id);
    const total = (rc: string) => (h.inventories[rc] as { total?: number } | undefined)?.total ?? 0;
    const row = (project: string, cpu: number, memory_mb: number, disk_gb: number) => ({
      resource: { host: h.hostname, project, cpu, memory_mb, disk_gb },
    });
    const sum = (k: 'cpu' | 'memoryMb' | 'diskGb') => uses.reduce((n, u) => n + u[k], 0);
    return {
      host: [
        row('(total)', total('VCPU'), total('MEMORY_MB'), total('DISK_GB')),
        row('(used_now)', h.usages.VCPU ?? 0, h.usages.MEMORY_MB ?? 0, h.usages.DISK_GB ?? 0),
        row('(used_max)', sum('cpu'), sum('memoryMb'), sum('diskGb')),
        ...uses.map((u) => row(u.project, u.cpu, u.memoryMb, u.diskGb)),
      ],
    };
  });

  app.put<HostParams>('/v2.1/os-hosts/:host', async (req, reply) => {
    auth(req, 'update');
    const b = parseBody(updateBody, req.body);
    const h = await computeHost(req.params.host);
    if (b.maintenance_mode !== undefined) return notImplemented(reply, 'host maintenance mode');
    const enabled = b.status!.toLowerCase() === 'enable';
    await s.updateHost(h.id, { enabled, disabled_reason: null });
    return { host: h.hostname, status: enabled ? 'enabled' : 'disabled' };
  });

  for (const action of ['reboot', 'shutdown', 'startup'] as const)
    app.get<HostParams>(`/v2.1/os-hosts/:host/${action}`, async (req, reply) => {
      auth(req, action);
      await computeHost(req.params.host);
      return notImplemented(reply, `host power action ${action}`);
    });
}

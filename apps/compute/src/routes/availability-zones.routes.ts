import { hostname } from 'node:os';
import { callerOf } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ComputeContext } from '../context.js';
import { novaTime } from '../http/nova-request.js';

/** os-availability-zone: the scheduler's zones; `detail` (admin) adds hosts and the control plane. */
export function availabilityZoneRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get('/v2.1/os-availability-zone', async (req) => {
    ctx.policy.authorize('os_compute_api:os-availability-zone:list', callerOf(req));
    const zones = await ctx.scheduler.availabilityZones();
    return {
      availabilityZoneInfo: zones
        .filter((z) => z.hosts.length > 0)
        .map((z) => ({ zoneName: z.name, zoneState: { available: z.available }, hosts: null })),
    };
  });

  app.get('/v2.1/os-availability-zone/detail', async (req) => {
    ctx.policy.authorize('os_compute_api:os-availability-zone:detail', callerOf(req));
    const hosts = await ctx.scheduler.listHosts();
    const byZone = new Map<string, Record<string, Record<string, unknown>>>();
    for (const h of hosts) {
      const zone = byZone.get(h.availability_zone) ?? {};
      zone[h.hostname] = {
        'nova-compute': {
          available: h.status === 'up',
          active: h.enabled,
          updated_at: novaTime(new Date(h.last_heartbeat_at)),
        },
      };
      byZone.set(h.availability_zone, zone);
    }
    const now = novaTime(new Date());
    const control = { available: true, active: true, updated_at: now };
    return {
      availabilityZoneInfo: [
        {
          zoneName: 'internal',
          zoneState: { available: true },
          hosts: { [hostname()]: { 'nova-scheduler': control, 'nova-conductor': control } },
        },
        ...[...byZone].map(([name, zoneHosts]) => ({
          zoneName: name,
          zoneState: {
            available: hosts.some((h) => h.availability_zone === name && h.status === 'up' && h.enabled),
          },
          hosts: zoneHosts,
        })),
      ],
    };
  });
}

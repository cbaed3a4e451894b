import * as P from '@kumo/agent-proto';
import { isKumoError, KumoError } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ComputeContext } from '../context.js';
import { atLeast } from '../http/microversion.js';
import { loadServer } from './server-common.js';

const STATE: Partial<Record<P.PowerState, string>> = {
  [P.PowerState.RUNNING]: 'running',
  [P.PowerState.PAUSED]: 'paused',
  [P.PowerState.SHUTOFF]: 'shutdown',
  [P.PowerState.CRASHED]: 'crashed',
};

/**
 * GET /servers/{id}/diagnostics (admin): what the host's agent reports of the
 * guest (GetDomain): state, vCPUs, memory, disks and NICs. Counters the agent
 * does not collect (CPU time, I/O) are null, as the 2.48 schema allows.
 */
export function diagnosticsRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get<{ Params: { id: string } }>('/v2.1/servers/:id/diagnostics', async (req) => {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-server-diagnostics');
    if (!row.host || row.vmState === 'building')
      throw new KumoError(
        'conflict',
        `Cannot 'get_diagnostics' instance ${row.id} while it is in vm_state ${row.vmState}`,
      );
    let domain: P.Domain | undefined;
    try {
      const port = await ctx.agents.forHost(row.host);
      domain = (
        await port.compute.getDomain({ instanceId: row.id }, { requestId: req.id, deadlineMs: 10_000 })
      ).domain;
    } catch (err) {
      if (isKumoError(err)) throw err;
      if ((err as { code?: number }).code !== 5) {
        req.log.warn({ err, host: row.host }, 'diagnostics unavailable');
        throw new KumoError('unavailable', `The host of instance ${row.id} does not answer now.`);
      }
    }
    if (!domain) throw new KumoError('conflict', `Instance ${row.id} has no guest on its host.`);
    const memoryMb = Number(domain.memoryMb);
    if (!atLeast(req, '2.48')) {
      // the libvirt driver's free-form keys, for what the agent knows
      return { memory: memoryMb * 1024, 'memory-actual': memoryMb * 1024 };
    }
    return {
      state: STATE[domain.power] ?? 'pending',
      driver: 'libvirt',
      hypervisor: 'kvm',
      hypervisor_os: 'linux',
      uptime: null,
      config_drive: row.configDrive,
      num_cpus: domain.vcpus,
      num_nics: domain.interfaces.length,
      num_disks: domain.disks.length,
      memory_details: { maximum: memoryMb, used: null },
      cpu_details: Array.from({ length: domain.vcpus }, (_, id) => ({ id, time: null, utilisation: null })),
      nic_details: domain.interfaces.map((n) => ({
        mac_address: n.mac || null,
        rx_octets: null,
        rx_errors: null,
        rx_drop: null,
        rx_packets: null,
        rx_rate: null,
        tx_octets: null,
        tx_errors: null,
        tx_drop: null,
        tx_packets: null,
        tx_rate: null,
      })),
      disk_details: domain.disks.map(() => ({
        read_bytes: null,
        read_requests: null,
        write_bytes: null,
        write_requests: null,
        errors_count: null,
      })),
    };
  });
}

import { z } from 'zod';
import type { HostInfo } from '../drivers/compute.js';

/** What an agent reports when it registers: its host's inventory (REST, snake_case). */
export const inventorySchema = z.object({
  hostname: z.string().min(1).max(255),
  arch: z.enum(['x86_64', 'aarch64']),
  cpu_model: z.string().max(255),
  cpus: z.number().int().min(1).max(65_536),
  numa_cells: z
    .array(
      z.object({
        id: z.number().int().min(0),
        cpus: z.array(z.number().int().min(0)).max(65_536),
        memory_mb: z.number().int().min(0),
      }),
    )
    .max(1024),
  memory_mb: z.number().int().min(0),
  disk_total_bytes: z.number().int().min(0),
  disk_free_bytes: z.number().int().min(0),
  hypervisor: z.enum(['kvm', 'qemu', 'fake']),
  kvm_proved: z.boolean(),
});
export type Inventory = z.infer<typeof inventorySchema>;

export const registrationSchema = z.object({
  /** host:port where the control plane reaches the agent's gRPC server. */
  address: z.string().min(1).max(300),
  agent_version: z.string().max(64).optional(),
  inventory: inventorySchema,
});
export type Registration = z.infer<typeof registrationSchema>;

export function inventoryOf(h: HostInfo): Inventory {
  return {
    hostname: h.hostname,
    arch: h.arch,
    cpu_model: h.cpuModel,
    cpus: h.cpus,
    numa_cells: h.numaCells.map((c) => ({ id: c.id, cpus: c.cpus, memory_mb: c.memoryMb })),
    memory_mb: h.memoryMb,
    disk_total_bytes: h.diskTotalBytes,
    disk_free_bytes: h.diskFreeBytes,
    hypervisor: h.hypervisor,
    kvm_proved: h.kvmProved,
  };
}

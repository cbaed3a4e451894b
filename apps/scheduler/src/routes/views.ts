import type { ConsumerAllocations } from '../db/allocations.repo.js';
import type { ProviderRow } from '../db/providers.repo.js';
import { capacityOf, RESOURCE_CLASSES } from '../domain/resources.js';
import type { ScheduleResult } from '../placement.js';

export function hostView(h: ProviderRow, up: boolean) {
  const inventories: Record<string, unknown> = {};
  const usages: Record<string, number> = {};
  for (const rc of RESOURCE_CLASSES) {
    const i = h.inventories[rc];
    if (!i) continue;
    inventories[rc] = {
      total: i.total,
      reserved: i.reserved,
      allocation_ratio: i.allocationRatio,
      min_unit: i.minUnit,
      max_unit: i.maxUnit,
      step_size: i.stepSize,
      capacity: capacityOf(i),
    };
    usages[rc] = i.used;
  }
  return {
    id: h.id,
    hostname: h.hostname,
    address: h.address,
    agent_version: h.agentVersion,
    hypervisor: h.hypervisor,
    arch: h.arch,
    status: up ? 'up' : 'down',
    enabled: h.enabled,
    disabled_reason: h.disabledReason,
    availability_zone: h.availabilityZone,
    traits: [...h.traits].sort(),
    inventories,
    usages,
    registered_at: new Date(h.registeredAt).toISOString(),
    last_heartbeat_at: new Date(h.lastHeartbeatAt).toISOString(),
  };
}
export type HostView = ReturnType<typeof hostView>;

export const scheduleView = (r: ScheduleResult) => ({
  host: r.host,
  address: r.address,
  availability_zone: r.availabilityZone,
  allocations: r.allocations,
});
export type ScheduleView = ReturnType<typeof scheduleView>;

export const allocationsView = (consumerId: string, a: ConsumerAllocations | undefined) => ({
  consumer_id: consumerId,
  host: a?.providerId ?? null,
  project_id: a?.projectId ?? null,
  user_id: a?.userId ?? null,
  group_id: a?.groupId ?? null,
  allocations: a?.resources ?? {},
});
export type AllocationsView = ReturnType<typeof allocationsView>;

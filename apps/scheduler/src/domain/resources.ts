import type { Inventory } from '@kumo/agent';
import type { SchedulerConfig } from '../config.js';

export const RESOURCE_CLASSES = ['DISK_GB', 'MEMORY_MB', 'VCPU'] as const;
export type ResourceClass = (typeof RESOURCE_CLASSES)[number];
export type Resources = Partial<Record<ResourceClass, number>>;

export interface InventoryLimits {
  total: number;
  reserved: number;
  allocationRatio: number;
  minUnit: number;
  maxUnit: number;
  stepSize: number;
}
export interface InventoryState extends InventoryLimits {
  used: number;
}

/** What a provider can hold of a class: (total - reserved) × ratio, as Placement computes it. */
export const capacityOf = (inv: InventoryLimits): number =>
  Math.floor((inv.total - inv.reserved) * inv.allocationRatio);
export const freeOf = (inv: InventoryState): number => capacityOf(inv) - inv.used;

/** Why `amount` of a class does not fit an inventory, or undefined when it does. */
export function misfit(
  rc: ResourceClass,
  inv: InventoryState | undefined,
  amount: number,
): string | undefined {
  if (amount <= 0) return undefined;
  if (!inv) return `no ${rc} inventory`;
  if (amount < inv.minUnit) return `${rc} ${amount} is below min_unit ${inv.minUnit}`;
  if (amount > inv.maxUnit) return `${rc} ${amount} is above max_unit ${inv.maxUnit}`;
  if (amount % inv.stepSize !== 0) return `${rc} ${amount} is not a multiple of step_size ${inv.stepSize}`;
  const free = freeOf(inv);
  if (amount > free) return `${rc} ${amount} requested, ${Math.max(free, 0)} free`;
  return undefined;
}

/** The requested amounts > 0, in the fixed class order (the order rows are locked in). */
export const requested = (r: Resources): [ResourceClass, number][] =>
  RESOURCE_CLASSES.flatMap((rc) => ((r[rc] ?? 0) > 0 ? [[rc, r[rc]!] as [ResourceClass, number]] : []));

export interface InventoryDefaults {
  cpuRatio: number;
  ramRatio: number;
  diskRatio: number;
  reservedRamMb: number;
  reservedVcpus: number;
  reservedDiskGb: number;
}

export const inventoryDefaultsOf = (c: SchedulerConfig): InventoryDefaults => ({
  cpuRatio: c.KUMO_SCHEDULER_CPU_RATIO,
  ramRatio: c.KUMO_SCHEDULER_RAM_RATIO,
  diskRatio: c.KUMO_SCHEDULER_DISK_RATIO,
  reservedRamMb: c.KUMO_SCHEDULER_RESERVED_RAM_MB,
  reservedVcpus: c.KUMO_SCHEDULER_RESERVED_VCPUS,
  reservedDiskGb: c.KUMO_SCHEDULER_RESERVED_DISK_GB,
});

const GiB = 1024 ** 3;

/** A registering agent's inventory as Placement inventories (reserved never above total). */
export function inventoriesOf(inv: Inventory, d: InventoryDefaults): Record<ResourceClass, InventoryLimits> {
  const one = (total: number, reserved: number, allocationRatio: number): InventoryLimits => ({
    total,
    reserved: Math.min(reserved, total),
    allocationRatio,
    minUnit: 1,
    maxUnit: Math.max(total, 1),
    stepSize: 1,
  });
  return {
    VCPU: one(inv.cpus, d.reservedVcpus, d.cpuRatio),
    MEMORY_MB: one(inv.memory_mb, d.reservedRamMb, d.ramRatio),
    DISK_GB: one(Math.floor(inv.disk_total_bytes / GiB), d.reservedDiskGb, d.diskRatio),
  };
}

export const ARCH_TRAITS: Record<string, string> = { x86_64: 'HW_ARCH_X86_64', aarch64: 'HW_ARCH_AARCH64' };

/** The traits a host gets from what its agent reports. */
export function traitsOf(inv: Inventory): string[] {
  const traits = [ARCH_TRAITS[inv.arch] ?? `HW_ARCH_${inv.arch.toUpperCase()}`];
  traits.push(`COMPUTE_HYPERVISOR_${inv.hypervisor.toUpperCase()}`);
  if (inv.kvm_proved) traits.push('COMPUTE_HW_VIRT_KVM');
  return traits;
}

export const TRAIT_RE = /^[A-Z0-9_]{1,255}$/;

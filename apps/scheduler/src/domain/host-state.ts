import type { InventoryState, ResourceClass, Resources } from './resources.js';

/** A host as the scheduler sees it in its in-memory snapshot. */
export interface HostState {
  id: string;
  hostname: string;
  address: string;
  arch: string;
  hypervisor: string;
  enabled: boolean;
  disabledReason: string | null;
  availabilityZone: string;
  lastHeartbeatAt: number;
  traits: Set<string>;
  inventories: Partial<Record<ResourceClass, InventoryState>>;
}

export type GroupPolicy = 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity';

export interface ServerGroupRef {
  id: string;
  policy: GroupPolicy;
  /** anti-affinity: how many members one host may hold (Nova's max_server_per_host). Default 1. */
  maxServerPerHost?: number;
}

/** One scheduling request (the in-process API; the REST body is its snake_case twin). */
export interface ScheduleRequest {
  consumerId: string;
  projectId: string;
  userId: string;
  resources: Resources;
  availabilityZone?: string;
  imageId?: string;
  imageProperties?: Record<string, string | number | boolean>;
  requiredTraits?: string[];
  forbiddenTraits?: string[];
  group?: ServerGroupRef;
  forceHost?: string;
  ignoreHosts?: string[];
}

/** What filters need besides the host and the request. */
export interface FilterContext {
  now: number;
  hostDownMs: number;
  isolatedHosts: ReadonlySet<string>;
  isolatedImages: ReadonlySet<string>;
  /** Hosts holding the request's group's other members → how many. */
  groupHosts: ReadonlyMap<string, number>;
}

export const isUp = (h: HostState, now: number, hostDownMs: number): boolean =>
  now - h.lastHeartbeatAt < hostDownMs;

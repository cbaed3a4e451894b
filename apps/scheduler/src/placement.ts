import type { HostRecord, HostRegistry, Inventory, Registration } from '@kumo/agent';
import { conflict, KumoError, type Logger, notFound } from '@kumo/service-kit';
import type { SchedulerConfig } from './config.js';
import {
  type AggregateRow,
  addAggregateHost,
  createAggregate,
  deleteAggregate,
  findAggregate,
  listAggregates,
  removeAggregateHost,
  setAggregateMetadata,
  updateAggregate,
} from './db/aggregates.repo.js';
import {
  type ClaimOutcome,
  type ConsumerAllocations,
  claim,
  getAllocations,
  groupHosts,
  release,
  type UsageUpdate,
} from './db/allocations.repo.js';
import {
  heartbeatProvider,
  loadProviders,
  type ProviderPatch,
  type ProviderRow,
  setCustomTraits,
  updateProvider,
  upsertProvider,
} from './db/providers.repo.js';
import type { Pool } from './db/tx.js';
import { noValidHostMessage, runFilters } from './domain/filters.js';
import { type FilterContext, type HostState, isUp, type ScheduleRequest } from './domain/host-state.js';
import {
  inventoriesOf,
  inventoryDefaultsOf,
  misfit,
  type Resources,
  requested,
  traitsOf,
} from './domain/resources.js';
import { weighHosts } from './domain/weighers.js';

export interface ScheduleResult {
  host: string;
  address: string;
  availabilityZone: string;
  allocations: Resources;
}

export interface HostClaim {
  host: string;
  resources: Resources;
  projectId: string;
  userId: string;
}

export interface AvailabilityZoneView {
  name: string;
  available: boolean;
  hosts: { id: string; up: boolean; enabled: boolean }[];
}

const recordOf = (p: ProviderRow): HostRecord => ({
  hostId: p.id,
  address: p.address,
  agentVersion: p.agentVersion ?? undefined,
  inventory: p.inventory as unknown as Inventory,
  registeredAt: p.registeredAt,
  lastHeartbeatAt: p.lastHeartbeatAt,
});

/**
 * Placement: the host registry (as the control plane's HostRegistry) and the
 * scheduler. Filtering and weighing run on an in-memory snapshot of every host
 * (re-read from Postgres every KUMO_SCHEDULER_REFRESH_MS, and patched on every
 * change this process makes); only the final claim hits Postgres, which
 * re-checks capacity and group rules atomically.
 */
export class Placement implements HostRegistry {
  private hosts = new Map<string, ProviderRow>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly isolatedHosts: ReadonlySet<string>;
  private readonly isolatedImages: ReadonlySet<string>;

  constructor(
    private readonly pool: Pool,
    private readonly config: SchedulerConfig,
    private readonly log: Logger,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.isolatedHosts = new Set(config.KUMO_SCHEDULER_ISOLATED_HOSTS);
    this.isolatedImages = new Set(config.KUMO_SCHEDULER_ISOLATED_IMAGES);
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((err) => this.log.warn({ err }, 'host snapshot refresh failed'));
    }, this.config.KUMO_SCHEDULER_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Re-read every host from Postgres. */
  async refresh(): Promise<void> {
    const rows = await loadProviders(this.pool, undefined, { lean: true });
    this.hosts = new Map(rows.map((r) => [r.id, r]));
  }

  private async refreshHost(id: string): Promise<ProviderRow | undefined> {
    const [row] = await loadProviders(this.pool, id);
    if (row) this.hosts.set(id, row);
    else this.hosts.delete(id);
    return row;
  }

  private applyUsage(usage: UsageUpdate): void {
    for (const u of usage) {
      const inv = this.hosts.get(u.providerId)?.inventories[u.resourceClass];
      if (inv) inv.used = u.used;
    }
  }

  isUp(h: HostState): boolean {
    return isUp(h, this.now(), this.config.KUMO_SCHEDULER_HOST_DOWN_MS);
  }

  // ---- HostRegistry (the agent routes) ----

  async register(hostId: string, reg: Registration, at: number = this.now()): Promise<HostRecord> {
    await upsertProvider(this.pool, {
      id: hostId,
      hostname: reg.inventory.hostname,
      address: reg.address,
      agentVersion: reg.agent_version ?? null,
      hypervisor: reg.inventory.hypervisor,
      arch: reg.inventory.arch,
      inventory: reg.inventory as unknown as Record<string, unknown>,
      at,
      inventories: inventoriesOf(reg.inventory, inventoryDefaultsOf(this.config)),
      traits: traitsOf(reg.inventory),
    });
    const row = await this.refreshHost(hostId);
    return recordOf(row!);
  }

  /** The in-process name of `register`. */
  registerHost(hostId: string, reg: Registration, at?: number): Promise<HostRecord> {
    return this.register(hostId, reg, at);
  }

  async heartbeat(hostId: string, at: number = this.now()): Promise<HostRecord | undefined> {
    const rec = await heartbeatProvider(this.pool, hostId, at);
    if (!rec) return undefined;
    const row = this.hosts.get(hostId);
    if (row) row.lastHeartbeatAt = at;
    else await this.refreshHost(hostId);
    return recordOf(rec);
  }

  async get(hostId: string): Promise<HostRecord | undefined> {
    const [row] = await loadProviders(this.pool, hostId);
    return row ? recordOf(row) : undefined;
  }

  async list(): Promise<HostRecord[]> {
    return (await loadProviders(this.pool)).map(recordOf);
  }

  // ---- hosts (operators) ----

  listHosts(): Promise<ProviderRow[]> {
    return loadProviders(this.pool);
  }

  async getHost(id: string): Promise<ProviderRow> {
    const [row] = await loadProviders(this.pool, id);
    if (!row) throw notFound('host', id);
    return row;
  }

  async updateHost(id: string, patch: ProviderPatch): Promise<ProviderRow> {
    if (!(await updateProvider(this.pool, id, patch))) throw notFound('host', id);
    const row = await this.refreshHost(id);
    if (!row) throw notFound('host', id);
    return row;
  }

  async setTraits(id: string, traits: string[]): Promise<ProviderRow> {
    if (!(await setCustomTraits(this.pool, id, [...new Set(traits)]))) throw notFound('host', id);
    const row = await this.refreshHost(id);
    if (!row) throw notFound('host', id);
    return row;
  }

  async availabilityZones(): Promise<AvailabilityZoneView[]> {
    const zones = new Map<string, AvailabilityZoneView>();
    for (const h of await loadProviders(this.pool)) {
      const z = zones.get(h.availabilityZone) ?? { name: h.availabilityZone, available: false, hosts: [] };
      const up = this.isUp(h);
      z.hosts.push({ id: h.id, up, enabled: h.enabled });
      z.available ||= up && h.enabled;
      zones.set(z.name, z);
    }
    return [...zones.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  // ---- aggregates (a change of hosts or zone re-reads the snapshot: zones filter hosts) ----

  listAggregates(): Promise<AggregateRow[]> {
    return listAggregates(this.pool);
  }

  async getAggregate(ref: string): Promise<AggregateRow> {
    const a = await findAggregate(this.pool, ref);
    if (!a) throw notFound(`Aggregate ${ref} could not be found.`);
    return a;
  }

  createAggregate(name: string, zone: string | null): Promise<AggregateRow> {
    return createAggregate(this.pool, name, zone);
  }

  private async changed<T>(p: Promise<T>): Promise<T> {
    const out = await p;
    await this.refresh();
    return out;
  }

  updateAggregate(ref: string, patch: { name?: string; zone?: string | null }): Promise<AggregateRow> {
    return this.changed(updateAggregate(this.pool, ref, patch));
  }

  setAggregateMetadata(ref: string, metadata: Record<string, string | null>): Promise<AggregateRow> {
    return this.changed(setAggregateMetadata(this.pool, ref, metadata));
  }

  deleteAggregate(ref: string): Promise<void> {
    return this.changed(deleteAggregate(this.pool, ref));
  }

  addAggregateHost(ref: string, host: string): Promise<AggregateRow> {
    return this.changed(addAggregateHost(this.pool, ref, host));
  }

  removeAggregateHost(ref: string, host: string): Promise<AggregateRow> {
    return this.changed(removeAggregateHost(this.pool, ref, host));
  }

  // ---- allocations ----

  getAllocations(consumerId: string): Promise<ConsumerAllocations | undefined> {
    return getAllocations(this.pool, consumerId);
  }

  private async resultOf(a: ConsumerAllocations): Promise<ScheduleResult> {
    const h = this.hosts.get(a.providerId) ?? (await this.refreshHost(a.providerId));
    return {
      host: a.providerId,
      address: h?.address ?? '',
      availabilityZone: h?.availabilityZone ?? 'nova',
      allocations: a.resources,
    };
  }

  private async filterContext(req: ScheduleRequest): Promise<FilterContext> {
    return {
      now: this.now(),
      hostDownMs: this.config.KUMO_SCHEDULER_HOST_DOWN_MS,
      isolatedHosts: this.isolatedHosts,
      isolatedImages: this.isolatedImages,
      groupHosts: req.group ? await groupHosts(this.pool, req.group.id, req.consumerId) : new Map(),
    };
  }

  /**
   * Pick a host and claim the resources on it. Idempotent per consumer: one
   * that already holds allocations gets the same answer again.
   */
  async schedule(req: ScheduleRequest): Promise<ScheduleResult> {
    const ctx = await this.filterContext(req);
    const all = [...this.hosts.values()];
    const { hosts, report } = runFilters(all, req, ctx);
    const attempts = this.config.KUMO_SCHEDULER_MAX_ATTEMPTS;
    const ordered = weighHosts(hosts, req, ctx, this.config.KUMO_SCHEDULER_WEIGHER, attempts);
    const want = requested(req.resources);
    const lost: string[] = [];
    for (const h of ordered) {
      // reserve in the snapshot first, so concurrent decisions in this process spread out
      const reserve = (sign: number) => {
        for (const [rc, n] of want) {
          const inv = h.inventories[rc];
          if (inv) inv.used += sign * n;
        }
      };
      reserve(1);
      let out: ClaimOutcome;
      try {
        out = await claim(this.pool, { ...req, providerId: h.id });
      } catch (err) {
        reserve(-1);
        throw err;
      }
      if (out.ok) {
        this.applyUsage(out.usage);
        return {
          host: h.id,
          address: h.address,
          availabilityZone: h.availabilityZone,
          allocations: req.resources,
        };
      }
      reserve(-1);
      if (out.reason === 'exists') break;
      if (out.reason === 'group') lost.push(out.detail);
      else {
        for (const [rc, inv] of Object.entries(out.inventories)) {
          const mine = h.inventories[rc as keyof typeof h.inventories];
          if (mine && inv) mine.used = inv.used;
        }
        const why = want.map(([rc, n]) => misfit(rc, out.inventories[rc], n)).find(Boolean);
        lost.push(`${h.id}: ${why ?? 'capacity changed'}`);
      }
    }
    const existing = await getAllocations(this.pool, req.consumerId);
    if (existing) return this.resultOf(existing);
    const extra = lost.length
      ? `claims lost races on ${lost.length} host(s) (${lost.join('; ')})`
      : undefined;
    throw new KumoError('conflict', noValidHostMessage(all.length, report, extra), { type: 'NoValidHost' });
  }

  /**
   * Claim on one given host (resize on the same host, rebuild, a forced move),
   * replacing whatever the consumer held, atomically.
   */
  async claimOnHost(consumerId: string, c: HostClaim): Promise<ScheduleResult> {
    const h = this.hosts.get(c.host) ?? (await this.refreshHost(c.host));
    if (!h) throw notFound('host', c.host);
    const before = await getAllocations(this.pool, consumerId);
    const out = await claim(this.pool, {
      consumerId,
      providerId: c.host,
      resources: c.resources,
      projectId: c.projectId,
      userId: c.userId,
      replace: true,
      groupId: before?.groupId ?? null,
    });
    if (out.ok) {
      this.applyUsage(out.usage);
      return {
        host: h.id,
        address: h.address,
        availabilityZone: h.availabilityZone,
        allocations: c.resources,
      };
    }
    if (out.reason === 'capacity') {
      // the consumer's own allocation on this host is free again for the request
      const own = before?.providerId === c.host ? before.resources : {};
      const why = requested(c.resources)
        .map(([rc, n]) => {
          const inv = out.inventories[rc];
          return misfit(rc, inv && { ...inv, used: inv.used - (own[rc] ?? 0) }, n);
        })
        .find(Boolean);
      throw conflict(`Host ${c.host} cannot hold consumer ${consumerId}: ${why ?? 'not enough capacity'}.`);
    }
    throw conflict(`Host ${c.host} cannot hold consumer ${consumerId}: allocation changed concurrently.`);
  }

  /** Drop a consumer's allocations; false when it had none. */
  async release(consumerId: string): Promise<boolean> {
    const usage = await release(this.pool, consumerId);
    this.applyUsage(usage);
    return usage.length > 0;
  }
}

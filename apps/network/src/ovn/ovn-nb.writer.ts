import { type OvsdbClient, setItems } from '@kumo/ovsdb';
import type { Logger } from '@kumo/service-kit';
import type { NetworkSync, SyncKind } from '../domain/sync.js';
import { desiredRows, type MappingOptions } from './desired.js';
import type { OvnStateSource } from './model.js';
import type { NbIndex } from './nb-index.js';
import { MissingParentError, mergeMutations, type NbPlan, planOwner, type SyncCounts } from './nb-plan.js';
import { GLOBAL_DROP_OWNER, lsName, NB_DB, ownerKey, parseOwner, pgName } from './nb-rows.js';

export type SyncLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface OvnNbWriterOptions {
  client: OvsdbClient;
  index: NbIndex;
  source: OvnStateSource;
  log: SyncLog;
  mapping: MappingOptions;
  /** Batches (transactions) in flight at the same time (default 2). */
  concurrency?: number;
  /** Owners planned together and committed in one transaction (default 50). */
  batchSize?: number;
  /** Attempts per request before giving up until the next request or full resync (default 8). */
  maxAttempts?: number;
  backoff?: { initialMs?: number; maxMs?: number };
}

export interface WriterStats {
  syncs: number;
  transactions: number;
  failures: number;
  /** Total time spent loading models + planning, and waiting for NB transactions. */
  planMs: number;
  transactMs: number;
}

/**
 * Converges OVN northbound rows one owner (a Neutron object) at a time: load the model, map it to the
 * desired rows, diff against the replica, run one transaction with the minimal operations (none when
 * nothing differs). Requests are queued and coalesced per owner; a request arriving while its owner
 * is syncing runs once more afterwards; failures retry with exponential backoff.
 */
export class OvnNbWriter implements NetworkSync {
  private readonly pending = new Set<string>();
  private readonly running = new Set<string>();
  private readonly rerun = new Set<string>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly attempts = new Map<string, number>();
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private activeBatches = 0;
  readonly stats: WriterStats = { syncs: 0, transactions: 0, failures: 0, planMs: 0, transactMs: 0 };

  constructor(private readonly opts: OvnNbWriterOptions) {}

  request(kind: SyncKind, id: string): void {
    this.requestOwner(ownerKey(kind, id));
  }

  requestOwner(owner: string): void {
    if (this.closed || !parseOwner(owner)) return;
    const timer = this.retryTimers.get(owner);
    if (timer) {
      clearTimeout(timer);
      this.retryTimers.delete(owner);
    }
    if (this.running.has(owner)) {
      this.rerun.add(owner);
      return;
    }
    this.pending.add(owner);
    this.pump();
  }

  /** True while `owner` is being synced (its own NB changes are expected then). */
  isSyncing(owner: string): boolean {
    return this.running.has(owner);
  }

  /** Resolves when nothing is queued, running or waiting for a retry. */
  flush(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
    this.pending.clear();
    this.rerun.clear();
    this.notifyIdle();
  }

  /**
   * Syncs one owner now (used by the full reconcile, with a snapshot source), unless the queue is
   * syncing it at this moment; then it is re-queued and `undefined` is returned.
   */
  async syncExclusive(owner: string, source: OvnStateSource): Promise<SyncCounts | undefined> {
    if (this.running.has(owner)) {
      this.rerun.add(owner);
      return undefined;
    }
    this.running.add(owner);
    try {
      return await this.syncOwner(owner, source, false);
    } finally {
      this.running.delete(owner);
      if (this.rerun.delete(owner)) this.pending.add(owner);
      this.pump();
    }
  }

  private idle(): boolean {
    return this.pending.size === 0 && this.running.size === 0 && this.retryTimers.size === 0;
  }

  private notifyIdle(): void {
    if (!this.idle() && !this.closed) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }

  private pump(): void {
    const max = this.opts.concurrency ?? 2;
    const size = this.opts.batchSize ?? 50;
    while (!this.closed && this.activeBatches < max && this.pending.size > 0) {
      const batch: string[] = [];
      for (const owner of this.pending) {
        batch.push(owner);
        if (batch.length >= size) break;
      }
      for (const owner of batch) {
        this.pending.delete(owner);
        this.running.add(owner);
      }
      this.activeBatches++;
      void this.runBatch(batch);
    }
    this.notifyIdle();
  }

  /**
   * Plans every owner of the batch against the replica and commits all plans in one transaction (a
   * burst of port creates costs one NB transaction, not one each). When that transaction fails, each
   * owner is re-synced alone so one bad owner cannot block the others.
   */
  private async runBatch(owners: string[]): Promise<void> {
    const { index, client, log } = this.opts;
    const failed = new Map<string, unknown>();
    const deferred: string[] = [];
    try {
      if (owners.some((o) => o.startsWith('port:')) && !index.find(GLOBAL_DROP_OWNER, 'pg')) {
        // the first port creates neutron_pg_drop (ports synced meanwhile are re-synced by its follow-up)
        if (!this.running.has(GLOBAL_DROP_OWNER)) await this.ensureDropGroup(this.opts.source);
      }
      const plans: { owner: string; plan: NbPlan }[] = [];
      const t0 = performance.now();
      for (const [i, owner] of owners.entries()) {
        try {
          const desired = await desiredRows(owner, this.opts.source, this.opts.mapping);
          const plan = planOwner(index, owner, desired, `o${i}r`);
          this.stats.syncs++;
          if (plan.ops.length > 0) plans.push({ owner, plan });
        } catch (err) {
          // a parent planned in this same batch (e.g. the port's network) exists after the commit
          if (err instanceof MissingParentError && owners.length > 1) deferred.push(owner);
          else failed.set(owner, err);
        }
      }
      const t1 = performance.now();
      this.stats.planMs += t1 - t0;
      if (plans.length > 0) {
        try {
          await client.transact(NB_DB, mergeMutations(plans.flatMap((p) => p.plan.ops)));
          this.stats.transactMs += performance.now() - t1;
          this.stats.transactions++;
          for (const { owner, plan } of plans) {
            log.debug({ owner, ...plan.counts, ops: plan.ops.length }, 'ovn sync');
            this.followUp(owner, plan);
          }
        } catch (err) {
          if (plans.length === 1 && plans[0]) failed.set(plans[0].owner, err);
          else {
            for (const { owner } of plans) {
              await this.syncOwner(owner, this.opts.source, true).catch((e: unknown) => failed.set(owner, e));
            }
          }
        }
      } else if (deferred.length > 0) {
        // nothing committed, so waiting cannot help: these are real failures
        for (const o of deferred.splice(0)) failed.set(o, new MissingParentError(`parent missing for ${o}`));
      }
    } catch (err) {
      for (const o of owners) failed.set(o, err);
    } finally {
      for (const owner of owners) {
        this.running.delete(owner);
        const err = failed.get(owner);
        if (err !== undefined) this.scheduleRetry(owner, err);
        else if (!deferred.includes(owner)) this.attempts.delete(owner);
        if (this.rerun.delete(owner) || deferred.includes(owner)) this.pending.add(owner);
      }
      this.activeBatches--;
      this.pump();
    }
  }

  private scheduleRetry(owner: string, err: unknown): void {
    this.stats.failures++;
    const attempt = (this.attempts.get(owner) ?? 0) + 1;
    const max = this.opts.maxAttempts ?? 8;
    const msg = err instanceof Error ? err.message : String(err);
    if (attempt >= max || this.closed) {
      this.attempts.delete(owner);
      this.opts.log.error({ owner, attempt, err: msg }, 'ovn sync failed; giving up until the next resync');
      return;
    }
    this.attempts.set(owner, attempt);
    const b = this.opts.backoff ?? {};
    const delay = Math.min(b.maxMs ?? 10_000, (b.initialMs ?? 100) * 2 ** (attempt - 1));
    this.opts.log.warn({ owner, attempt, delayMs: delay, err: msg }, 'ovn sync failed; retrying');
    const timer = setTimeout(() => {
      this.retryTimers.delete(owner);
      this.requestOwner(owner);
    }, delay);
    timer.unref();
    this.retryTimers.set(owner, timer);
  }

  private async syncOwner(owner: string, source: OvnStateSource, followups: boolean): Promise<SyncCounts> {
    const { index, client, log } = this.opts;
    const t0 = performance.now();
    const desired = await desiredRows(owner, source, this.opts.mapping);
    const plan = planOwner(index, owner, desired);
    const t1 = performance.now();
    this.stats.planMs += t1 - t0;
    this.stats.syncs++;
    if (plan.ops.length === 0) return plan.counts;
    await client.transact(NB_DB, plan.ops);
    this.stats.transactMs += performance.now() - t1;
    this.stats.transactions++;
    log.debug({ owner, ...plan.counts, ops: plan.ops.length }, 'ovn sync');
    if (followups) this.followUp(owner, plan);
    return plan.counts;
  }

  private async ensureDropGroup(source: OvnStateSource): Promise<void> {
    this.running.add(GLOBAL_DROP_OWNER);
    try {
      await this.syncOwner(GLOBAL_DROP_OWNER, source, true);
    } finally {
      this.running.delete(GLOBAL_DROP_OWNER);
      if (this.rerun.delete(GLOBAL_DROP_OWNER)) this.pending.add(GLOBAL_DROP_OWNER);
    }
  }

  /**
   * Rows another owner points at appeared: re-sync those owners so they pick them up (DHCP options →
   * the network's ports; a port group → its member ports; the drop group → every secured port).
   */
  private followUp(owner: string, plan: NbPlan): void {
    const o = parseOwner(owner);
    if (!o) return;
    const tables = new Set(plan.inserted.map((i) => i.table));
    const { index } = this.opts;
    const replica = index.replica;
    const portOwners = () => index.owners().filter((x) => x.startsWith('port:'));
    const lspOf = (portOwner: string) => {
      const r = index.find(portOwner, 'lsp');
      return r ? replica.get('Logical_Switch_Port', r.uuid) : undefined;
    };
    const ext = (row: ReturnType<typeof lspOf>, key: string) =>
      row?.external_ids instanceof Map ? String(row.external_ids.get(key) ?? '') : '';
    let targets: string[] = [];
    if (o.kind === 'network' && tables.has('DHCP_Options')) {
      targets = portOwners().filter((p) => ext(lspOf(p), 'neutron:network_name') === lsName(o.id));
    } else if (o.kind === 'security_group' && tables.has('Port_Group')) {
      targets = portOwners().filter((p) =>
        ext(lspOf(p), 'neutron:security_group_ids')
          .split(' ')
          .some((sg) => pgName(sg) === pgName(o.id)),
      );
    } else if (o.kind === 'global' && tables.has('Port_Group')) {
      targets = portOwners().filter((p) => setItems(lspOf(p)?.port_security).length > 0);
    }
    for (const t of targets) this.requestOwner(t);
  }
}

import { type ChangeEvent, mapRecord } from '@kumo/ovsdb';
import { type OvnStateSource, snapshotSource } from './model.js';
import type { NbIndex } from './nb-index.js';
import { canonical, type SyncCounts } from './nb-plan.js';
import {
  GLOBAL_DROP_OWNER,
  MANAGED_COLUMNS,
  NB_TABLES,
  type NbTable,
  OWNER_KEY,
  ownerKey,
  parseOwner,
} from './nb-rows.js';
import type { OvnNbWriter, SyncLog } from './ovn-nb.writer.js';

export interface ReconcileResult extends SyncCounts {
  /** Owners compared. */
  owners: number;
  /** Owners whose sync failed (queued for retry). */
  failed: number;
  durationMs: number;
}

/**
 * Full sync like neutron-ovn-db-sync-util: every Neutron object and every Kumo-tagged NB row's owner is
 * converged (missing rows created, differing ones updated, strays deleted). Untagged rows are never
 * touched. Also watches the replica: when someone else deletes or changes a Kumo row, its owner is
 * re-synced at once.
 */
export class OvnReconciler {
  private running: Promise<ReconcileResult> | undefined;
  private readonly offChange: () => void;
  lastResult: ReconcileResult | undefined;

  constructor(
    private readonly index: NbIndex,
    private readonly writer: OvnNbWriter,
    private readonly source: OvnStateSource,
    private readonly log: SyncLog,
  ) {
    this.offChange = index.replica.onChange((e) => this.onChange(e));
  }

  close(): void {
    this.offChange();
  }

  /** Runs a full reconcile (joins the one in progress, if any). */
  reconcile(): Promise<ReconcileResult> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<ReconcileResult> {
    const t0 = performance.now();
    const models = await this.source.all();
    const snapshot = snapshotSource(models);
    // dependencies first: networks and groups before ports, routers before floating IPs
    const owners = [
      GLOBAL_DROP_OWNER,
      ...models.networks.map((n) => ownerKey('network', n.id)),
      ...models.securityGroups.map((s) => ownerKey('security_group', s.id)),
      ...models.ports.map((p) => ownerKey('port', p.id)),
      ...models.routers.map((r) => ownerKey('router', r.id)),
      ...models.floatingIps.map((f) => ownerKey('floating_ip', f.id)),
    ];
    const known = new Set(owners);
    // strays: Kumo rows whose Neutron object is gone (children before parents does not matter: GC)
    for (const o of this.index.owners()) if (!known.has(o) && parseOwner(o)) owners.push(o);
    const result: ReconcileResult = {
      created: 0,
      updated: 0,
      deleted: 0,
      owners: owners.length,
      failed: 0,
      durationMs: 0,
    };
    for (const owner of owners) {
      try {
        const c = await this.writer.syncExclusive(owner, snapshot);
        if (!c) continue;
        result.created += c.created;
        result.updated += c.updated;
        result.deleted += c.deleted;
      } catch (err) {
        result.failed++;
        this.log.warn(
          { owner, err: err instanceof Error ? err.message : String(err) },
          'ovn reconcile: owner failed',
        );
        this.writer.requestOwner(owner);
      }
    }
    result.durationMs = Math.round(performance.now() - t0);
    this.lastResult = result;
    const level = result.created + result.updated + result.deleted + result.failed > 0 ? 'info' : 'debug';
    this.log[level]({ ...result }, 'ovn reconcile done');
    return result;
  }

  private onChange(e: ChangeEvent): void {
    if (!NB_TABLES.includes(e.table as NbTable)) return;
    const table = e.table as NbTable;
    const owners = new Set<string>();
    const now = mapRecord(e.row.external_ids)[OWNER_KEY];
    if (now !== undefined) owners.add(now);
    if (e.old) {
      const before = mapRecord(e.old.external_ids)[OWNER_KEY];
      if (before !== undefined) owners.add(before);
    }
    if (owners.size === 0) return;
    if (e.kind === 'update' && e.old) {
      const old = e.old;
      const changed = MANAGED_COLUMNS[table].some((c) => canonical(old[c]) !== canonical(e.row[c]));
      if (!changed) return;
    }
    for (const owner of owners) {
      if (this.writer.isSyncing(owner)) continue; // our own write
      this.log.debug({ owner, table, kind: e.kind }, 'ovn: Kumo row changed outside Kumo; re-syncing');
      this.writer.requestOwner(owner);
    }
  }
}

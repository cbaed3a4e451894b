import { OvsdbClient, type OvsdbTarget } from '@kumo/ovsdb';
import type { NetworkSync } from '../domain/sync.js';
import type { OvnStateSource } from './model.js';
import { NbIndex } from './nb-index.js';
import { NB_DB, NB_TABLES } from './nb-rows.js';
import { OvnNbWriter, type SyncLog, type WriterStats } from './ovn-nb.writer.js';
import { OvnReconciler, type ReconcileResult } from './reconciler.js';

export interface OvnSyncOptions {
  /** OVN northbound DB: `tcp:host:port` or `unix:/path`. */
  nbConnection: OvsdbTarget;
  source: OvnStateSource;
  log: SyncLog;
  /** Chassis names for gateway router ports, most preferred first (all-in-one: its own chassis). */
  gatewayChassis: readonly string[];
  /** Period of the full reconcile (default 60 s; 0 disables the timer). */
  resyncIntervalMs?: number;
  /** NB transactions in flight at once (default 2). */
  concurrency?: number;
  /** Queued objects planned together and committed in one transaction (default 50). */
  batchSize?: number;
  /** Run the first full reconcile before returning (default true). */
  reconcileOnStart?: boolean;
  backoff?: { initialMs?: number; maxMs?: number };
}

export interface OvnSync {
  /** Give this to the network service: it requests a sync after every committed change. */
  sync: NetworkSync;
  /** Resolves when every requested sync (and its retries) has finished. */
  flush(): Promise<void>;
  /** Full comparison of Neutron and OVN, repairing drift; returns what changed. */
  reconcile(): Promise<ReconcileResult>;
  stats(): WriterStats & { lastReconcile: ReconcileResult | undefined };
  close(): Promise<void>;
}

/**
 * Connects to the OVN northbound DB, mirrors the tables Kumo writes, and keeps them converged with the
 * Neutron state: on request (per object), at start, after every reconnect, on a timer, and when a Kumo
 * row is changed by someone else.
 */
export async function createOvnSync(opts: OvnSyncOptions): Promise<OvnSync> {
  const client = await OvsdbClient.connect({
    target: opts.nbConnection,
    log: (m) => opts.log.warn({}, m),
  });
  let index: NbIndex | undefined;
  let writer: OvnNbWriter | undefined;
  let reconciler: OvnReconciler | undefined;
  let timer: NodeJS.Timeout | undefined;
  let offState: (() => void) | undefined;
  const close = async () => {
    clearInterval(timer);
    offState?.();
    reconciler?.close();
    writer?.close();
    index?.close();
    await client.close();
  };
  try {
    const tables = Object.fromEntries(NB_TABLES.map((t) => [t, {}]));
    const replica = await client.monitor(NB_DB, tables);
    index = new NbIndex(replica);
    const w = new OvnNbWriter({
      client,
      index,
      source: opts.source,
      log: opts.log,
      mapping: { gatewayChassis: opts.gatewayChassis },
      concurrency: opts.concurrency,
      batchSize: opts.batchSize,
      backoff: opts.backoff,
    });
    writer = w;
    const r = new OvnReconciler(index, w, opts.source, opts.log);
    reconciler = r;
    const background = () => {
      r.reconcile().catch((err: unknown) =>
        opts.log.error({ err: err instanceof Error ? err.message : String(err) }, 'ovn reconcile failed'),
      );
    };
    let connections = client.connections;
    offState = client.onStateChange((s) => {
      if (s !== 'connected' || client.connections === connections) return;
      connections = client.connections;
      opts.log.info({}, 'ovn: NB reconnected; full resync');
      background();
    });
    const every = opts.resyncIntervalMs ?? 60_000;
    if (every > 0) {
      timer = setInterval(background, every);
      timer.unref();
    }
    if (opts.reconcileOnStart ?? true) await r.reconcile();
    return {
      sync: w,
      flush: () => w.flush(),
      reconcile: () => r.reconcile(),
      stats: () => ({ ...w.stats, lastReconcile: r.lastResult }),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

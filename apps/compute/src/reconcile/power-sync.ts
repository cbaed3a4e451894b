import type { WatchEventsResponse } from '@kumo/agent-proto';
import type { Logger } from '@kumo/service-kit';
import { GRPC } from '../agents/agent-errors.js';
import type { AgentConnector } from '../agents/connector.js';
import type { Db } from '../context.js';
import { hostsInUse, loadServerRow, serversOnHost, syncPowerState } from '../db/worker.repo.js';
import { type Observed, observedOfEvent, observedOfWire, reconcilePower } from './power-state.js';

export interface PowerSyncOptions {
  /** Level-based sweep period (listDomains per host vs the servers there). */
  sweepMs: number;
  /** How often the set of hosts to watch is re-read (a host gets its first server). */
  hostsRefreshMs: number;
  /** Backoff of a broken event stream: first retry, doubled up to the max. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

interface Watch {
  cancel(): void;
  retry?: NodeJS.Timeout;
  backoffMs: number;
  closed: boolean;
}

interface EventStream {
  on(ev: 'data', fn: (m: WatchEventsResponse) => void): unknown;
  on(ev: 'error' | 'end' | 'close', fn: (e?: unknown) => void): unknown;
  cancel(): void;
}

/**
 * The power-state reconciler: follows each host's WatchEvents stream (an
 * event triggers a re-read of that one server) and sweeps every host
 * periodically (level-based: whatever the events missed is healed). It never
 * touches a server with a task in flight.
 */
export function startPowerSync(o: { db: Db; agents: AgentConnector; log: Logger; opts: PowerSyncOptions }): {
  close(): Promise<void>;
  sweep(): Promise<void>;
} {
  const log = o.log.child({ component: 'power-sync' });
  const watches = new Map<string, Watch>();
  let closed = false;

  /** An event only says "look at this guest": re-read the row, then the domain, and reconcile (level-based). */
  const apply = async (host: string, serverId: string) => {
    const s = await loadServerRow(o.db, serverId);
    if (!s || s.deletedAt || s.host !== host) return;
    const agent = await o.agents.forHost(host);
    const seen = await agent.compute
      .getDomain({ instanceId: serverId }, { deadlineMs: 30_000 })
      .then((r): Observed => (r.domain ? observedOfWire(r.domain.power) : 'missing'))
      .catch((err: { code?: number }) => (err?.code === GRPC.NOT_FOUND ? ('missing' as const) : undefined));
    if (!seen) return;
    const next = reconcilePower(s, seen);
    if (!next) return;
    if (await syncPowerState(o.db, serverId, s, next))
      log.info(
        { serverId, seen, from: s.vmState, to: next.vmState, power: next.powerState },
        'power state synced',
      );
  };

  const watch = (host: string) => {
    const w: Watch = { cancel: () => {}, backoffMs: o.opts.reconnectMinMs, closed: false };
    watches.set(host, w);
    const reconnect = () => {
      if (w.closed || closed) return;
      clearTimeout(w.retry);
      w.retry = setTimeout(connect, w.backoffMs);
      w.retry.unref();
      w.backoffMs = Math.min(w.backoffMs * 2, o.opts.reconnectMaxMs);
    };
    const connect = async () => {
      if (w.closed || closed) return;
      let stream: EventStream;
      try {
        const agent = await o.agents.forHost(host);
        stream = agent.watchEvents({ heartbeatIntervalMs: 0 }) as unknown as EventStream;
      } catch (err) {
        log.debug?.({ host, err: (err as Error).message }, 'event stream: host unreachable');
        reconnect();
        return;
      }
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        reconnect();
      };
      w.cancel = () => stream.cancel();
      stream.on('data', (m: WatchEventsResponse) => {
        w.backoffMs = o.opts.reconnectMinMs;
        const e = m.event;
        if (!e?.instanceId || !observedOfEvent(e.type)) return;
        apply(host, e.instanceId).catch((err) => log.warn({ err, host }, 'power sync from event failed'));
      });
      stream.on('error', end);
      stream.on('end', end);
      stream.on('close', end);
    };
    void connect();
  };

  const unwatch = (host: string) => {
    const w = watches.get(host);
    if (!w) return;
    w.closed = true;
    clearTimeout(w.retry);
    try {
      w.cancel();
    } catch {}
    watches.delete(host);
  };

  const sweepHost = async (host: string) => {
    const rows = await serversOnHost(o.db, host); // rows first: a later domain list is never older than them
    const list = await o.agents
      .forHost(host)
      .then((a) => a.compute.listDomains({}, { deadlineMs: 30_000 }))
      .catch(() => undefined);
    if (!list) return; // host unreachable: nothing is known, nothing changes
    const power = new Map(list.domains.map((d) => [d.instanceId, observedOfWire(d.power)]));
    for (const s of rows) {
      const next = reconcilePower(s, power.get(s.id) ?? 'missing');
      if (next && (await syncPowerState(o.db, s.id, s, next)))
        log.info(
          { serverId: s.id, host, to: next.vmState, power: next.powerState },
          'power state synced (sweep)',
        );
    }
  };

  const refreshWatches = async () => {
    const hosts = new Set(await hostsInUse(o.db));
    if (closed) return hosts;
    for (const h of hosts) if (!watches.has(h)) watch(h);
    for (const h of [...watches.keys()]) if (!hosts.has(h)) unwatch(h);
    return hosts;
  };

  let sweeping: Promise<void> | undefined;
  const sweep = (): Promise<void> => {
    sweeping ??= (async () => {
      const hosts = await refreshWatches();
      await Promise.all(
        [...hosts].map((h) => sweepHost(h).catch((err) => log.warn({ err, host: h }, 'sweep failed'))),
      );
    })().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  };

  const timer = setInterval(() => {
    sweep().catch((err) => log.warn({ err }, 'power sweep failed'));
  }, o.opts.sweepMs);
  timer.unref();
  const hostsTimer = setInterval(() => {
    refreshWatches().catch((err) => log.warn({ err }, 'refreshing watched hosts failed'));
  }, o.opts.hostsRefreshMs);
  hostsTimer.unref();
  void sweep().catch((err) => log.warn({ err }, 'power sweep failed'));

  return {
    sweep,
    async close() {
      closed = true;
      clearInterval(timer);
      clearInterval(hostsTimer);
      for (const h of [...watches.keys()]) unwatch(h);
      await sweeping?.catch(() => undefined);
    },
  };
}

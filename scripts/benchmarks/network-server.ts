/**
 * The network service under benchmark, in its own process (the load generator must not share its
 * event loop): the test harness (real PG, Redis, identity tokens) listening on 127.0.0.1, with its
 * OVN sync writing KUMO_BENCH_NB. Driven over IPC by network-service.ts.
 */
import { startNetwork } from '@kumo/network/testing';

export type ServerRequest = { type: 'flush' | 'stats' | 'cpu' | 'close'; id: number };
export type ServerMessage =
  | { type: 'ready'; url: string; adminToken: string; demoToken: string; demoProjectId: string }
  | { type: 'done'; id: number; stats?: unknown }
  | { type: 'failed'; error: string };

const send = (m: ServerMessage) => process.send?.(m);

async function main(): Promise<void> {
  const nbConnection = process.env.KUMO_BENCH_NB;
  if (!nbConnection || !process.send) throw new Error('run by network-service.ts (KUMO_BENCH_NB, IPC)');
  const h = await startNetwork({ listen: true, ovn: { nbConnection } });
  const sync = h.service.ovn;
  if (!sync) throw new Error('the network service started without its OVN sync');
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await h.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void close());
  process.on('disconnect', () => void close());
  process.on('message', (m: ServerRequest) => {
    if (m.type === 'close') void close();
    else if (m.type === 'flush') void sync.flush().then(() => send({ type: 'done', id: m.id }));
    else if (m.type === 'cpu') {
      const u = process.cpuUsage();
      send({ type: 'done', id: m.id, stats: (u.user + u.system) / 1000 });
    } else if (m.type === 'stats') {
      const { lastReconcile: _, ...stats } = sync.stats();
      send({ type: 'done', id: m.id, stats });
    }
  });
  send({
    type: 'ready',
    url: h.url!,
    adminToken: h.adminToken,
    demoToken: h.demoToken,
    demoProjectId: h.demoProjectId,
  });
}

main().catch((err: unknown) => {
  send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});

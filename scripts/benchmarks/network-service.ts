import { type ChildProcess, fork } from 'node:child_process';
import type { ServerMessage, ServerRequest } from './network-server.js';

/** The network service running in a child process (network-server.ts). */
export interface NetworkServiceProcess {
  pid: number;
  url: string;
  adminToken: string;
  demoToken: string;
  demoProjectId: string;
  /** Resolves when the service's OVN sync has written everything requested so far. */
  flush(): Promise<void>;
  /** The OVN writer's counters (syncs, transactions, failures, plan/transact ms). */
  stats(): Promise<unknown>;
  /** CPU time (user + system, ms) the service process has used so far. */
  cpuMs(): Promise<number>;
  /** Closes the service (its DB, Redis prefix, identity) and waits for the process to exit. */
  close(): Promise<void>;
}

/** KUMO_BENCH_CPU_PROF=<dir>: the service writes a V8 CPU profile there when it exits. */
export async function startNetworkService(nbConnection: string): Promise<NetworkServiceProcess> {
  const prof = process.env.KUMO_BENCH_CPU_PROF;
  const child: ChildProcess = fork(new URL('./network-server.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx', ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])],
    env: {
      ...process.env,
      KUMO_BENCH_NB: nbConnection,
      KUMO_LOG_LEVEL: process.env.KUMO_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let seq = 0;
  const waiting = new Map<number, (stats: unknown) => void>();
  const ready = new Promise<Extract<ServerMessage, { type: 'ready' }>>((resolve, reject) => {
    child.on('message', (m: ServerMessage) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'failed') reject(new Error(`network service: ${m.error}`));
      else if (m.type === 'done') {
        waiting.get(m.id)?.(m.stats);
        waiting.delete(m.id);
      }
    });
    child.once('exit', (code) => reject(new Error(`network service exited with ${code}`)));
  });
  const ask = (type: ServerRequest['type']) =>
    new Promise<unknown>((resolve) => {
      const id = ++seq;
      waiting.set(id, resolve);
      child.send({ type, id } satisfies ServerRequest);
    });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
    await exited;
  };
  let r: Extract<ServerMessage, { type: 'ready' }>;
  try {
    r = await ready;
  } catch (err) {
    await kill();
    throw err;
  }
  return {
    pid: child.pid!,
    url: r.url,
    adminToken: r.adminToken,
    demoToken: r.demoToken,
    demoProjectId: r.demoProjectId,
    flush: async () => {
      await ask('flush');
    },
    stats: () => ask('stats'),
    cpuMs: async () => Number(await ask('cpu')),
    close: async () => {
      if (child.connected) child.send({ type: 'close', id: ++seq } satisfies ServerRequest);
      const timer = setTimeout(() => void kill(), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

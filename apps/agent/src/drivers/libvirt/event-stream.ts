import { type ChildProcess, spawn } from 'node:child_process';
import type { HostEvent } from '../compute.js';
import { type EventMapper, LineSplitter, parseEventLine } from './events.js';

export interface EventStreamOptions {
  /** The program and arguments of the long-running event child (`virsh … event --all --loop --timestamp`). */
  command: { file: string; args: string[] };
  mapper: EventMapper;
  /** Called each time the child (re)starts: seeds the mapper with current states. */
  seed?: () => Promise<void>;
  /** A heartbeat event every so often; 0 for none. */
  heartbeatMs: number;
  /** Wait before restarting a child that died (libvirtd restarted, …). */
  restartDelayMs?: number;
  onError?: (message: string) => void;
}

/**
 * HostEvents from a long-running `virsh event` child until `signal` aborts.
 * The child starts at once (not at the first read, so nothing that happens
 * before the consumer's first `next()` is missed), is restarted when it exits,
 * and is killed (by its own handle) on abort or when the consumer stops.
 */
export function eventStream(opts: EventStreamOptions, signal: AbortSignal): AsyncIterable<HostEvent> {
  const queue: HostEvent[] = [];
  let wake: (() => void) | undefined;
  let done = signal.aborted;
  let child: ChildProcess | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const push = (e: HostEvent) => {
    if (done) return;
    queue.push(e);
    notify();
  };

  const startChild = () => {
    if (done) return;
    const c = spawn(opts.command.file, opts.command.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    child = c;
    const lines = new LineSplitter();
    c.stdout?.setEncoding('utf8');
    c.stdout?.on('data', (chunk: string) => {
      for (const line of lines.push(chunk)) {
        const raw = parseEventLine(line);
        const ev = raw && opts.mapper.map(raw);
        if (ev) push(ev);
      }
    });
    let stderr = '';
    c.stderr?.setEncoding('utf8');
    c.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    c.on('error', (err) => opts.onError?.(`virsh event: ${err.message}`));
    c.on('close', (code) => {
      if (child === c) child = undefined;
      if (done) return;
      opts.onError?.(`virsh event exited (${code}): ${stderr.trim()}; restarting`);
      restartTimer = setTimeout(startChild, opts.restartDelayMs ?? 1000);
    });
    opts.seed?.().catch((err: unknown) => opts.onError?.(`seeding event states: ${String(err)}`));
  };

  const finish = () => {
    if (done && !child && !heartbeat) return;
    done = true;
    signal.removeEventListener('abort', finish);
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = undefined;
    if (restartTimer) clearTimeout(restartTimer);
    const c = child;
    child = undefined;
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    queue.length = 0; // an aborted stream ends now, undelivered events included
    notify();
  };

  if (!done) {
    signal.addEventListener('abort', finish);
    if (opts.heartbeatMs > 0)
      heartbeat = setInterval(() => push({ type: 'heartbeat', at: Date.now() }), opts.heartbeatMs);
    startChild();
  }

  const iterator: AsyncIterator<HostEvent> = {
    async next() {
      for (;;) {
        const ev = queue.shift();
        if (ev) return { value: ev, done: false };
        if (done) return { value: undefined, done: true };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    async return() {
      finish();
      return { value: undefined, done: true };
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

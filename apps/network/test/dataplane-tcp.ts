import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * TCP probes for data-plane tests: tiny node servers and clients run inside network namespaces
 * (`ip netns exec <ns> node -e …`, which execs, so the child's PID is the node process). Every process
 * is tracked by PID and killed by stop(), also when a test fails half-way.
 */

/** What a listener saw: the peer's address (after any NAT) and the first line it sent. */
export interface TcpSeen {
  peer: string;
  data: string;
}

export interface TcpListener {
  /** The first connection, or undefined when none came before the listener's deadline. */
  result: Promise<TcpSeen | undefined>;
  /** Stops listening now (result then resolves to what was seen so far, usually undefined). */
  stop(): void;
}

// Accepts one connection: records the peer, reads one line, answers "ok", prints JSON and exits.
const SERVER = `
const net = require('node:net');
const [port, ms] = process.argv.slice(1).map(Number);
const done = (out) => { process.stdout.write(out + '\\n', () => process.exit(0)); };
const srv = net.createServer((s) => {
  const peer = s.remoteAddress;
  let data = '';
  s.setEncoding('utf8');
  s.on('error', () => {});
  s.on('data', (d) => {
    data += d;
    const nl = data.indexOf('\\n');
    if (nl >= 0) s.end('ok\\n', () => done(JSON.stringify({ peer, data: data.slice(0, nl) })));
  });
  s.on('end', () => done(JSON.stringify({ peer, data })));
});
srv.listen(port, '0.0.0.0', () => process.stdout.write('LISTENING\\n'));
setTimeout(() => done('TIMEOUT'), ms);
`;

// Connects, sends one line, waits for "ok"; exit 0 when answered, 1 on any error or timeout.
const CLIENT = `
const net = require('node:net');
const [host, port, msg, ms] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port) });
const fail = () => process.exit(1);
const timer = setTimeout(fail, Number(ms));
s.setEncoding('utf8');
s.on('error', fail);
s.on('connect', () => s.write(msg + '\\n'));
let got = '';
s.on('data', (d) => { got += d; if (got.includes('ok')) { clearTimeout(timer); s.destroy(); process.exit(0); } });
`;

export class TcpProbes {
  private readonly live = new Set<ChildProcess>();

  /** Starts a one-connection server on `port` in `netns`; resolves once it listens. */
  async listen(netns: string, port: number, timeoutMs: number): Promise<TcpListener> {
    const child = this.spawn(netns, ['-e', SERVER, String(port), String(timeoutMs)]);
    let out = '';
    let ready: () => void = () => undefined;
    const listening = new Promise<void>((resolve) => {
      ready = resolve;
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('LISTENING')) ready();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const first = await Promise.race([listening.then(() => 'ok' as const), exited]);
    if (first !== 'ok') throw new Error(`TCP listener on ${netns}:${port} exited early: ${out}`);
    const result = exited.then(() => {
      const line = out
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l.startsWith('{'));
      return line ? (JSON.parse(line) as TcpSeen) : undefined;
    });
    return { result, stop: () => child.kill('SIGKILL') };
  }

  /** Connects from `netns` and sends `message`; true when the server answered. */
  async send(
    netns: string,
    host: string,
    port: number,
    message: string,
    timeoutMs: number,
  ): Promise<boolean> {
    const child = this.spawn(netns, ['-e', CLIENT, host, String(port), message, String(timeoutMs)]);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    return code === 0;
  }

  /**
   * A listener in `to`, a client in `from`: what the listener saw (undefined when the connection did
   * not get through within `timeoutMs`).
   */
  async probe(
    from: string,
    to: string,
    address: string,
    port: number,
    timeoutMs = 3000,
  ): Promise<TcpSeen | undefined> {
    const l = await this.listen(to, port, timeoutMs + 1000);
    const message = `hello-${port}-${Date.now()}`;
    const answered = await this.send(from, address, port, message, timeoutMs);
    // a client that got no answer cannot have delivered its line: no need to wait for the listener
    if (!answered) {
      l.stop();
      await l.result;
      return undefined;
    }
    const seen = await l.result;
    if (seen?.data !== message) throw new Error(`unexpected data at ${to}:${port}: ${seen?.data}`);
    return seen;
  }

  /** Kills every probe still running (by PID) and waits for them to exit. */
  async stop(): Promise<void> {
    for (const c of this.live) if (c.pid !== undefined) c.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while (this.live.size > 0 && Date.now() < deadline) await sleep(10);
  }

  private spawn(netns: string, nodeArgs: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, ...nodeArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.live.add(child);
    child.on('exit', () => this.live.delete(child));
    child.on('error', () => this.live.delete(child));
    return child;
  }
}

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** Why a real-server test must be skipped, or undefined when ovsdb-server is available. */
export function ovsdbServerMissing(): string | undefined {
  for (const bin of ['ovsdb-server', 'ovsdb-tool', 'ovs-vsctl']) {
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
    } catch {
      return `${bin} not installed (Debian package openvswitch-switch)`;
    }
  }
  if (!existsSync(VSWITCH_SCHEMA)) return `${VSWITCH_SCHEMA} missing`;
  return undefined;
}

/** A private ovsdb-server on a unix socket in a temp dir, with the vswitch schema. */
export class TestOvsdbServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'kumo-ovsdb-'));
  readonly sock = join(this.dir, 'sock');
  readonly db = join(this.dir, 'db');
  private proc: ChildProcess | undefined;

  /** `clustered`: a one-member Raft cluster, whose monitor_cond_since keeps real transaction ids. */
  constructor(opts: { clustered?: boolean } = {}) {
    if (opts.clustered) {
      execFileSync('ovsdb-tool', [
        'create-cluster',
        this.db,
        VSWITCH_SCHEMA,
        `unix:${join(this.dir, 'raft')}`,
      ]);
    } else execFileSync('ovsdb-tool', ['create', this.db, VSWITCH_SCHEMA]);
  }

  get target(): string {
    return `unix:${this.sock}`;
  }

  async start(): Promise<void> {
    rmSync(this.sock, { force: true });
    const d = this.dir;
    this.proc = spawn(
      'ovsdb-server',
      [
        `--remote=punix:${this.sock}`,
        `--pidfile=${d}/pid`,
        `--unixctl=${d}/ctl`,
        `--log-file=${d}/log`,
        this.db,
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 5000;
    while (!existsSync(this.sock)) {
      if (Date.now() > deadline || this.proc.exitCode !== null) throw new Error('ovsdb-server did not start');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Kills the server (SIGKILL by pid) and waits for it to exit. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.pid === undefined) return;
    const exited = new Promise((r) => p.once('exit', r));
    process.kill(p.pid, 'SIGKILL');
    await exited;
  }

  /** Runs ovs-vsctl commands against the DB file while the main socket is down (via a side server). */
  async offline(...commands: string[][]): Promise<void> {
    const side = join(this.dir, 'side.sock');
    const proc = spawn(
      'ovsdb-server',
      [`--remote=punix:${side}`, `--unixctl=${this.dir}/side.ctl`, this.db],
      {
        stdio: 'ignore',
      },
    );
    try {
      const deadline = Date.now() + 5000;
      while (!existsSync(side)) {
        if (Date.now() > deadline) throw new Error('side ovsdb-server did not start');
        await new Promise((r) => setTimeout(r, 10));
      }
      for (const c of commands) {
        execFileSync('ovs-vsctl', [`--db=unix:${side}`, '--no-wait', '--timeout=5', ...c]);
      }
    } finally {
      const exited = new Promise((r) => proc.once('exit', r));
      if (proc.pid !== undefined && proc.exitCode === null) process.kill(proc.pid, 'SIGTERM');
      await exited;
    }
  }

  appctl(...args: string[]): string {
    return execFileSync('ovs-appctl', ['-t', join(this.dir, 'ctl'), ...args], { encoding: 'utf8' });
  }

  vsctl(...args: string[]): string {
    return execFileSync('ovs-vsctl', [`--db=unix:${this.sock}`, '--no-wait', '--timeout=5', ...args], {
      encoding: 'utf8',
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

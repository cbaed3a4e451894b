import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const OVN_NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema';
export const OVN_SB_SCHEMA = '/usr/share/ovn/ovn-sb.ovsschema';

export interface OvnCentralOptions {
  /** State directory: databases, sockets, pidfiles, logs and control sockets all live here. */
  dir: string;
  /** TCP port of the northbound DB; 0 = any free port (read back from the server's log). Default 6641. */
  nbPort?: number;
  /** TCP port of the southbound DB (chassis connect here); 0 = any free port. Default 6642. */
  sbPort?: number;
  /** Listen address of both TCP remotes (default 127.0.0.1). */
  address?: string;
  log?: (message: string) => void;
  /** ensureOvnCentral only: run the daemons detached (default true; tests pass false to reap them). */
  detach?: boolean;
}

export interface OvnCentral {
  /** `tcp:<address>:<port>` of the northbound DB. */
  nbConnection: string;
  /** `tcp:<address>:<port>` of the southbound DB. */
  sbConnection: string;
  /** `unix:<dir>/ovnnb_db.sock` (local, no TCP). */
  nbSocket: string;
  sbSocket: string;
  pids: { nb: number; sb: number; northd: number };
  /** Daemons that were already running and were reused (ensureOvnCentral only). */
  reused: Array<'nb' | 'sb' | 'northd'>;
  /** Stops the three daemons (SIGTERM by PID, SIGKILL after 5 s) and waits until they are gone. */
  stop(): Promise<void>;
}

/** Why OVN central cannot run here, or undefined when the binaries and schemas are installed. */
export function ovnCentralMissing(): string | undefined {
  for (const bin of ['ovsdb-server', 'ovsdb-tool', 'ovn-northd', 'ovn-nbctl', 'ovn-sbctl']) {
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
    } catch {
      return `${bin} not installed (Debian packages openvswitch-switch and ovn-central)`;
    }
  }
  for (const f of [OVN_NB_SCHEMA, OVN_SB_SCHEMA]) if (!existsSync(f)) return `${f} missing`;
  return undefined;
}

type Daemon = 'nb' | 'sb' | 'northd';

interface DbSpec {
  key: 'nb' | 'sb';
  prefix: 'ovnnb_db' | 'ovnsb_db';
  schema: string;
  port: number;
  /** ovn-nbctl initialises a fresh NB (NB_Global row); northd fills SB_Global itself. */
  init?: 'ovn-nbctl';
}

const files = (dir: string, prefix: string) => ({
  db: join(dir, `${prefix}.db`),
  sock: join(dir, `${prefix}.sock`),
  pid: join(dir, `${prefix}.pid`),
  ctl: join(dir, `${prefix}.ctl`),
  log: join(dir, `${prefix}.log`),
});

/**
 * Starts OVN central from scratch: NB and SB ovsdb-server (databases created or upgraded from the
 * installed schemas) and ovn-northd. Daemons already running from an earlier start in `dir` are
 * stopped first. For tests; `kumo up` uses ensureOvnCentral.
 */
export async function startOvnCentral(opts: OvnCentralOptions): Promise<OvnCentral> {
  mkdirSync(opts.dir, { recursive: true });
  for (const d of ['northd', 'nb', 'sb'] as const) await stopPidfile(pidfileOf(opts.dir, d));
  return launchCentral(opts, false);
}

/**
 * Idempotent start for `kumo up`. The daemons run detached (`--detach`, own pidfiles under `dir`), so
 * they outlive the kumo process: a `kumo down` / `kumo up` cycle keeps OVN's state and flows untouched
 * and this call just reuses every daemon whose pidfile names a live process of the right binary
 * (a dead or foreign pid is replaced). Stopping OVN central is explicit: call stop().
 * A reused server keeps the TCP ports it was started with.
 */
export function ensureOvnCentral(opts: OvnCentralOptions): Promise<OvnCentral> {
  return launchCentral(opts, opts.detach ?? true);
}

/** `detach`: daemons outlive this process; otherwise they are our children (reaped, no zombies). */
async function launchCentral(opts: OvnCentralOptions, detach: boolean): Promise<OvnCentral> {
  const missing = ovnCentralMissing();
  if (missing) throw new Error(`cannot start OVN central: ${missing}`);
  const dir = opts.dir;
  mkdirSync(dir, { recursive: true });
  const address = opts.address ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const reused: Daemon[] = [];
  const dbs: DbSpec[] = [
    { key: 'nb', prefix: 'ovnnb_db', schema: OVN_NB_SCHEMA, port: opts.nbPort ?? 6641, init: 'ovn-nbctl' },
    { key: 'sb', prefix: 'ovnsb_db', schema: OVN_SB_SCHEMA, port: opts.sbPort ?? 6642 },
  ];
  const ports: Record<'nb' | 'sb', number> = { nb: 0, sb: 0 };
  const pids: Record<Daemon, number> = { nb: 0, sb: 0, northd: 0 };
  for (const spec of dbs) {
    const f = files(dir, spec.prefix);
    const live = livePid(f.pid, 'ovsdb-server');
    if (live !== undefined) {
      reused.push(spec.key);
      pids[spec.key] = live;
      ports[spec.key] = listeningPort(f.log) ?? spec.port;
      continue;
    }
    const fresh = await prepareDb(f.db, spec.schema, log);
    rmSync(f.log, { force: true });
    rmSync(f.pid, { force: true });
    await launch(detach, 'ovsdb-server', f.pid, [
      '--no-chdir',
      `--pidfile=${f.pid}`,
      `--log-file=${f.log}`,
      `--unixctl=${f.ctl}`,
      `--remote=punix:${f.sock}`,
      `--remote=ptcp:${spec.port}:${address}`,
      f.db,
    ]);
    pids[spec.key] = readPid(f.pid);
    ports[spec.key] = await waitForPort(f.log, spec.port);
    if (fresh && spec.init) await exec(spec.init, [`--db=unix:${f.sock}`, '--no-wait', 'init']);
    log(`ovn central: ${spec.prefix} ovsdb-server pid ${pids[spec.key]} on ${address}:${ports[spec.key]}`);
  }
  const nb = files(dir, 'ovnnb_db');
  const sb = files(dir, 'ovnsb_db');
  const northdPid = join(dir, 'ovn-northd.pid');
  const liveNorthd = livePid(northdPid, 'ovn-northd');
  if (liveNorthd !== undefined) {
    reused.push('northd');
    pids.northd = liveNorthd;
  } else {
    rmSync(northdPid, { force: true });
    await launch(
      detach,
      'ovn-northd',
      northdPid,
      [
        '--no-chdir',
        `--pidfile=${northdPid}`,
        `--log-file=${join(dir, 'ovn-northd.log')}`,
        `--unixctl=${join(dir, 'ovn-northd.ctl')}`,
        `--ovnnb-db=unix:${nb.sock}`,
        `--ovnsb-db=unix:${sb.sock}`,
      ],
      { ...process.env, OVN_RUNDIR: dir, OVS_RUNDIR: dir },
    );
    pids.northd = readPid(northdPid);
    log(`ovn central: ovn-northd pid ${pids.northd}`);
  }
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    nbConnection: `tcp:${host}:${ports.nb}`,
    sbConnection: `tcp:${host}:${ports.sb}`,
    nbSocket: `unix:${nb.sock}`,
    sbSocket: `unix:${sb.sock}`,
    pids: { ...pids },
    reused,
    stop: async () => {
      for (const d of ['northd', 'nb', 'sb'] as const) await stopPidfile(pidfileOf(dir, d));
    },
  };
}

/** Children started without --detach, so stop() can wait for their exit (and Node reaps them). */
const children = new Map<number, ChildProcess>();

async function launch(
  detach: boolean,
  bin: string,
  pidfile: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (detach) {
    await exec(bin, ['--detach', ...args], { env });
    return;
  }
  const child = spawn(bin, args, { stdio: 'ignore', env });
  let failed: Error | undefined;
  child.once('error', (e) => {
    failed = e;
  });
  const deadline = Date.now() + 5000;
  while (!existsSync(pidfile)) {
    if (failed) throw failed;
    if (child.exitCode !== null) throw new Error(`${bin} exited with ${child.exitCode} (see its log file)`);
    if (Date.now() > deadline) throw new Error(`${bin} wrote no pidfile ${pidfile} within 5 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  if (child.pid !== undefined) {
    children.set(child.pid, child);
    child.once('exit', () => children.delete(child.pid as number));
  }
}

function pidfileOf(dir: string, d: Daemon): string {
  return d === 'northd' ? join(dir, 'ovn-northd.pid') : files(dir, d === 'nb' ? 'ovnnb_db' : 'ovnsb_db').pid;
}

/** Creates the DB file when missing or converts it when the installed schema is newer. True when created. */
async function prepareDb(db: string, schema: string, log: (m: string) => void): Promise<boolean> {
  if (!existsSync(db)) {
    await exec('ovsdb-tool', ['create', db, schema]);
    return true;
  }
  const { stdout } = await exec('ovsdb-tool', ['needs-conversion', db, schema]);
  if (stdout.trim() === 'yes') {
    log(`ovn central: converting ${db} to ${schema}`);
    await exec('ovsdb-tool', ['convert', db, schema]);
  }
  return false;
}

function readPid(pidfile: string): number {
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`bad pidfile ${pidfile}`);
  return pid;
}

/** The pid in `pidfile` when that process is alive and runs `binary`; otherwise undefined. */
function livePid(pidfile: string, binary: string): number | undefined {
  if (!existsSync(pidfile)) return undefined;
  let pid: number;
  try {
    pid = readPid(pidfile);
  } catch {
    return undefined;
  }
  if (!alive(pid)) return undefined;
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (!binary.startsWith(comm)) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie still answers kill(0)
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** The TCP port the server logged it listens on (`socket_util|INFO|…: listening on port N`). */
function listeningPort(logFile: string): number | undefined {
  if (!existsSync(logFile)) return undefined;
  const matches = [...readFileSync(logFile, 'utf8').matchAll(/listening on port (\d+)/g)];
  const last = matches.at(-1);
  return last ? Number(last[1]) : undefined;
}

async function waitForPort(logFile: string, requested: number): Promise<number> {
  if (requested !== 0) return requested;
  const deadline = Date.now() + 5000;
  for (;;) {
    const p = listeningPort(logFile);
    if (p !== undefined) return p;
    if (Date.now() > deadline) throw new Error(`no listening port in ${logFile}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** SIGTERM the pidfile's process, SIGKILL after 5 s, wait until it is gone. No-op when not running. */
async function stopPidfile(pidfile: string): Promise<void> {
  if (!existsSync(pidfile)) return;
  let pid: number;
  try {
    pid = readPid(pidfile);
  } catch {
    return;
  }
  if (!alive(pid)) return;
  const child = children.get(pid);
  const exited = child ? new Promise((r) => child.once('exit', r)) : undefined;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  while (alive(pid)) await new Promise((r) => setTimeout(r, 10));
  await exited;
}

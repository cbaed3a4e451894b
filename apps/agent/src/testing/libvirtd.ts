import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * libvirtd for tests on machines whose PID 1 is not systemd: start virtlogd and
 * libvirtd (`--daemon`) only when libvirt is not answering, and stop them —
 * by PID, only those a test started — when the last user releases them.
 *
 * Users hold leases (one file per process under /run/kumo-test-libvirtd/leases)
 * so parallel test files share one daemon and the last one out stops it.
 */

export const TEST_LIBVIRT_URI = 'qemu:///system';

const STATE_DIR = '/run/kumo-test-libvirtd';
const LOCK_DIR = join(STATE_DIR, 'lock');
const LEASES = join(STATE_DIR, 'leases');
const STARTED = join(STATE_DIR, 'started.json');

const DAEMONS = {
  virtlogd: { bin: '/usr/sbin/virtlogd', pidFile: '/run/virtlogd.pid' },
  libvirtd: { bin: '/usr/sbin/libvirtd', pidFile: '/run/libvirtd.pid' },
} as const;

type Daemon = keyof typeof DAEMONS;

function exec(file: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: `${stdout}${stderr}` }),
    );
  });
}

async function exists(path: string, mode = constants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function comm(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function pidOf(daemon: Daemon): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(DAEMONS[daemon].pidFile, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 && (await comm(pid)) === daemon ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Why libvirt tests cannot run here (not root, something not installed), or undefined when they can. */
export async function libvirtUnavailableReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root';
  for (const bin of [DAEMONS.libvirtd.bin, DAEMONS.virtlogd.bin]) {
    if (!(await exists(bin, constants.X_OK))) return `${bin} is not installed`;
  }
  for (const tool of ['virsh', 'qemu-system-x86_64', 'genisoimage']) {
    const found = await exec('sh', ['-c', 'command -v "$1"', 'sh', tool], 5000);
    if (!found.ok) return `${tool} is not installed`;
  }
  return undefined;
}

async function answering(uri: string, timeoutMs: number): Promise<boolean> {
  return (await exec('virsh', ['-c', uri, 'version'], timeoutMs)).ok;
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(STATE_DIR, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      await writeFile(join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(await readFile(join(LOCK_DIR, 'pid'), 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && !alive(owner)) {
        await rm(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for the libvirtd test lock');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(LOCK_DIR, { recursive: true, force: true });
  }
}

async function readStarted(): Promise<Partial<Record<Daemon, number>>> {
  try {
    return JSON.parse(await readFile(STARTED, 'utf8')) as Partial<Record<Daemon, number>>;
  } catch {
    return {};
  }
}

async function startDaemon(daemon: Daemon): Promise<number> {
  const r = await exec(DAEMONS[daemon].bin, ['--daemon'], 30_000);
  if (!r.ok) throw new Error(`${daemon} --daemon failed: ${r.out.trim()}`);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const pid = await pidOf(daemon);
    if (pid) return pid;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`${daemon} started but wrote no pid file`);
}

async function stopPid(pid: number, name: string): Promise<void> {
  if ((await comm(pid)) !== name) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid) && (await comm(pid)) === name) process.kill(pid, 'SIGKILL');
}

let localLeases = 0;

export interface LibvirtdLease {
  uri: string;
  /** True when this call started the daemons (they stop when the last lease goes). */
  startedHere: boolean;
  release(): Promise<void>;
}

/**
 * Make libvirt answer at qemu:///system, starting virtlogd/libvirtd when needed
 * (the first answer can take ~10 s: QEMU's capability probe). Call release() when done.
 */
export async function ensureLibvirtd(opts: { timeoutMs?: number } = {}): Promise<LibvirtdLease> {
  const uri = TEST_LIBVIRT_URI;
  const timeoutMs = opts.timeoutMs ?? 90_000;
  let startedHere = false;
  await withLock(async () => {
    if (!(await answering(uri, timeoutMs))) {
      const started = await readStarted();
      if (!(await pidOf('virtlogd'))) {
        started.virtlogd = await startDaemon('virtlogd');
        startedHere = true;
      }
      if (!(await pidOf('libvirtd'))) {
        started.libvirtd = await startDaemon('libvirtd');
        startedHere = true;
      }
      await writeFile(STARTED, JSON.stringify(started));
      const deadline = Date.now() + timeoutMs;
      while (!(await answering(uri, Math.max(1000, deadline - Date.now())))) {
        if (Date.now() > deadline) throw new Error(`libvirt does not answer at ${uri}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await mkdir(LEASES, { recursive: true });
    await writeFile(join(LEASES, String(process.pid)), '');
    localLeases++;
  });
  let released = false;
  return {
    uri,
    startedHere,
    release: async () => {
      if (released) return;
      released = true;
      await withLock(async () => {
        localLeases--;
        if (localLeases > 0) return;
        await rm(join(LEASES, String(process.pid)), { force: true });
        const holders = (await readdir(LEASES).catch(() => [] as string[])).map(Number);
        let live = 0;
        for (const pid of holders) {
          if (Number.isInteger(pid) && alive(pid)) live++;
          else await rm(join(LEASES, String(pid)), { force: true });
        }
        if (live > 0) return;
        const started = await readStarted();
        if (started.libvirtd) await stopPid(started.libvirtd, 'libvirtd');
        if (started.virtlogd) await stopPid(started.virtlogd, 'virtlogd');
        await rm(STARTED, { force: true });
      });
    },
  };
}

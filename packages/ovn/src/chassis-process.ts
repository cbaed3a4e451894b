import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Runs a command (inside `ip netns exec <netns>` when given) and returns its stdout. */
export async function runIn(
  netns: string | undefined,
  cmd: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  const [file, argv] = netns ? ['ip', ['netns', 'exec', netns, cmd, ...args]] : [cmd, [...args]];
  try {
    const { stdout } = await execFileP(file, argv, {
      env: opts.env ?? process.env,
      timeout: opts.timeoutMs ?? 30_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    const where = netns ? ` (netns ${netns})` : '';
    throw new Error(`${cmd} ${args.join(' ')}${where} failed: ${(e.stderr || e.message).trim()}`);
  }
}

export function readPid(pidfile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** The pid in `pidfile` when that process is alive and runs `binary` (by /proc/<pid>/comm). */
export function livePid(pidfile: string, binary: string): number | undefined {
  const pid = readPid(pidfile);
  if (pid === undefined || !pidAlive(pid)) return undefined;
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    // comm is cut at 15 characters (ovn-controller fits, ovs-vswitchd fits).
    return binary.startsWith(comm) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM by pid, SIGKILL after `graceMs`, then wait until it is gone. No-op for a dead pid. */
export async function stopPid(pid: number | undefined, graceMs = 5000): Promise<void> {
  if (pid === undefined || !pidAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
      break;
    }
    await sleep(10);
  }
  while (pidAlive(pid)) await sleep(10);
}

/** Polls `ok` every 10–50 ms until it returns a value other than undefined/false; throws after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  ok: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  for (;;) {
    const v = await ok();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(delay);
    delay = Math.min(50, delay * 2);
  }
}

export function waitForFile(path: string, timeoutMs: number): Promise<true> {
  return pollUntil(path, () => existsSync(path), timeoutMs);
}

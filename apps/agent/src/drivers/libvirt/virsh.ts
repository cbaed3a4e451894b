import { DriverError } from '../ids.js';
import { ExecError, run } from './exec.js';

/** Libvirt's domain states as `virsh domstate` prints them. */
export type VirshState =
  | 'running'
  | 'idle'
  | 'paused'
  | 'in shutdown'
  | 'shut off'
  | 'crashed'
  | 'pmsuspended'
  | 'no state';

export interface VirshOptions {
  uri: string;
  /** The virsh binary (default `virsh` from PATH). */
  path?: string;
  timeoutMs?: number;
}

/** Map a virsh failure to a DriverError kind. */
export function virshError(err: unknown, what: string): DriverError {
  if (err instanceof DriverError) return err;
  const text = err instanceof ExecError ? `${err.stderr}\n${err.stdout}` : String(err);
  const line =
    text
      .split('\n')
      .map((l) => l.replace(/^error:\s*/, '').trim())
      .filter(Boolean)
      .pop() ?? String(err);
  if (/Domain not found|no domain with matching|failed to get domain/i.test(text))
    return new DriverError('not_found', `${what}: ${line}`);
  if (/failed to connect|Failed to connect socket|Cannot recv data|End of file while reading/i.test(text)) {
    return new DriverError('unavailable', `${what}: libvirt is not answering: ${line}`);
  }
  if (err instanceof ExecError && /^timeout/.test(String(err.code))) {
    return new DriverError('unavailable', `${what}: virsh timed out`);
  }
  if (/No space left on device/i.test(text)) return new DriverError('no_space', `${what}: ${line}`);
  return new DriverError('internal', `${what}: ${line}`);
}

/** `virsh -c <uri> …` through execFile, errors mapped to DriverError. */
export class Virsh {
  constructor(readonly opts: VirshOptions) {}

  get binary(): string {
    return this.opts.path ?? 'virsh';
  }

  /** Arguments for a command, connection included (also used for `virsh event`). */
  args(args: readonly string[]): string[] {
    return ['-q', '-c', this.opts.uri, ...args];
  }

  async run(args: readonly string[], what = `virsh ${args[0] ?? ''}`): Promise<string> {
    try {
      const { stdout } = await run(this.binary, this.args(args), {
        timeoutMs: this.opts.timeoutMs ?? 120_000,
      });
      return stdout;
    } catch (err) {
      throw virshError(err, what);
    }
  }

  /** The domain's state, or undefined when there is no such domain. */
  async state(name: string): Promise<VirshState | undefined> {
    try {
      return (await this.run(['domstate', name])).trim() as VirshState;
    } catch (err) {
      if (err instanceof DriverError && err.kind === 'not_found') return undefined;
      throw err;
    }
  }

  async dumpxml(name: string, inactive = false): Promise<string> {
    return this.run(inactive ? ['dumpxml', '--inactive', name] : ['dumpxml', name], `dumpxml ${name}`);
  }

  /** All domain names (running or not). */
  async names(): Promise<string[]> {
    const out = await this.run(['list', '--all', '--name']);
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }
}

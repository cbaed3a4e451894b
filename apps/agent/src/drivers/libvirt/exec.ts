import { execFile } from 'node:child_process';

/** A command that failed: its exit code (or signal) and what it printed on stderr. */
export class ExecError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | string | null,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`${command} failed (${code ?? 'killed'}): ${stderr.trim() || stdout.trim() || 'no output'}`);
    this.name = 'ExecError';
  }
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/** Run a program with arguments — never through a shell. */
export function run(
  file: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
        env: opts.env ?? { ...process.env, LC_ALL: 'C' },
      },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & {
            code?: number | string;
            killed?: boolean;
            signal?: string;
          };
          const code = e.killed
            ? `timeout after ${opts.timeoutMs ?? 60_000} ms`
            : (e.code ?? e.signal ?? null);
          reject(new ExecError(`${file} ${args[0] ?? ''}`.trim(), code, stderr ?? '', stdout ?? ''));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LoadResult, RequestSpec } from './load.js';

const run = promisify(execFile);

/** Parse wrk's "1.23ms" / "512.00us" / "1.02s" into milliseconds. */
export function wrkMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

const lua = (spec: RequestSpec) => `
wrk.method = ${JSON.stringify(spec.method)}
${spec.body ? `wrk.body = ${JSON.stringify(spec.body)}\nwrk.headers["Content-Type"] = "application/json"` : ''}
${Object.entries(spec.headers ?? {})
  .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
  .join('\n')}
`;

/** The same measurement as runLoad, with wrk (a C client: it leaves the server more of the CPU). */
export async function runWrk(
  name: string,
  baseUrl: string,
  spec: RequestSpec,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-wrk-'));
  try {
    const script = join(dir, 'req.lua');
    writeFileSync(script, lua(spec));
    const { stdout } = await run(
      'wrk',
      [
        '-t',
        String(Math.min(2, concurrency)),
        '-c',
        String(concurrency),
        '-d',
        `${seconds}s`,
        // slow rows (the password KDF at concurrency 50) must not count as errors
        '--timeout',
        '30s',
        '--latency',
        '-s',
        script,
        `${baseUrl}${spec.path}`,
      ],
      { timeout: (seconds + 30) * 1000 },
    );
    const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
    const rps = Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0));
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
    const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
    const errors = non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
    return {
      name,
      concurrency,
      requests,
      errors,
      seconds,
      rps,
      p50ms: Math.round(wrkMs(/\s50%\s+(\S+)/.exec(stdout)?.[1] ?? '') * 100) / 100,
      p99ms: Math.round(wrkMs(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '') * 100) / 100,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

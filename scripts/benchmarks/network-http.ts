import http from 'node:http';
import type { LoadResult } from './load.js';
import { percentile } from './report.js';

// biome-ignore lint/suspicious/noExplicitAny: loosely typed Neutron JSON bodies
export type Json = any;

/** A JSON client over keep-alive HTTP/1.1 connections (one agent per client). */
export class NeutronClient {
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(
    baseUrl: string,
    readonly token: string,
    maxSockets = 64,
  ) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** Another token, same server (its own connections). */
  as(token: string): NeutronClient {
    return new NeutronClient(this.base.href, token);
  }

  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          headers: {
            'x-auth-token': this.token,
            accept: 'application/json',
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = text;
            }
            resolve({ status: res.statusCode ?? 0, json });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** The request, or an Error naming the call when the status is not `expect`. */
  async expect(status: number, method: string, path: string, body?: unknown): Promise<Json> {
    const r = await this.request(method, path, body);
    if (r.status !== status) {
      throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json).slice(0, 400)}`);
    }
    return r.json;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Summary of a list of latencies (ms), rounded to 0.01 ms. */
export function summarize(latencies: number[]): { p50ms: number; p99ms: number; samples: number } {
  const s = [...latencies].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { p50ms: r(percentile(s, 50)), p99ms: r(percentile(s, 99)), samples: s.length };
}

/**
 * A closed loop: `concurrency` callers, each running `op` again as soon as the previous one ended,
 * for `seconds` or until `op` returns false (nothing left to do; that call is not counted).
 * `op` throws for a failed call (counted as an error, its latency kept).
 */
export async function closedLoop(
  name: string,
  concurrency: number,
  seconds: number,
  op: () => Promise<boolean | undefined>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let exhausted = false;
  const worker = async () => {
    while (!exhausted && performance.now() < deadline) {
      const t0 = performance.now();
      try {
        if ((await op()) === false) {
          exhausted = true;
          break;
        }
      } catch (err) {
        errors++;
        firstError ??= err;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  if (firstError) console.error(`${name}: ${errors} errors, first: ${String(firstError)}`);
  const { p50ms, p99ms } = summarize(latencies);
  return {
    name,
    concurrency,
    requests: latencies.length,
    errors,
    seconds: Math.round(elapsed * 10) / 10,
    rps: Math.round(latencies.length / elapsed),
    p50ms,
    p99ms,
  };
}

/** Runs `total` jobs (indexes 0..total-1) with at most `concurrency` at once. */
export async function inParallel(
  total: number,
  concurrency: number,
  job: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) await job(next++);
    }),
  );
}

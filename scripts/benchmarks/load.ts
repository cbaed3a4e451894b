import http from 'node:http';
import { percentile } from './report.js';

/** A closed-loop HTTP load generator: `concurrency` callers, each sending its next
 * request when the previous one answered, for `seconds`. Keep-alive connections. */
export interface LoadResult {
  name: string;
  concurrency: number;
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
}

export interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  expect: number;
}

function once(agent: http.Agent, base: URL, spec: RequestSpec): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: spec.method,
        path: spec.path,
        headers: {
          ...(spec.body
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(spec.body) }
            : {}),
          ...spec.headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    if (spec.body) req.write(spec.body);
    req.end();
  });
}

export async function runLoad(
  name: string,
  baseUrl: string,
  spec: RequestSpec | (() => RequestSpec),
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const s = typeof spec === 'function' ? spec() : spec;
      const t0 = performance.now();
      try {
        const status = await once(agent, base, s);
        if (status !== s.expect) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    name,
    concurrency,
    requests: latencies.length,
    errors,
    seconds: Math.round(elapsed * 10) / 10,
    rps: Math.round(latencies.length / elapsed),
    p50ms: Math.round(percentile(latencies, 50) * 100) / 100,
    p99ms: Math.round(percentile(latencies, 99) * 100) / 100,
  };
}

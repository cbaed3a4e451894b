import { percentile } from './report.js';

/** A compute API caller: base URL (…/v2.1) and a token. */
export interface ComputeApi {
  base: string;
  token: string;
}

export async function api(c: ComputeApi, method: string, path: string, body?: unknown) {
  const res = await fetch(`${c.base}${path}`, {
    method,
    headers: {
      'x-auth-token': c.token,
      'openstack-api-version': 'compute 2.73',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: benchmark reads a few fields of Nova's JSON
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

/** POST a server and poll until ACTIVE; the time from POST to ACTIVE. */
export async function bootOne(
  c: ComputeApi,
  name: string,
  image: string,
  flavor: string,
  pollMs = 50,
): Promise<{ id: string; ms: number }> {
  const t0 = performance.now();
  const r = await api(c, 'POST', '/servers', {
    server: { name, imageRef: image, flavorRef: flavor, networks: 'none' },
  });
  if (r.status !== 202) throw new Error(`create: ${r.status} ${JSON.stringify(r.json)}`);
  const id = r.json.server.id as string;
  for (;;) {
    const s = await api(c, 'GET', `/servers/${id}`);
    const status = s.json.server?.status;
    if (status === 'ACTIVE') return { id, ms: performance.now() - t0 };
    if (status === 'ERROR') throw new Error(`server ${id} ERROR: ${JSON.stringify(s.json.server.fault)}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Delete servers and wait until they are gone. */
export async function deleteAll(c: ComputeApi, ids: string[]) {
  await Promise.all(ids.map((id) => api(c, 'DELETE', `/servers/${id}`)));
  for (const id of ids) {
    for (;;) {
      const s = await api(c, 'GET', `/servers/${id}`);
      if (s.status === 404) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export interface BootRow {
  concurrency: number;
  samples: number;
  p50Ms: number;
  p95Ms: number;
}

/** At each concurrency c, boot c servers at once `rounds` times (deleting them between rounds). */
export async function bootLatencies(
  c: ComputeApi,
  image: string,
  flavor: string,
  levels: number[],
  rounds: number,
): Promise<BootRow[]> {
  const rows: BootRow[] = [];
  for (const n of levels) {
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const booted = await Promise.all(
        Array.from({ length: n }, (_, i) => bootOne(c, `bench-${n}-${round}-${i}`, image, flavor)),
      );
      samples.push(...booted.map((b) => b.ms));
      await deleteAll(
        c,
        booted.map((b) => b.id),
      );
    }
    samples.sort((a, b) => a - b);
    rows.push({
      concurrency: n,
      samples: samples.length,
      p50Ms: Math.round(percentile(samples, 50)),
      p95Ms: Math.round(percentile(samples, 95)),
    });
  }
  return rows;
}

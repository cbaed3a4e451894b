/**
 * Compute with fake hosts (in-process fake agents behind the real control plane:
 * Postgres, Redis/BullMQ sagas, identity, image and scheduler over HTTP):
 *   - boot to ACTIVE p50/p95 at concurrency 1, 5, 10 on 100 hosts;
 *   - sustained boots/s: KUMO_BENCH_BOOTS (500) servers by 50 closed-loop callers;
 *   - server list/show p50/p99 with 10,000 servers in the project.
 * Prints one JSON line last.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { seedFlavors } from '@kumo/compute';
import { startCompute } from '@kumo/compute/testing';
import pg from 'pg';
import { api, bootLatencies, bootOne, type ComputeApi } from './boots.js';
import { runLoad } from './load.js';

const env = process.env;
const seconds = Number(env.KUMO_BENCH_SECONDS ?? 5);
const sustainedBoots = Number(env.KUMO_BENCH_BOOTS ?? 500);
const unlimited = {
  KUMO_COMPUTE_QUOTA_INSTANCES: '-1',
  KUMO_COMPUTE_QUOTA_CORES: '-1',
  KUMO_COMPUTE_QUOTA_RAM_MB: '-1',
  KUMO_COMPUTE_WORKER_CONCURRENCY: '100',
};

async function uploadImage(imageUrl: string, token: string, file: string): Promise<string> {
  const h = { 'x-auth-token': token, 'content-type': 'application/json' };
  const created = await fetch(`${imageUrl}/v2/images`, {
    method: 'POST',
    headers: h,
    body: JSON.stringify({ name: 'bench', disk_format: 'qcow2', container_format: 'bare' }),
  });
  const { id } = (await created.json()) as { id: string };
  const put = await fetch(`${imageUrl}/v2/images/${id}/file`, {
    method: 'PUT',
    headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
    body: readFileSync(file),
  });
  if (put.status !== 204) throw new Error(`image upload: ${put.status} ${await put.text()}`);
  return id;
}

async function main() {
  const h = await startCompute({ fakeHosts: 100, listen: true, env: unlimited });
  try {
    await seedFlavors(h.ctx.pool);
    const file = `${h.rt.home}/bench.qcow2`;
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '64M']);
    const image = await uploadImage(h.rt.urls.image, h.demoToken, file);
    const c: ComputeApi = { base: `${h.computeUrl}/v2.1`, token: h.demoToken };

    const latency = await bootLatencies(c, image, '0', [1, 5, 10], Number(env.KUMO_BENCH_ROUNDS ?? 5));
    for (const r of latency)
      console.log(`fake hosts, concurrency ${r.concurrency}: p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms`);

    let next = 0;
    const t0 = performance.now();
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < sustainedBoots) {
          const i = next++;
          ids.push((await bootOne(c, `sustained-${i}`, image, '0', 100)).id);
        }
      }),
    );
    const bootsPerSec = Math.round((sustainedBoots / ((performance.now() - t0) / 1000)) * 10) / 10;
    console.log(`sustained: ${sustainedBoots} boots to ACTIVE at ${bootsPerSec}/s (50 callers, 100 hosts)`);

    // 10,000 servers for list/show: copies of a booted server's row (not placed: list/show only)
    const pool = new pg.Pool({ connectionString: h.db.url, max: 2 });
    await pool.query(
      `INSERT INTO compute.servers (id, name, project_id, user_id, host, flavor, image_id, vm_state,
         power_state, hostname, reservation_id, launched_at, config_drive, networks, addresses,
         availability_zone, created_at, updated_at)
       SELECT gen_random_uuid(), 'bulk-' || g, project_id, user_id, host, flavor, image_id, vm_state,
         power_state, 'bulk-' || g, reservation_id, launched_at, config_drive, networks, addresses,
         availability_zone, now() - make_interval(secs => g), now()
       FROM compute.servers, generate_series(1, $2::int - $3::int) g WHERE id = $1`,
      [ids[0], 10_000, ids.length],
    );
    await pool.end();
    const count = (await api(c, 'GET', '/servers?limit=1000')).json.servers.length;
    const auth = { 'x-auth-token': h.demoToken, 'openstack-api-version': 'compute 2.73' };
    const base = h.computeUrl!;
    const rows = [
      await runLoad(
        'show',
        base,
        () => ({
          method: 'GET',
          path: `/v2.1/servers/${ids[Math.floor(Math.random() * ids.length)]}`,
          headers: auth,
          expect: 200,
        }),
        10,
        seconds,
      ),
      await runLoad(
        'list (limit 100)',
        base,
        { method: 'GET', path: '/v2.1/servers?limit=100', headers: auth, expect: 200 },
        10,
        seconds,
      ),
      await runLoad(
        'list detail (limit 100)',
        base,
        { method: 'GET', path: '/v2.1/servers/detail?limit=100', headers: auth, expect: 200 },
        10,
        seconds,
      ),
      await runLoad(
        'list detail (limit 1000)',
        base,
        { method: 'GET', path: '/v2.1/servers/detail?limit=1000', headers: auth, expect: 200 },
        4,
        seconds,
      ),
    ];
    for (const r of rows)
      console.log(`${r.name}: p50 ${r.p50ms} ms, p99 ${r.p99ms} ms, ${r.rps} req/s, errors ${r.errors}`);
    console.log(
      JSON.stringify({
        latency,
        sustained: { boots: sustainedBoots, bootsPerSec },
        listed: count,
        api: rows,
      }),
    );
  } finally {
    await h.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

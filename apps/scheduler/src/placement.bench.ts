/**
 * Placement benchmark: 1,000 fake hosts, N schedule+claim decisions at
 * concurrency 1 and 10 on a throwaway database. The LAST line printed is JSON
 * {decisionsPerSec, p50Ms, p99Ms} (concurrency 10) with every run's figures.
 *
 *   node --import tsx apps/scheduler/src/placement.bench.ts [decisions=2000] [hosts=1000]
 */
import { randomUUID } from 'node:crypto';
import { fakeHostFleet, fakeHostInfo, inventoryOf } from '@kumo/agent';
import { createLogger } from '@kumo/service-kit';
import { createTestDatabase } from '@kumo/testing';
import { schedulerConfigSchema } from './config.js';
import { schedulerMigrations } from './index.js';
import { Placement } from './placement.js';

const decisions = Number(process.argv[2] ?? 2000);
const hostCount = Number(process.argv[3] ?? 1000);

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (n: number) => Math.round(n * 100) / 100;

async function run(p: Placement, n: number, concurrency: number) {
  const lat: number[] = [];
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const s = performance.now();
        try {
          await p.schedule({
            consumerId: randomUUID(),
            projectId: 'bench',
            userId: 'bench',
            resources: { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 },
          });
        } catch {
          failed++;
        }
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return {
    concurrency,
    decisions: n,
    failed,
    decisionsPerSec: round(n / secs),
    p50Ms: round(pct(lat, 50)),
    p99Ms: round(pct(lat, 99)),
  };
}

async function main() {
  const db = await createTestDatabase([schedulerMigrations]);
  const log = createLogger({ service: 'scheduler-bench', level: 'warn' });
  const config = schedulerConfigSchema.parse({});
  const p = new Placement(db.pool, config, log);
  try {
    const fleet = fakeHostFleet(hostCount, 'bench', (i) => ({
      cpus: 16 + (i % 4) * 16,
      memoryMb: 65_536 + (i % 8) * 16_384,
    }));
    const t0 = performance.now();
    for (let i = 0; i < fleet.length; i += 20) {
      await Promise.all(
        fleet.slice(i, i + 20).map((o) => {
          const info = fakeHostInfo(o);
          return p.registerHost(info.hostname, {
            address: `${info.hostname}:7700`,
            agent_version: 'bench',
            inventory: inventoryOf(info),
          });
        }),
      );
    }
    console.log(`registered ${fleet.length} hosts in ${Math.round(performance.now() - t0)} ms`);
    await p.start();
    await run(p, Math.min(200, decisions), 10); // warm-up
    const results = [];
    for (const c of [1, 10]) {
      const r = await run(p, decisions, c);
      console.log(`concurrency ${c}: ${JSON.stringify(r)}`);
      results.push(r);
    }
    const last = results[results.length - 1]!;
    console.log(
      JSON.stringify({
        hosts: hostCount,
        decisionsPerSec: last.decisionsPerSec,
        p50Ms: last.p50Ms,
        p99Ms: last.p99Ms,
        runs: results,
      }),
    );
  } finally {
    p.stop();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

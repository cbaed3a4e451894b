import { fakeHostFleet } from '@kumo/agent';
import { capacityOf, RESOURCE_CLASSES } from '@kumo/scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageByHost } from '../src/db/worker.repo.js';
import { imageBytes, type SagaEnv, startSagaEnv } from './saga-fixtures.js';

const HOSTS = 100;
const SERVERS = 500;
let env: SagaEnv;
let imageId: string;

beforeAll(async () => {
  // small hosts (2 CPUs ×4 = 8 vCPU, 4 GiB − 512 MiB reserved = 7 m1.tiny each): 500 servers
  // fill 500 of 700 slots, so a scheduler or saga that overcommits shows
  env = await startSagaEnv({
    hosts: fakeHostFleet(HOSTS, 'scale-host', () => ({ cpus: 2, memoryMb: 4096 })),
    env: { KUMO_COMPUTE_WORKER_CONCURRENCY: '64' },
  });
  imageId = env.images.add(imageBytes()).id;
}, 120_000);

afterAll(async () => {
  await env?.close();
}, 60_000);

describe(`scale: ${SERVERS} servers on ${HOSTS} fake hosts`, () => {
  it('boots them all in parallel: all ACTIVE, no host overcommitted, allocations match', async () => {
    const t0 = performance.now();
    const created = await Promise.all(Array.from({ length: SERVERS }, () => env.createServer({ imageId })));
    const tCreated = performance.now();
    const ids = created.map((c) => c.serverId);
    const until = Date.now() + 50_000;
    let rows: { vm_state: string; n: number }[] = [];
    for (;;) {
      rows = (
        await env.ctx.pool.query(
          `SELECT vm_state, count(*)::int AS n FROM compute.servers WHERE id = ANY($1) GROUP BY vm_state`,
          [ids],
        )
      ).rows;
      if (!rows.some((r) => r.vm_state === 'building') || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const tDone = performance.now();
    expect(rows).toEqual([{ vm_state: 'active', n: SERVERS }]);
    console.info(
      `scale: ${SERVERS} boots on ${HOSTS} hosts — enqueue ${Math.round(tCreated - t0)} ms, ` +
        `all ACTIVE after ${Math.round(tDone - t0)} ms (${((SERVERS * 1000) / (tDone - t0)).toFixed(0)} boots/s)`,
    );

    const steps = await env.ctx.pool.query(
      `SELECT event, round(avg(extract(epoch FROM finish_time - start_time) * 1000))::int AS avg_ms,
              round(max(extract(epoch FROM finish_time - start_time) * 1000))::int AS max_ms
         FROM compute.instance_action_events GROUP BY event ORDER BY min(id)`,
    );
    console.info(`scale: step ms ${steps.rows.map((r) => `${r.event}=${r.avg_ms}/${r.max_ms}`).join(' ')}`);

    // the scheduler's view: no inventory over capacity, and usage = what the servers hold
    const hosts = await env.scheduler.scheduler.listHosts();
    const used = await usageByHost(env.ctx.db);
    let servers = 0;
    for (const h of hosts) {
      for (const rc of RESOURCE_CLASSES) {
        const inv = h.inventories[rc];
        if (inv) expect(inv.used, `${h.id} ${rc}`).toBeLessThanOrEqual(capacityOf(inv));
      }
      const u = used.get(h.id) ?? { servers: 0, vcpus: 0, ramMb: 0, diskGb: 0 };
      servers += u.servers;
      expect(h.inventories.VCPU?.used ?? 0, `${h.id} VCPU`).toBe(u.vcpus);
      expect(h.inventories.MEMORY_MB?.used ?? 0, `${h.id} MEMORY_MB`).toBe(u.ramMb);
      expect(h.inventories.DISK_GB?.used ?? 0, `${h.id} DISK_GB`).toBe(u.diskGb);
      // and each fake hypervisor runs exactly the servers placed on it
      const domains = await env.agents.drivers(h.id)!.compute.list();
      expect(domains.length, `${h.id} domains`).toBe(u.servers);
      expect(domains.every((d) => d.power === 'running')).toBe(true);
    }
    expect(servers).toBe(SERVERS);
    const alloc = await env.ctx.pool.query(
      `SELECT count(DISTINCT consumer_id)::int AS n FROM scheduler.allocations WHERE consumer_id = ANY($1)`,
      [ids],
    );
    expect(alloc.rows[0].n).toBe(SERVERS);
  }, 60_000);
});

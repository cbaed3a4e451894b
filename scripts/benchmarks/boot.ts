/**
 * Boot to ACTIVE through the compute API of a running Kumo (scripts/bench compute
 * runs it against a disposable Kumo whose local agent drives real libvirt guests).
 *
 * Env: KUMO_BENCH_COMPUTE_URL, KUMO_BENCH_IDENTITY_URL, KUMO_DEMO_PASSWORD,
 *      KUMO_BENCH_IMAGE (id), KUMO_BENCH_FLAVOR (id), KUMO_BENCH_CONCURRENCY (1,5,10),
 *      KUMO_BENCH_ROUNDS (3). Prints one JSON line last: {rows: BootRow[]}.
 */
import { passwordServiceToken } from '@kumo/service-kit';
import { bootLatencies } from './boots.js';

const env = process.env;

async function main() {
  const token = await passwordServiceToken({
    identityUrl: env.KUMO_BENCH_IDENTITY_URL ?? 'http://127.0.0.1:5000',
    user: 'demo',
    password: env.KUMO_DEMO_PASSWORD ?? '',
    project: 'demo',
  })();
  const rows = await bootLatencies(
    { base: `${env.KUMO_BENCH_COMPUTE_URL ?? 'http://127.0.0.1:8774'}/v2.1`, token },
    env.KUMO_BENCH_IMAGE ?? '',
    env.KUMO_BENCH_FLAVOR ?? '0',
    (env.KUMO_BENCH_CONCURRENCY ?? '1,5,10').split(',').map(Number),
    Number(env.KUMO_BENCH_ROUNDS ?? 3),
  );
  for (const r of rows) console.log(`concurrency ${r.concurrency}: p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms`);
  console.log(JSON.stringify({ rows }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

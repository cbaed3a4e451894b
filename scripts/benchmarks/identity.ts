/**
 * scripts/bench identity — token issue (password, rescoping, application
 * credential) and validation, p50/p99 and throughput at concurrency 1, 10, 50,
 * against a running Kumo. Writes the table into docs/benchmarks.md.
 *
 * Env: KUMO_BENCH_URL (http://127.0.0.1:5000), KUMO_ADMIN_PASSWORD, KUMO_DEMO_PASSWORD,
 *      KUMO_BENCH_KEY_DIR (token keys, for the in-process validation figure), KUMO_BENCH_SECONDS (5),
 *      KUMO_BENCH_SCRYPT (the KDF cost the server runs with, for the report).
 */

import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { loadKeyRepository, RevocationList, TokenValidator } from '@kumo/service-kit';
import { type LoadResult, type RequestSpec, runLoad } from './load.js';
import { writeBenchSection } from './report.js';
import { runWrk } from './wrk.js';

const env = process.env;
const base = env.KUMO_BENCH_URL ?? 'http://127.0.0.1:5000';
const seconds = Number(env.KUMO_BENCH_SECONDS ?? 5);
const adminPassword = env.KUMO_ADMIN_PASSWORD ?? '';
const demoPassword = env.KUMO_DEMO_PASSWORD ?? '';

const passwordBody = (user: string, password: string, project?: string) =>
  JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: user, domain: { id: 'default' }, password } },
      },
      scope: project ? { project: { name: project, domain: { id: 'default' } } } : 'unscoped',
    },
  });

/** The few response fields the benchmark reads. */
interface BenchJson {
  token: { user: { id: string } };
  application_credential: { id: string; secret: string };
}

async function post(path: string, body: string, token?: string) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
    body,
  });
  return {
    status: res.status,
    token: res.headers.get('x-subject-token') ?? '',
    json: (await res.json()) as BenchJson,
  };
}

function inProcessValidation(keyDir: string, token: string, events: number): { perSecond: number } {
  const keys = loadKeyRepository(keyDir);
  const list = new RevocationList(3600_000);
  for (let i = 0; i < events; i++) list.add({ userId: `someone-${i}`, issuedBefore: Date.now() });
  const v = new TokenValidator(keys, list);
  const n = 100_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (!v.validate(token).ok) throw new Error('token did not validate');
  return { perSecond: Math.round(n / ((performance.now() - t0) / 1000)) };
}

const hasWrk = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk prints its version and exits 1
    return (err as { status?: number }).status === 1;
  }
})();

/** wrk (a C client that leaves the server most of the CPU) when installed, else the Node generator. */
const load = async (name: string, spec: RequestSpec, c: number) => {
  const r = await (hasWrk ? runWrk(name, base, spec, c, seconds) : runLoad(name, base, spec, c, seconds));
  // let requests still queued behind the KDF drain before the next row starts
  await new Promise((res) => setTimeout(res, 2000));
  return r;
};

async function main() {
  const admin = await post('/v3/auth/tokens', passwordBody('admin', adminPassword, 'admin'));
  if (admin.status !== 201) throw new Error(`admin login failed: ${admin.status}`);
  const demoUnscoped = await post('/v3/auth/tokens', passwordBody('demo', demoPassword));
  const demo = await post('/v3/auth/tokens', passwordBody('demo', demoPassword, 'demo'));
  const demoUserId = demo.json.token.user.id as string;
  const ac = await post(
    `/v3/users/${demoUserId}/application_credentials`,
    JSON.stringify({ application_credential: { name: `bench-${Date.now()}` } }),
    demo.token,
  );
  const rows: LoadResult[] = [];
  const levels = [1, 10, 50];
  for (const c of levels) {
    rows.push(
      await load(
        'validate (GET /v3/auth/tokens?nocatalog)',
        {
          method: 'GET',
          path: '/v3/auth/tokens?nocatalog',
          headers: { 'x-auth-token': admin.token, 'x-subject-token': demo.token },
          expect: 200,
        },
        c,
      ),
    );
  }
  for (const c of levels) {
    rows.push(
      await load(
        'validate with catalog (GET /v3/auth/tokens)',
        {
          method: 'GET',
          path: '/v3/auth/tokens',
          headers: { 'x-auth-token': admin.token, 'x-subject-token': demo.token },
          expect: 200,
        },
        c,
      ),
    );
  }
  const rescope = JSON.stringify({
    auth: {
      identity: { methods: ['token'], token: { id: demoUnscoped.token } },
      scope: { project: { name: 'demo', domain: { id: 'default' } } },
    },
  });
  for (const c of levels) {
    rows.push(
      await load(
        'issue: token rescoping',
        { method: 'POST', path: '/v3/auth/tokens?nocatalog', body: rescope, expect: 201 },
        c,
      ),
    );
  }
  const pw = passwordBody('demo', demoPassword, 'demo');
  for (const c of levels) {
    rows.push(
      await load(
        'issue: password',
        { method: 'POST', path: '/v3/auth/tokens?nocatalog', body: pw, expect: 201 },
        c,
      ),
    );
  }
  if (ac.status === 201) {
    const acBody = JSON.stringify({
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: {
            id: ac.json.application_credential.id,
            secret: ac.json.application_credential.secret,
          },
        },
      },
    });
    for (const c of levels) {
      rows.push(
        await load(
          'issue: application credential',
          { method: 'POST', path: '/v3/auth/tokens?nocatalog', body: acBody, expect: 201 },
          c,
        ),
      );
    }
  } else {
    console.error(`application credential create answered ${ac.status}: skipping that row`);
  }

  const inproc = env.KUMO_BENCH_KEY_DIR
    ? [0, 1000].map((events) => ({
        events,
        ...inProcessValidation(env.KUMO_BENCH_KEY_DIR!, demo.token, events),
      }))
    : [];

  const table = [
    '| operation | concurrency | requests/s | p50 ms | p99 ms | errors |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.concurrency} | ${r.rps} | ${r.p50ms} | ${r.p99ms} | ${r.errors} |`),
  ];
  const inprocLines = inproc.map(
    (r) =>
      `- In-process validation (\`TokenValidator.validate\`: decrypt + expiry + revocation list of ${r.events} events), one core: **${r.perSecond.toLocaleString('en')} tokens/s**`,
  );
  const section = [
    `Measured ${new Date().toISOString().slice(0, 16)}Z on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load generator on the same machine,`,
    `${seconds} s per row, password KDF scrypt ${env.KUMO_BENCH_SCRYPT ?? '(server default)'}, token size ${demo.token.length} characters.`,
    '',
    ...table,
    '',
    ...inprocLines,
  ].join('\n');
  console.log(section);

  writeBenchSection('identity', section);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/**
 * The network service (Neutron v2.0) over real HTTP, its OVN sync writing a real OVN northbound DB
 * (and, when this machine can run one, a simulated host with ovn-controller):
 *   - create_network / create_subnet / create_port: p50/p99 at concurrency 1, sustained req/s at 10–20;
 *   - time from a port's API 201 to its NB row, its SB binding and (with a host) LSP up=true;
 *   - list/show ports with KUMO_BENCH_PORTS (10,000) ports in the project, paginated and a marker walk;
 *   - security-group list with KUMO_BENCH_SECURITY_GROUPS (1,000) groups.
 * KUMO_BENCH_SECONDS (5) per load row, KUMO_BENCH_OVN_ROUNDS (20) ports timed through OVN.
 * Prints a table and one JSON line last; writes the network section of docs/benchmarks.md.
 */
import { loadavg } from 'node:os';
import type { LoadResult } from './load.js';
import { runLoad } from './load.js';
import { closedLoop, inParallel, type Json, NeutronClient, summarize } from './network-http.js';
import { portToOvn, startOvnBench } from './network-ovn.js';
import {
  type CreateRow,
  type NetworkBenchResult,
  type OvnStage,
  printAndWrite,
  type ReadRow,
} from './network-report.js';
import { startNetworkService } from './network-service.js';

const env = process.env;
const seconds = Number(env.KUMO_BENCH_SECONDS ?? 5);
const totalPorts = Number(env.KUMO_BENCH_PORTS ?? 10_000);
const ovnRounds = Number(env.KUMO_BENCH_OVN_ROUNDS ?? 20);
const securityGroups = Number(env.KUMO_BENCH_SECURITY_GROUPS ?? 1000);
/** Seeding: bulk creates of SEED_BULK ports, SEED_NETWORKS networks (one subnet each) filled in parallel. */
const SEED_BULK = 250;
const SEED_NETWORKS = 4;

const log = (m: string) => console.error(`[bench network] ${m}`);
const round1 = (v: number) => Math.round(v * 10) / 10;
const round2 = (v: number) => Math.round(v * 100) / 100;
const ms = (t0: number) => Math.round(performance.now() - t0);

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]!;
  const ovn = await startOvnBench(log);
  const h = await startNetworkService(ovn.nbConnection).catch(async (err: unknown) => {
    await ovn.close();
    throw err;
  });
  const api = new NeutronClient(h.url, h.demoToken);
  const admin = api.as(h.adminToken);
  try {
    /** Waits until the OVN sync has written everything; returns how long that took. */
    const drain = async () => {
      const t0 = performance.now();
      await h.flush();
      return ms(t0);
    };
    const project = h.demoProjectId;
    await admin.expect(200, 'PUT', `/v2.0/quotas/${project}`, {
      quota: {
        network: -1,
        subnet: -1,
        port: -1,
        router: -1,
        floatingip: -1,
        security_group: -1,
        security_group_rule: -1,
      },
    });
    const network = async (name: string, cidr?: string): Promise<string> => {
      const n = await api.expect(201, 'POST', '/v2.0/networks', { network: { name } });
      if (cidr) {
        await api.expect(201, 'POST', '/v2.0/subnets', {
          subnet: { network_id: n.network.id, cidr, ip_version: 4, name: `${name}-v4` },
        });
      }
      return n.network.id as string;
    };
    const creates: CreateRow[] = [];
    /** Runs a create row, then waits for OVN; the service's CPU per request covers both. */
    const row = async (run: () => Promise<LoadResult>) => {
      const cpu0 = await h.cpuMs();
      const r = await run();
      const ovnDrainMs = await drain();
      const cpuMsPerRequest = round2(((await h.cpuMs()) - cpu0) / Math.max(1, r.requests));
      creates.push({ ...r, ovnDrainMs, cpuMsPerRequest });
      log(
        `${r.name} c=${r.concurrency}: ${r.requests} in ${r.seconds} s, ${r.rps}/s, p50 ${r.p50ms} ms, p99 ${r.p99ms} ms, errors ${r.errors}; OVN caught up ${ovnDrainMs} ms later; service CPU ${cpuMsPerRequest} ms/request`,
      );
      return r;
    };

    // create_network
    const netRps = new Map<number, number>();
    for (const c of [1, 10, 20]) {
      const r = await row(() =>
        closedLoop('create_network', c, seconds, async () => {
          await api.expect(201, 'POST', '/v2.0/networks', { network: { name: 'bench-net' } });
          return true;
        }),
      );
      netRps.set(c, r.rps);
    }

    // create_subnet, one per new network (networks made beforehand, in bulk)
    for (const c of [1, 10]) {
      const want = Math.max(500, Math.ceil(Math.max(...netRps.values()) * seconds * 2));
      const pool: string[] = [];
      for (let i = 0; i < want; i += 1000) {
        const n = Math.min(1000, want - i);
        const body = { networks: Array.from({ length: n }, (_, k) => ({ name: `subnet-pool-${i + k}` })) };
        const res = await api.expect(201, 'POST', '/v2.0/networks', body);
        for (const x of res.networks as { id: string }[]) pool.push(x.id);
      }
      await drain();
      await row(() =>
        closedLoop('create_subnet', c, seconds, async () => {
          const id = pool.pop();
          if (!id) return false;
          await api.expect(201, 'POST', '/v2.0/subnets', {
            subnet: { network_id: id, cidr: '10.0.0.0/24', ip_version: 4, name: 'bench-subnet' },
          });
          return true;
        }),
      );
    }

    // create_port on one network
    const portNet = await network('bench-ports', '10.64.0.0/16');
    await drain();
    for (const c of [1, 10]) {
      await row(() =>
        closedLoop('create_port', c, seconds, async () => {
          await api.expect(201, 'POST', '/v2.0/ports', { port: { network_id: portNet, name: 'bench-port' } });
          return true;
        }),
      );
    }

    // port create → OVN, on a quiet system
    const ovnNet = await network('bench-ovn', '10.1.0.0/16');
    await drain();
    const createPort = async () =>
      (await api.expect(201, 'POST', '/v2.0/ports', { port: { network_id: ovnNet, name: 'bench-ovn' } }))
        .port;
    log(`port → OVN, ${ovnRounds} ports one after the other`);
    const ovnSmall = await portToOvn(createPort, () => h.flush(), ovn, ovnRounds);

    // seed the project up to totalPorts ports (bulk creates through the API)
    const used = async () =>
      (await api.expect(200, 'GET', `/v2.0/quotas/${project}/details`)).quota.port.used as number;
    const before = await used();
    const toSeed = Math.max(0, totalPorts - before);
    const seedNets: string[] = [];
    for (let k = 0; k < SEED_NETWORKS; k++)
      seedNets.push(await network(`bench-seed-${k}`, `10.${128 + k}.0.0/16`));
    await drain();
    const t0 = performance.now();
    const requests = Math.ceil(toSeed / SEED_BULK);
    await inParallel(requests, SEED_NETWORKS, async (i) => {
      const n = Math.min(SEED_BULK, toSeed - i * SEED_BULK);
      const ports = Array.from({ length: n }, (_, k) => ({
        network_id: seedNets[i % SEED_NETWORKS],
        name: `seed-${i}-${k}`,
      }));
      await api.expect(201, 'POST', '/v2.0/ports', { ports });
    });
    const seedMs = ms(t0);
    const seedOvnMs = await drain();
    const portsInProject = await used();
    const seed = {
      ports: toSeed,
      bulk: SEED_BULK,
      concurrency: SEED_NETWORKS,
      seconds: Math.round(seedMs / 100) / 10,
      portsPerSec: Math.round(toSeed / (seedMs / 1000)),
      ovnCatchUpSeconds: Math.round(seedOvnMs / 100) / 10,
      portsInProject,
      nbLogicalSwitchPorts: ovn.lsp.size,
    };
    log(
      `seeded ${toSeed} ports in ${seed.seconds} s (${seed.portsPerSec}/s); OVN +${seed.ovnCatchUpSeconds} s`,
    );

    log(`port → OVN with ${portsInProject} ports, ${ovnRounds} ports one after the other`);
    const ovnLarge = await portToOvn(createPort, () => h.flush(), ovn, ovnRounds);

    // lists and show at totalPorts ports
    const walk: number[] = [];
    const ids: string[] = [];
    let next: string | undefined = '/v2.0/ports?limit=100';
    while (next) {
      const t = performance.now();
      const page: Json = await api.expect(200, 'GET', next);
      walk.push(performance.now() - t);
      for (const p of page.ports as { id: string }[]) ids.push(p.id);
      const href = (page.ports_links as { rel: string; href: string }[] | undefined)?.find(
        (l) => l.rel === 'next',
      )?.href;
      next = href ? new URL(href).pathname + new URL(href).search : undefined;
    }
    const walkSummary = { ...summarize(walk), pages: walk.length, ports: ids.length };
    log(`marker walk: ${ids.length} ports in ${walk.length} pages`);
    const auth = { 'x-auth-token': h.demoToken };
    const pick = () => ids[Math.floor(Math.random() * ids.length)]!;
    const get = (path: string, expect = 200) => ({ method: 'GET', path, headers: auth, expect });
    const lists: ReadRow[] = [];
    const load = async (
      name: string,
      spec: ReturnType<typeof get> | (() => ReturnType<typeof get>),
      c: number,
      s = seconds,
    ) => {
      const cpu0 = await h.cpuMs();
      const r = await runLoad(name, h.url, spec, c, s);
      const cpuMsPerRequest = round2(((await h.cpuMs()) - cpu0) / Math.max(1, r.requests));
      log(
        `${name} c=${c}: ${r.rps}/s, p50 ${r.p50ms} ms, p99 ${r.p99ms} ms, errors ${r.errors}; service CPU ${cpuMsPerRequest} ms/request`,
      );
      lists.push({ ...r, cpuMsPerRequest });
    };
    await load('show port', () => get(`/v2.0/ports/${pick()}`), 10);
    await load('list ports (limit 100, first page)', get('/v2.0/ports?limit=100'), 1);
    await load('list ports (limit 100, first page)', get('/v2.0/ports?limit=100'), 10);
    await load(
      'list ports (limit 100, random marker)',
      () => get(`/v2.0/ports?limit=100&marker=${pick()}`),
      10,
    );
    await load('list ports (limit 1000)', get('/v2.0/ports?limit=1000'), 4);
    await load(`list ports (all ${ids.length}, unpaginated)`, get('/v2.0/ports'), 1);
    await load(
      'list ports (filter network_id, limit 100)',
      get(`/v2.0/ports?network_id=${seedNets[0]}&limit=100`),
      10,
    );

    // security groups
    const tg = performance.now();
    await inParallel(securityGroups, 10, async (i) => {
      await api.expect(201, 'POST', '/v2.0/security-groups', { security_group: { name: `bench-sg-${i}` } });
    });
    const sgCreateMs = ms(tg);
    const sgOvnMs = await drain();
    const sgCount = (await api.expect(200, 'GET', '/v2.0/security-groups?fields=id')).security_groups.length;
    log(`${securityGroups} security groups in ${sgCreateMs} ms; OVN +${sgOvnMs} ms; ${sgCount} listed`);
    await load(`list security groups (all ${sgCount}, with rules)`, get('/v2.0/security-groups'), 1);
    await load('list security groups (limit 100)', get('/v2.0/security-groups?limit=100'), 10);
    await load('list security group rules (limit 100)', get('/v2.0/security-group-rules?limit=100'), 10);

    const stage = (name: string, a: number[], b: number[]): OvnStage => ({
      name,
      quiet: summarize(a),
      loaded: summarize(b),
    });
    const ovnStages: OvnStage[] = [
      stage('API create (201)', ovnSmall.create, ovnLarge.create),
      stage('201 → NB Logical_Switch_Port row (own NB monitor)', ovnSmall.toNbRow, ovnLarge.toNbRow),
      stage('201 → OVN sync flushed', ovnSmall.toFlush, ovnLarge.toFlush),
      stage('201 → SB Port_Binding (northd)', ovnSmall.toSbBinding, ovnLarge.toSbBinding),
    ];
    if (ovn.host) {
      ovnStages.push(
        stage('VM stand-in plug (netns + veth + OVS port)', ovnSmall.plug, ovnLarge.plug),
        stage('plug start → bound to the chassis', ovnSmall.plugToBound, ovnLarge.plugToBound),
        stage('plug start → LSP up=true (flows installed)', ovnSmall.plugToUp, ovnLarge.plugToUp),
        stage('201 → LSP up=true (plug included)', ovnSmall.createToUp, ovnLarge.createToUp),
      );
    }
    const result: NetworkBenchResult = {
      seconds,
      ovnSetup: ovn.setup,
      ovnRounds,
      creates,
      seed,
      ovn: ovnStages,
      walk: walkSummary,
      lists,
      securityGroups: {
        created: securityGroups,
        createMs: sgCreateMs,
        ovnCatchUpMs: sgOvnMs,
        listed: sgCount,
      },
      writer: await h.stats(),
      daemonCpuSeconds: ovn.daemonCpuSeconds(),
      loadAverage: { start: round1(loadAtStart), end: round1(loadavg()[0]!) },
    };
    printAndWrite(result);
  } finally {
    api.close();
    admin.close();
    await h.close();
    await ovn.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

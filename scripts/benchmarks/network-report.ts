/** The network benchmark's table (stdout), JSON line (last) and docs/benchmarks.md section. */
import { cpus } from 'node:os';
import type { LoadResult } from './load.js';
import { fmtMs, writeBenchSection } from './report.js';

/** A load row with the service process' CPU time per request (user + system). */
export type ReadRow = LoadResult & { cpuMsPerRequest: number };
export type CreateRow = ReadRow & { ovnDrainMs: number };

export interface Summary {
  p50ms: number;
  p99ms: number;
  samples: number;
}

/** One stage of a port's way into OVN, on a quiet system and with the project full of ports. */
export interface OvnStage {
  name: string;
  quiet: Summary;
  loaded: Summary;
}

export interface NetworkBenchResult {
  seconds: number;
  ovnSetup: string;
  ovnRounds: number;
  creates: CreateRow[];
  seed: {
    ports: number;
    bulk: number;
    concurrency: number;
    seconds: number;
    portsPerSec: number;
    ovnCatchUpSeconds: number;
    portsInProject: number;
    nbLogicalSwitchPorts: number;
  };
  ovn: OvnStage[];
  walk: Summary & { pages: number; ports: number };
  lists: ReadRow[];
  securityGroups: { created: number; createMs: number; ovnCatchUpMs: number; listed: number };
  writer: unknown;
  /** CPU seconds used by the OVN/OVS daemons over the whole run. */
  daemonCpuSeconds: Record<string, number>;
  /** The 1-minute load average when the run started and ended (other work on the machine shows here). */
  loadAverage: { start: number; end: number };
}

const CREATE_ANCHORS: Record<string, { anchor: string; target: string }> = {
  create_network: { anchor: 'Rally: p50 197 ms, sustained 5 req/s', target: 'p99 < 50 ms, ≥ 200 req/s' },
  create_subnet: { anchor: '', target: 'p99 < 50 ms' },
  create_port: { anchor: 'Rally: a network + 20 ports at 0.1 req/s', target: 'p99 < 50 ms' },
};

const listTarget = (name: string): string => {
  if (name.startsWith('show')) return 'p99 < 50 ms';
  if (name.includes('security group')) return 'Rally: security-group list degrading past 10 s';
  if (name.includes('unpaginated')) return 'OpenStack lists degrade past 1 s as objects accumulate';
  return 'p99 < 100 ms (paginated, at 10,000 ports)';
};

const msCell = (v: number) => (v >= 1000 ? fmtMs(v) : `${v} ms`);

export function renderSection(r: NetworkBenchResult): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const s = r.seed;
  return [
    `Measured ${new Date().toISOString().slice(0, 16)}Z on ${cpus().length} cores (${cpu}), ${r.seconds} s per load row,`,
    `1-minute load average ${r.loadAverage.start} at the start and ${r.loadAverage.end} at the end of the run.`,
    'The service runs in its own process (the test harness: real PostgreSQL, Redis and identity tokens) with',
    `its OVN sync writing a real OVN northbound DB; ${r.ovnSetup}.`,
    'The load generator (closed-loop callers, keep-alive HTTP) is another process on the same cores.',
    '"OVN caught up" = time from the end of the row until the OVN sync had written every change of it.',
    '"CPU/req" = CPU time of the service process per request (user + system; for creates, the OVN writes included):',
    'unlike latency, it hardly depends on what else runs on the machine.',
    '',
    '| call | concurrency | requests | req/s | p50 | p99 | errors | OVN caught up | CPU/req | OpenStack anchor | target |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
    ...r.creates.map((c) => {
      const a = CREATE_ANCHORS[c.name] ?? { anchor: '', target: '' };
      return `| ${c.name} | ${c.concurrency} | ${c.requests} | ${c.rps} | ${msCell(c.p50ms)} | ${msCell(c.p99ms)} | ${c.errors} | ${fmtMs(c.ovnDrainMs)} | ${c.cpuMsPerRequest} ms | ${a.anchor} | ${a.target} |`;
    }),
    '',
    `Seeding: ${s.ports} ports through the API as bulk \`POST /v2.0/ports\` (${s.bulk} per request, ${s.concurrency} requests at once, each on its own network):`,
    `${s.seconds} s (${s.portsPerSec} ports/s); the OVN sync had them all in the NB ${s.ovnCatchUpSeconds} s after the last 201`,
    `(${s.nbLogicalSwitchPorts} logical switch ports in the NB; ${s.portsInProject} ports in the project).`,
    '',
    `A port's way into OVN (${r.ovnRounds} ports created one after the other, each timed alone; anchor: none published —`,
    'the issue asks for "time from port create to OVN flows installed on the host"):',
    '',
    `| stage | p50 (quiet) | p99 (quiet) | p50 (${s.portsInProject} ports) | p99 (${s.portsInProject} ports) |`,
    '|---|---:|---:|---:|---:|',
    ...r.ovn.map(
      (o) =>
        `| ${o.name} | ${msCell(o.quiet.p50ms)} | ${msCell(o.quiet.p99ms)} | ${msCell(o.loaded.p50ms)} | ${msCell(o.loaded.p99ms)} |`,
    ),
    '',
    `Reads with ${r.walk.ports} ports and ${r.securityGroups.listed} security groups in the project:`,
    '',
    '| call | concurrency | p50 | p99 | req/s | errors | CPU/req | anchor / target |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    `| marker walk over all ports, limit 100 (${r.walk.pages} pages, ${r.walk.ports} ports, one after the other) | 1 | ${msCell(r.walk.p50ms)} | ${msCell(r.walk.p99ms)} | | 0 | | p99 < 100 ms |`,
    ...r.lists.map(
      (l) =>
        `| ${l.name} | ${l.concurrency} | ${msCell(l.p50ms)} | ${msCell(l.p99ms)} | ${l.rps} | ${l.errors} | ${l.cpuMsPerRequest} ms | ${listTarget(l.name)} |`,
    ),
    '',
    `${r.securityGroups.created} security groups (each with its 2 default egress rules) were created by 10 callers in`,
    `${fmtMs(r.securityGroups.createMs)}; the OVN sync (port groups and ACLs) caught up ${fmtMs(r.securityGroups.ovnCatchUpMs)} later.`,
    '',
    `CPU used by the OVN/OVS daemons over the whole run: ${Object.entries(r.daemonCpuSeconds)
      .map(([k, v]) => `${k} ${v} s`)
      .join(', ')}.`,
  ].join('\n');
}

export function printAndWrite(r: NetworkBenchResult): void {
  const section = renderSection(r);
  console.log(section);
  writeBenchSection('network', section);
  console.log(JSON.stringify(r));
}

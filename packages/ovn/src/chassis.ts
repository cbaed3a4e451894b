import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OvsdbClient } from '@kumo/ovsdb';
import { ensureBridge, listInterfaces, setOvsExternalIds, waitInterfaceReady } from './chassis-ovsdb.js';
import { livePid, pidAlive, readPid, runIn, stopPid, waitForFile } from './chassis-process.js';
import { type DatapathType, resolveDatapath } from './datapath.js';

export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface ChassisOptions {
  /** State directory: conf.db, db.sock, pidfiles, logs and the bridges' OpenFlow sockets. */
  dir: string;
  /** Run every daemon inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** The chassis name in OVN's southbound DB (Kumo: the host id). */
  systemId: string;
  encapType: 'geneve' | 'vxlan';
  /** This host's tunnel endpoint address (reachable from the other chassis). */
  encapIp: string;
  /** OVN southbound DB, e.g. `tcp:192.168.0.1:6642`. */
  sbConnection: string;
  /** Physical network name → OVS bridge (created when missing), for flat/external networks. */
  bridgeMappings?: Record<string, string>;
  /** May host gateway router ports (ovn-cms-options=enable-chassis-as-gw). */
  gateway?: boolean;
  /** 'auto' (default): the kernel datapath where it works, else userspace ('netdev'). */
  datapath?: 'auto' | DatapathType;
  /** Default br-int. */
  integrationBridge?: string;
  /** More Open_vSwitch external_ids for ovn-controller (e.g. ovn-monitor-all). */
  externalIds?: Record<string, string>;
  /**
   * Runs after ovs-vswitchd is up and before ovn-controller starts, with a client of the chassis'
   * database: e.g. a userspace-tunnelling underlay bridge (br-phy) that must carry the SB
   * connection and the tunnels. Runs on every ensureChassis, so it must be idempotent.
   */
  prepare?: (ctx: {
    client: OvsdbClient;
    run(cmd: string, args: readonly string[]): Promise<string>;
  }) => Promise<void>;
  log?: (message: string) => void;
}

export type ChassisDaemon = 'ovsdb' | 'vswitchd' | 'controller';

export interface Chassis {
  dir: string;
  netns: string | undefined;
  systemId: string;
  datapath: DatapathType;
  integrationBridge: string;
  /** Path of ovsdb-server's unix socket; `dbTarget` is `unix:<dbSocket>` for OvsdbClient / --db. */
  dbSocket: string;
  dbTarget: string;
  /** Environment for OVS tools against this instance (OVS_RUNDIR etc.). */
  env: NodeJS.ProcessEnv;
  pids: Record<ChassisDaemon, number>;
  /** Daemons that were already running and were reused (ensureChassis). */
  reused: ChassisDaemon[];
  /** An OVSDB client of this chassis' Open_vSwitch database (the caller closes it). */
  connect(): Promise<OvsdbClient>;
  /** Runs an OVS/OVN tool (ovs-vsctl, ovs-ofctl, ovs-appctl, ...) against this instance (in its netns). */
  run(cmd: string, args: readonly string[]): Promise<string>;
  /** Stops ovn-controller, ovs-vswitchd (removing its datapath) and ovsdb-server by PID; waits for them. */
  stop(): Promise<void>;
}

/** Why a chassis cannot run here, or undefined when the binaries are installed. */
export function chassisMissing(): string | undefined {
  for (const bin of [
    'ovsdb-server',
    'ovsdb-tool',
    'ovs-vswitchd',
    'ovs-vsctl',
    'ovn-controller',
    'ovs-appctl',
  ]) {
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
    } catch {
      return `${bin} not installed (Debian packages openvswitch-switch and ovn-host)`;
    }
  }
  if (!existsSync(VSWITCH_SCHEMA)) return `${VSWITCH_SCHEMA} missing`;
  return undefined;
}

const files = (dir: string) => ({
  db: join(dir, 'conf.db'),
  sock: join(dir, 'db.sock'),
  ovsdb: {
    pid: join(dir, 'ovsdb-server.pid'),
    ctl: join(dir, 'ovsdb-server.ctl'),
    log: join(dir, 'ovsdb-server.log'),
  },
  vswitchd: {
    pid: join(dir, 'ovs-vswitchd.pid'),
    ctl: join(dir, 'ovs-vswitchd.ctl'),
    log: join(dir, 'ovs-vswitchd.log'),
  },
  controller: { pid: join(dir, 'ovn-controller.pid'), log: join(dir, 'ovn-controller.log') },
});

const BINARY: Record<ChassisDaemon, string> = {
  ovsdb: 'ovsdb-server',
  vswitchd: 'ovs-vswitchd',
  controller: 'ovn-controller',
};

/** Environment that points OVS and OVN tools at the instance in `dir`. */
export function chassisEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    OVS_RUNDIR: dir,
    OVS_DBDIR: dir,
    OVS_LOGDIR: dir,
    OVN_RUNDIR: dir,
    OVN_DBDIR: dir,
    OVN_LOGDIR: dir,
  };
}

/**
 * Starts a chassis from scratch (daemons of an earlier start in `dir` are stopped first; the
 * database is kept). For tests; a long-running agent uses ensureChassis.
 */
export async function startChassis(opts: ChassisOptions): Promise<Chassis> {
  await stopChassis(opts.dir, opts.netns);
  if ((await resolveDatapath(opts.datapath)) === 'netdev') await waitForNamespace(opts.netns);
  return ensureChassis(opts);
}

/**
 * One userspace datapath per network namespace: its `ovs-netdev` tap can be opened by one
 * ovs-vswitchd only, so a second one in the same namespace gets bridges that never attach (and
 * disturbs the first). A fresh chassis (tests, simulated hosts) waits until the namespace is free —
 * test files starting chassis then take turns — and fails with the reason after `timeoutMs`.
 */
async function waitForNamespace(netns: string | undefined, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (otherVswitchdIn(netns, false)) {
    if (Date.now() > deadline)
      throw new Error(
        `another ovs-vswitchd on the userspace datapath runs in ${netns ? `namespace ${netns}` : 'this network namespace'} ` +
          '(an all-in-one Kumo? `scripts/down` stops it): only one can use a namespace',
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Stops the chassis daemons recorded in `dir`'s pidfiles (ovn-controller, then ovs-vswitchd with
 * `exit --cleanup` so a kernel datapath goes too, then ovsdb-server); waits until they are gone.
 */
export async function stopChassis(dir: string, netns?: string): Promise<void> {
  const f = files(dir);
  await stopPid(livePid(f.controller.pid, BINARY.controller));
  const sw = livePid(f.vswitchd.pid, BINARY.vswitchd);
  // The userspace datapath makes each internal port a persistent tap that outlives ovs-vswitchd.
  const internal = sw !== undefined ? await internalPorts(f.sock) : [];
  if (sw !== undefined)
    await runIn(netns, 'ovs-appctl', ['-t', f.vswitchd.ctl, 'exit', '--cleanup'], {
      env: chassisEnv(dir),
      timeoutMs: 5000,
    }).catch(() => undefined);
  await stopPid(sw);
  // ovs-netdev (the userspace datapath's own tap) is shared by every netdev instance in a namespace.
  if (internal.length && !otherVswitchdIn(netns)) internal.push('ovs-netdev');
  for (const dev of internal)
    await runIn(netns, 'sh', [
      '-c',
      `[ ! -e /sys/class/net/"$1"/tun_flags ] || ip link del "$1"`,
      'sh',
      dev,
    ]).catch(() => undefined);
  await stopPid(livePid(f.ovsdb.pid, BINARY.ovsdb));
}

/** Whether another live ovs-vswitchd runs in the network namespace (`netns`, or this process'). */
function otherVswitchdIn(netns: string | undefined, unknown = true): boolean {
  let want: number;
  try {
    want = statSync(netns ? `/run/netns/${netns}` : '/proc/self/ns/net').ino;
  } catch {
    return unknown; // unknown: keep the shared device
  }
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() !== 'ovs-vswitchd' || !pidAlive(Number(e))) continue;
      if (statSync(`/proc/${e}/ns/net`).ino === want) return true;
    } catch {}
  }
  return false;
}

/** Names of the internal ports (the bridges' own devices), read from the chassis database. */
async function internalPorts(sock: string): Promise<string[]> {
  if (!existsSync(sock)) return [];
  try {
    const c = await OvsdbClient.connect({ target: `unix:${sock}`, reconnect: false, keepalive: false });
    try {
      return (await listInterfaces(c)).filter((i) => i.type === 'internal').map((i) => i.name);
    } finally {
      await c.close();
    }
  } catch {
    return [];
  }
}

/**
 * Idempotent: reuses each daemon whose pidfile in `dir` names a live process of the right binary,
 * starts the others (detached, so they outlive the agent: an agent restart never cuts guests off
 * the network), and (re)applies the configuration every time: the Open_vSwitch row's external_ids
 * for ovn-controller, br-int with the datapath type, and the mapped external bridges. When a step
 * fails, the daemons this call started are stopped again.
 */
export async function ensureChassis(opts: ChassisOptions): Promise<Chassis> {
  const missing = chassisMissing();
  if (missing) throw new Error(`cannot start a chassis: ${missing}`);
  const dir = opts.dir;
  mkdirSync(dir, { recursive: true });
  const f = files(dir);
  const env = chassisEnv(dir);
  const run = (cmd: string, args: readonly string[]) => runIn(opts.netns, cmd, args, { env });
  const log = opts.log ?? (() => {});
  const datapath = await resolveDatapath(opts.datapath);
  const bridge = opts.integrationBridge ?? 'br-int';
  const reused: ChassisDaemon[] = [];
  const pids: Record<ChassisDaemon, number> = { ovsdb: 0, vswitchd: 0, controller: 0 };
  const startedNow: number[] = [];

  /** Reuses the live daemon or starts it with `args` (after the common daemon options). */
  const daemon = async (d: ChassisDaemon, args: string[], before?: () => Promise<void>) => {
    const live = livePid(f[d].pid, BINARY[d]);
    if (live !== undefined) {
      reused.push(d);
      pids[d] = live;
      return;
    }
    await before?.();
    // ovn-controller has no --unixctl: its control socket is $OVN_RUNDIR/ovn-controller.<pid>.ctl.
    const ctl = 'ctl' in f[d] ? [`--unixctl=${f[d].ctl}`] : [];
    await run(BINARY[d], [
      '--detach',
      '--no-chdir',
      `--pidfile=${f[d].pid}`,
      `--log-file=${f[d].log}`,
      ...ctl,
      ...args,
    ]);
    const pid = readPid(f[d].pid);
    if (pid === undefined) throw new Error(`${BINARY[d]} wrote no pidfile in ${dir}`);
    startedNow.push(pid);
    pids[d] = pid;
    log(`chassis ${opts.systemId}: ${BINARY[d]} pid ${pid}`);
  };

  try {
    // 1. ovsdb-server with the vswitch database.
    await daemon(
      'ovsdb',
      [`--remote=punix:${f.sock}`, '--remote=db:Open_vSwitch,Open_vSwitch,manager_options', f.db],
      async () => {
        await prepareDb(f.db, log);
        rmSync(f.sock, { force: true });
      },
    );
    await waitForFile(f.sock, 5000);

    // 2. Configuration (before vswitchd, so it builds the bridges once), 3. ovs-vswitchd.
    const client = await OvsdbClient.connect({
      target: `unix:${f.sock}`,
      reconnect: false,
      keepalive: false,
    });
    try {
      await configure(client, opts, datapath, bridge);
      await daemon('vswitchd', [...(datapath === 'netdev' ? ['--disable-system'] : []), `unix:${f.sock}`]);
      await waitInterfaceReady(client, bridge, 15_000);
      await opts.prepare?.({ client, run });
    } finally {
      await client.close();
    }

    // 4. ovn-controller (finds br-int's OpenFlow socket under OVS_RUNDIR).
    await daemon('controller', [`unix:${f.sock}`]);
  } catch (err) {
    for (const pid of startedNow.reverse()) await stopPid(pid);
    throw err;
  }

  return {
    dir,
    netns: opts.netns,
    systemId: opts.systemId,
    datapath,
    integrationBridge: bridge,
    dbSocket: f.sock,
    dbTarget: `unix:${f.sock}`,
    env,
    pids: { ...pids },
    reused,
    connect: () => OvsdbClient.connect({ target: `unix:${f.sock}` }),
    run,
    stop: () => stopChassis(dir, opts.netns),
  };
}

/** The Open_vSwitch row's external_ids for ovn-controller, br-int and the mapped bridges. */
async function configure(
  client: OvsdbClient,
  opts: ChassisOptions,
  datapath: DatapathType,
  bridge: string,
): Promise<void> {
  const ids: Record<string, string> = {
    'system-id': opts.systemId,
    'ovn-remote': opts.sbConnection,
    'ovn-encap-type': opts.encapType,
    'ovn-encap-ip': opts.encapIp,
    'ovn-bridge': bridge,
    'ovn-bridge-datapath-type': datapath,
    ...opts.externalIds,
  };
  const mappings = Object.entries(opts.bridgeMappings ?? {});
  if (mappings.length) ids['ovn-bridge-mappings'] = mappings.map(([net, br]) => `${net}:${br}`).join(',');
  if (opts.gateway) ids['ovn-cms-options'] = 'enable-chassis-as-gw';
  const remove = [
    ...(mappings.length ? [] : ['ovn-bridge-mappings']),
    ...(opts.gateway ? [] : ['ovn-cms-options']),
  ];
  await setOvsExternalIds(client, ids, remove);
  await ensureBridge(client, {
    name: bridge,
    datapathType: datapath,
    failMode: 'secure',
    otherConfig: { 'disable-in-band': 'true' },
  });
  for (const [, br] of mappings) await ensureBridge(client, { name: br, datapathType: datapath });
}

/** Creates the vswitch database when missing, converts it when the installed schema is newer. */
async function prepareDb(db: string, log: (m: string) => void): Promise<void> {
  if (!existsSync(db)) {
    await runIn(undefined, 'ovsdb-tool', ['create', db, VSWITCH_SCHEMA]);
    return;
  }
  const needs = await runIn(undefined, 'ovsdb-tool', ['needs-conversion', db, VSWITCH_SCHEMA]);
  if (needs.trim() === 'yes') {
    log(`chassis: converting ${db} to ${VSWITCH_SCHEMA}`);
    await runIn(undefined, 'ovsdb-tool', ['convert', db, VSWITCH_SCHEMA]);
  }
}

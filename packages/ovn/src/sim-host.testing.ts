import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Chassis, chassisMissing, startChassis, stopChassis } from './chassis.js';
import { deletePort, ensureBridge, ensurePort, waitInterfaceReady } from './chassis-ovsdb.js';
import { runIn } from './chassis-process.js';

/**
 * Simulated hosts for data-plane tests on one machine (RECIPES.md, Networking): each host is a
 * network namespace with its own chassis (ovsdb-server + ovs-vswitchd on the userspace datapath +
 * ovn-controller); an underlay Linux bridge in the root namespace joins them through veths, and
 * carries both the tunnels and the SB connection. VM stand-ins are namespaces whose eth0 is the
 * peer of a veth plugged into the host's br-int with external_ids:iface-id = the logical port.
 * Needs root, iproute2, ethtool and busybox (udhcpc, ping, nc).
 */

const ip = (args: string[]) => runIn(undefined, 'ip', args);
/** ethtool -K <dev> tx off: the userspace datapath moves no TCP through veths that offload checksums. */
const txOff = (netns: string | undefined, dev: string) => runIn(netns, 'ethtool', ['-K', dev, 'tx', 'off']);

/** Why the simulation cannot run here (or undefined). */
export function simHostsMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  const c = chassisMissing();
  if (c) return c;
  for (const bin of ['ip', 'ethtool', 'busybox']) {
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
    } catch {
      return `${bin} not installed (Debian packages iproute2, ethtool, busybox-static)`;
    }
  }
  return undefined;
}

export interface SimUnderlay {
  /** The root-namespace Linux bridge. */
  bridge: string;
  /** The bridge's own address (OVN central listens here), e.g. 192.168.213.1. */
  address: string;
  prefixLength: number;
  /** The underlay address of host `i` (192.168.N.(10+i)). */
  hostAddress(i: number): string;
  /** Short random tag in every name this simulation creates. */
  tag: string;
  cleanup(): Promise<void>;
}

/** A root-namespace bridge on a free private 192.168.N.0/24 (N in 200..249). */
export async function createSimUnderlay(): Promise<SimUnderlay> {
  const tag = randomBytes(2).toString('hex');
  const used = (await ip(['-4', '-o', 'addr'])) + (await ip(['-4', 'route']));
  const free = [...Array(50).keys()].map((k) => 200 + k).filter((n) => !used.includes(`192.168.${n}.`));
  const n = free[Math.floor(Math.random() * free.length)];
  if (n === undefined) throw new Error('no free 192.168.2xx.0/24 for the underlay');
  const bridge = `kumo-u${tag}`;
  await ip(['link', 'add', bridge, 'type', 'bridge']);
  await ip(['addr', 'add', `192.168.${n}.1/24`, 'dev', bridge]);
  await ip(['link', 'set', bridge, 'up']);
  return {
    bridge,
    address: `192.168.${n}.1`,
    prefixLength: 24,
    hostAddress: (i) => `192.168.${n}.${10 + i}`,
    tag,
    cleanup: async () => {
      await ip(['link', 'del', bridge]).catch(() => undefined);
    },
  };
}

export interface SimVm {
  name: string;
  netns: string;
  portId: string;
  mac: string;
  /** The veth end in the host namespace, a port of br-int (or of the bridge given). */
  hostDev: string;
  /** Runs a command inside the VM namespace; rejects on a non-zero exit (message has stderr). */
  exec(cmd: string, args?: readonly string[], timeoutMs?: number): Promise<string>;
  /** DHCP on eth0 (busybox udhcpc); configures the address, the default route and the MTU; returns the address. */
  dhcp(opts?: {
    timeoutS?: number;
  }): Promise<{ ip: string; prefixLength: number; router?: string; mtu?: number }>;
  /** Sets a static address (e.g. for "the outside"). */
  setAddress(cidr: string, gateway?: string): Promise<void>;
  /** One or more pings; true when replies came. */
  ping(address: string, opts?: { count?: number; timeoutS?: number }): Promise<boolean>;
  /** Removes the VM: its port from the bridge and its namespace. */
  remove(): Promise<void>;
}

export interface AddVmOptions {
  /** The logical switch port (Neutron port id): external_ids:iface-id. Omit for a plain bridge port. */
  portId?: string;
  mac: string;
  name?: string;
  /** Default: the integration bridge. An external bridge (e.g. br-ex) makes "the outside". */
  bridge?: string;
}

export interface SimHost {
  index: number;
  /** Chassis name (system-id) in OVN. */
  name: string;
  netns: string;
  /** Underlay (tunnel endpoint) address. */
  address: string;
  chassis: Chassis;
  addVm(opts: AddVmOptions): Promise<SimVm>;
  /** Runs a command in the host namespace with the chassis' OVS environment. */
  exec(cmd: string, args?: readonly string[]): Promise<string>;
}

export interface SimHostsOptions {
  underlay: SimUnderlay;
  count: number;
  /** OVN southbound, reachable from the host namespaces (e.g. on the underlay bridge address). */
  sbConnection: string;
  encapType?: 'geneve' | 'vxlan';
  /** Bridge mappings for every host (the bridges are created; attach "the outside" with addVm({bridge})). */
  bridgeMappings?: Record<string, string>;
  /** Hosts (by index) that may carry gateway router ports (default: host 0). */
  gatewayHosts?: number[];
}

export interface SimHosts {
  hosts: SimHost[];
  vms: SimVm[];
  cleanup(): Promise<void>;
}

/** Starts `count` hosts on the underlay. Partial starts are cleaned up when a host fails. */
export async function createSimHosts(opts: SimHostsOptions): Promise<SimHosts> {
  const tag = opts.underlay.tag;
  const root = mkdtempSync(join(tmpdir(), `kumo-sim-${tag}-`));
  const namespaces: string[] = [];
  const chassisDirs: string[] = [];
  const vms: SimVm[] = [];
  let vmSeq = 0;
  const cleanup = async () => {
    for (const d of chassisDirs) await stopChassis(d).catch(() => undefined);
    for (const ns of namespaces.reverse()) await ip(['netns', 'del', ns]).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  };
  const dhcpScript = join(root, 'udhcpc.sh');
  writeFileSync(
    dhcpScript,
    '#!/bin/sh\ncase "$1" in bound|renew) echo "KUMO_LEASE ip=$ip subnet=$subnet router=$router mtu=$mtu" ;; esac\n',
    { mode: 0o755 },
  );

  const makeVm = async (host: SimHost, o: AddVmOptions): Promise<SimVm> => {
    const k = vmSeq++;
    const name = o.name ?? `vm${k}`;
    const netns = `kumo-${tag}-v${k}`;
    const hostDev = `vm${k}`;
    await ip(['netns', 'add', netns]);
    namespaces.push(netns);
    await ip([
      '-n',
      host.netns,
      'link',
      'add',
      hostDev,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      netns,
    ]);
    await ip(['-n', netns, 'link', 'set', 'eth0', 'address', o.mac]);
    for (const [ns, dev] of [
      [netns, 'lo'],
      [netns, 'eth0'],
      [host.netns, hostDev],
    ] as const)
      await ip(['-n', ns, 'link', 'set', dev, 'up']);
    await txOff(netns, 'eth0');
    await txOff(host.netns, hostDev);
    const bridge = o.bridge ?? host.chassis.integrationBridge;
    const client = await host.chassis.connect();
    try {
      await ensurePort(client, {
        bridge,
        name: hostDev,
        externalIds: o.portId
          ? { 'iface-id': o.portId, 'attached-mac': o.mac, 'iface-status': 'active', 'vm-id': name }
          : {},
      });
      await waitInterfaceReady(client, hostDev);
    } finally {
      await client.close();
    }
    const exec = (cmd: string, args: readonly string[] = [], timeoutMs = 30_000) =>
      runIn(netns, cmd, args, { timeoutMs });
    const vm: SimVm = {
      name,
      netns,
      portId: o.portId ?? '',
      mac: o.mac,
      hostDev,
      exec,
      dhcp: async (d = {}) => {
        const t = d.timeoutS ?? 10;
        const out = await exec(
          'busybox',
          ['udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', String(t), '-T', '1', '-s', dhcpScript],
          (t + 5) * 1000,
        );
        const m = /KUMO_LEASE ip=(\S+) subnet=(\S*) router=(\S*) mtu=(\S*)/.exec(out);
        if (!m?.[1]) throw new Error(`no DHCP lease on ${name}: ${out}`);
        const prefixLength = netmaskBits(m[2] || '255.255.255.0');
        await exec('ip', ['addr', 'flush', 'dev', 'eth0']);
        await exec('ip', ['addr', 'add', `${m[1]}/${prefixLength}`, 'dev', 'eth0']);
        const router = m[3]?.split(' ')[0] || undefined;
        if (router) await exec('ip', ['route', 'replace', 'default', 'via', router]);
        const mtu = m[4] ? Number(m[4]) : undefined;
        if (mtu) await exec('ip', ['link', 'set', 'eth0', 'mtu', String(mtu)]);
        return { ip: m[1], prefixLength, router, mtu };
      },
      setAddress: async (cidr, gateway) => {
        await exec('ip', ['addr', 'replace', cidr, 'dev', 'eth0']);
        if (gateway) await exec('ip', ['route', 'replace', 'default', 'via', gateway]);
      },
      ping: async (address, p = {}) =>
        exec('busybox', ['ping', '-c', String(p.count ?? 1), '-W', String(p.timeoutS ?? 2), address]).then(
          () => true,
          () => false,
        ),
      remove: async () => {
        const c = await host.chassis.connect();
        try {
          await deletePort(c, hostDev);
        } finally {
          await c.close();
        }
        await ip(['netns', 'del', netns]).catch(() => undefined);
        namespaces.splice(namespaces.indexOf(netns), 1);
        vms.splice(vms.indexOf(vm), 1);
      },
    };
    vms.push(vm);
    return vm;
  };

  const hosts: SimHost[] = [];
  try {
    for (let i = 0; i < opts.count; i++) hosts.push(await startHost(i));
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { hosts, vms, cleanup };

  async function startHost(i: number): Promise<SimHost> {
    const u = opts.underlay;
    const netns = `kumo-${tag}-h${i}`;
    const rootDev = `kumo-${tag}h${i}`;
    const address = u.hostAddress(i);
    await ip(['netns', 'add', netns]);
    namespaces.push(netns);
    await ip(['link', 'add', rootDev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    await ip(['link', 'set', rootDev, 'master', u.bridge]);
    await ip(['link', 'set', rootDev, 'up']);
    await ip(['-n', netns, 'link', 'set', 'lo', 'up']);
    await ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
    await txOff(undefined, rootDev);
    await txOff(netns, 'eth0');
    const dir = join(root, `h${i}`);
    chassisDirs.push(dir);
    const name = `sim-${tag}-h${i}`;
    const chassis = await startChassis({
      dir,
      netns,
      systemId: name,
      encapType: opts.encapType ?? 'geneve',
      encapIp: address,
      sbConnection: opts.sbConnection,
      bridgeMappings: opts.bridgeMappings,
      gateway: (opts.gatewayHosts ?? [0]).includes(i),
      datapath: 'netdev',
      // Userspace tunnelling: the endpoint address lives on an OVS bridge (br-phy) that owns eth0.
      prepare: async ({ client }) => {
        await ensureBridge(client, { name: 'br-phy', datapathType: 'netdev' });
        await ensurePort(client, { bridge: 'br-phy', name: 'eth0' });
        await waitInterfaceReady(client, 'eth0');
        await waitInterfaceReady(client, 'br-phy');
        await ip(['-n', netns, 'addr', 'replace', `${address}/${u.prefixLength}`, 'dev', 'br-phy']);
        await ip(['-n', netns, 'link', 'set', 'br-phy', 'up']);
        await txOff(netns, 'br-phy');
      },
    });
    const host: SimHost = {
      index: i,
      name,
      netns,
      address,
      chassis,
      addVm: (o) => makeVm(host, o),
      exec: (cmd, args = []) => chassis.run(cmd, args),
    };
    return host;
  }
}

function netmaskBits(mask: string): number {
  return mask
    .split('.')
    .map((o) => Number(o).toString(2))
    .join('')
    .replace(/0/g, '').length;
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimVm } from './sim-host.testing.js';
import { createSimCloud, type SimCloud, simCloudMissing } from './sim-host-cloud.testing.js';

// The host side's data-plane proof, with the topology written by ovn-nbctl (not Kumo's mapping):
// two simulated hosts, DHCP from OVN, traffic across the tunnel, two tenants with the same CIDR.
const missing = simCloudMissing();
if (missing) console.warn(`skipping simulated-host data-plane tests: ${missing}`);

const mac = (tenant: number, n: number) => `fa:16:3e:00:0${tenant}:${n.toString(16).padStart(2, '0')}`;

describe.skipIf(missing).each(['geneve', 'vxlan'] as const)('two simulated hosts over %s', (encapType) => {
  let cloud: SimCloud;
  const vms: Record<string, SimVm> = {};

  /** A logical switch `name` on 10.0.0.0/24 with native DHCP; returns the DHCP_Options uuid. */
  async function tenantSwitch(name: string): Promise<string> {
    await cloud.nbctl('ls-add', name);
    const dhcp = (
      await cloud.nbctl(
        'create',
        'DHCP_Options',
        'cidr=10.0.0.0/24',
        `external_ids:switch=${name}`,
        'options:lease_time=3600',
        'options:router=10.0.0.1',
        'options:server_id=10.0.0.1',
        'options:server_mac=c0:ff:ee:00:00:01',
        'options:mtu=1400',
      )
    ).trim();
    return dhcp;
  }

  /** Plugs a VM stand-in on `host`, then creates its LSP; returns the ms from LSP create to up. */
  async function vmOn(
    host: number,
    sw: string,
    dhcp: string,
    name: string,
    macAddr: string,
    address: string,
  ): Promise<number> {
    const h = cloud.hosts[host];
    if (!h) throw new Error(`no host ${host}`);
    const port = `${sw}-${name}`;
    vms[name] = await h.addVm({ portId: port, mac: macAddr, name });
    const t0 = performance.now();
    await cloud.nbctl(
      'lsp-add',
      sw,
      port,
      '--',
      'lsp-set-addresses',
      port,
      `${macAddr} ${address}`,
      '--',
      'lsp-set-dhcpv4-options',
      port,
      dhcp,
    );
    await cloud.waitPortUp(port);
    return performance.now() - t0;
  }

  const vm = (name: string): SimVm => {
    const v = vms[name];
    if (!v) throw new Error(`no vm ${name}`);
    return v;
  };

  beforeAll(async () => {
    cloud = await createSimCloud({ hosts: 2, encapType });
    await cloud.waitChassis();
  }, 60_000);

  afterAll(async () => {
    await cloud?.cleanup();
  }, 60_000);

  it('DHCP gives each VM exactly its port address; they reach each other across hosts', async () => {
    const dhcp = await tenantSwitch('t1');
    const upA = await vmOn(0, 't1', dhcp, 'a', mac(1, 10), '10.0.0.10');
    const upB = await vmOn(1, 't1', dhcp, 'b', mac(1, 11), '10.0.0.11');
    console.log(
      `[${encapType}] time from LSP create to port up (VIF already plugged): ` +
        `${upA.toFixed(0)} ms (host 0), ${upB.toFixed(0)} ms (host 1)`,
    );
    const t0 = performance.now();
    expect((await vm('a').dhcp()).ip).toBe('10.0.0.10');
    console.log(`[${encapType}] DHCP lease in ${(performance.now() - t0).toFixed(0)} ms`);
    const leaseB = await vm('b').dhcp();
    expect(leaseB).toMatchObject({ ip: '10.0.0.11', prefixLength: 24, router: '10.0.0.1', mtu: 1400 });
    // The binding is on the host the VIF is on.
    const chassisOf = async (port: string) =>
      (
        await cloud.sbctl('--bare', '--columns=chassis', 'find', 'Port_Binding', `logical_port=${port}`)
      ).trim();
    const names = new Map(
      (await cloud.sbctl('--bare', '--columns=_uuid,name', 'list', 'Chassis'))
        .trim()
        .split(/\n\s*\n/)
        .map((b) => b.trim().split('\n') as [string, string]),
    );
    expect(names.get(await chassisOf('t1-a'))).toBe(cloud.hosts[0]?.name);
    expect(names.get(await chassisOf('t1-b'))).toBe(cloud.hosts[1]?.name);
    expect(await vm('a').ping('10.0.0.11', { count: 2 })).toBe(true);
    expect(await vm('b').ping('10.0.0.10')).toBe(true);
    // TCP across the tunnel too (the userspace datapath needs tx checksum offload off on the veths).
    const server = vm('b').exec('busybox', ['nc', '-l', '-p', '5001', '-w', '5'], 10_000);
    await new Promise((r) => setTimeout(r, 200));
    await vm('a').exec('sh', ['-c', 'echo hello-over-tcp | busybox nc -w 3 10.0.0.11 5001']);
    expect((await server).trim()).toBe('hello-over-tcp');
  }, 90_000);

  it('a second tenant with the same CIDR works and cannot reach the first', async () => {
    const dhcp = await tenantSwitch('t2');
    await vmOn(1, 't2', dhcp, 'c', mac(2, 10), '10.0.0.10');
    await vmOn(0, 't2', dhcp, 'd', mac(2, 12), '10.0.0.12');
    expect((await vm('c').dhcp()).ip).toBe('10.0.0.10');
    expect((await vm('d').dhcp()).ip).toBe('10.0.0.12');
    expect(await vm('c').ping('10.0.0.12')).toBe(true);
    // 10.0.0.11 is tenant 1's VM b: unreachable from tenant 2; tenant 2's d unreachable from tenant 1.
    expect(await vm('c').ping('10.0.0.11', { count: 2, timeoutS: 1 })).toBe(false);
    expect(await vm('a').ping('10.0.0.12', { count: 2, timeoutS: 1 })).toBe(false);
    // Tenant 1 still works.
    expect(await vm('a').ping('10.0.0.11')).toBe(true);
  }, 90_000);
});

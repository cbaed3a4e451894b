import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  type Chassis,
  chassisMissing,
  ensurePort,
  type OvnCentral,
  ovnCentralMissing,
  startChassis,
  startOvnCentral,
  stopChassis,
  waitInterfaceReady,
} from '@kumo/ovn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../src/drivers/conformance/helpers.js';
import { createLibvirtDriver, type LibvirtComputeDriver } from '../src/drivers/libvirt/libvirt.driver.js';
import { LocalStorageDriver } from '../src/drivers/local/local-storage.driver.js';
import { OvnNetworkDriver } from '../src/drivers/ovn/ovn-network.driver.js';
import { guestImageIfAvailable, sha256File } from '../src/testing/guest-image.js';
import { ensureLibvirtd, type LibvirtdLease, libvirtUnavailableReason } from '../src/testing/libvirtd.js';

/**
 * One real TCG guest plugged by the ovn network driver: a chassis of its own (userspace datapath,
 * in the root namespace where libvirt opens the tap), OVN central, a logical switch with native
 * DHCP written by ovn-nbctl. The guest must lease exactly its port's address (its READY line says
 * which), and a namespace "VM" on the same logical switch pings it and fetches its HTTP page.
 * Skips with the reason when not root, or libvirt / OVS / OVN / the guest image are missing.
 */

const exec = promisify(execFile);
const tag = randomBytes(3).toString('hex');

const unavailable =
  (await libvirtUnavailableReason()) ??
  chassisMissing() ??
  ovnCentralMissing() ??
  (existsSync('/usr/bin/busybox') ? undefined : 'busybox not installed (busybox-static)');
const image = unavailable ? undefined : await guestImageIfAvailable();
const skip = unavailable ?? (image ? undefined : 'no guest image (scripts/build-guest-image)');
if (skip) console.warn(`skipping the OVN guest end-to-end test: ${skip}`);

describe.skipIf(skip)('a real guest on OVN through the ovn network driver', () => {
  const brInt = `kg${tag}`;
  const instance = `ovn-e2e-${tag}`;
  const port = `port-${tag}-guest`;
  const peerPort = `port-${tag}-peer`;
  const mac = `52:54:00:${tag.slice(0, 2)}:${tag.slice(2, 4)}:${tag.slice(4, 6)}`;
  const peerNs = `kumo-${tag}-peer`;
  const peerDev = `kp${tag}`;
  let lease: LibvirtdLease | undefined;
  let root = '';
  let central: OvnCentral | undefined;
  let chassis: Chassis | undefined;
  let compute: LibvirtComputeDriver | undefined;
  let storage: LocalStorageDriver | undefined;
  let network: OvnNetworkDriver | undefined;
  const nbctl = async (...args: string[]) =>
    (await exec('ovn-nbctl', [`--db=${central?.nbSocket}`, ...args])).stdout.trim();
  const inPeer = (cmd: string, ...args: string[]) => exec('ip', ['netns', 'exec', peerNs, cmd, ...args]);

  beforeAll(async () => {
    lease = await ensureLibvirtd();
    root = await mkdtemp(join('/var/tmp', `kumo-ovn-guest-${tag}-`));
    await chmod(root, 0o755);
    central = await startOvnCentral({ dir: join(root, 'central'), nbPort: 0, sbPort: 0 });
    chassis = await startChassis({
      dir: join(root, 'ovs'),
      systemId: `e2e-${tag}`,
      encapType: 'geneve',
      encapIp: '127.0.0.1',
      sbConnection: central.sbConnection,
      datapath: 'netdev',
      integrationBridge: brInt,
    });
    network = new OvnNetworkDriver({ ovsdb: chassis.dbTarget, integrationBridge: brInt });
    storage = new LocalStorageDriver({
      root: join(root, 'storage'),
      fileRoots: image ? [dirname(image)] : [],
    });
    const s = storage;
    compute = await createLibvirtDriver({
      instancesDir: join(root, 'instances'),
      storageRoot: s.root,
      resolveDisk: (d) => s.getDisk(d),
      stopTimeoutMs: 3_000,
      heartbeatMs: 0,
    });
  }, 120_000);

  afterAll(async () => {
    await compute?.destroy(instance).catch(() => undefined);
    for (const v of (await network?.listVifs().catch(() => [])) ?? []) await network?.removeVif(v.vif);
    await network?.close();
    await exec('ip', ['netns', 'del', peerNs]).catch(() => undefined);
    await stopChassis(join(root, 'ovs'));
    await central?.stop();
    if (root) await rm(root, { recursive: true, force: true });
    await lease?.release();
  }, 120_000);

  it('the guest leases exactly its port address by DHCP and answers ping and HTTP on the switch', async () => {
    if (!compute || !storage || !network || !chassis) throw new Error('setup failed');
    // Topology by hand (Kumo's NB mapping is tested elsewhere): one switch, native DHCP, two ports.
    await nbctl('ls-add', `net-${tag}`);
    const dhcp = await nbctl(
      'create',
      'DHCP_Options',
      'cidr=10.99.0.0/24',
      'options:lease_time=3600',
      'options:router=10.99.0.1',
      'options:server_id=10.99.0.1',
      'options:server_mac=c0:ff:ee:00:99:01',
    );
    for (const [p, m, ip] of [
      [port, mac, '10.99.0.50'],
      [peerPort, 'fa:16:3e:99:00:60', '10.99.0.60'],
    ] as const)
      await nbctl(
        'lsp-add',
        `net-${tag}`,
        p,
        '--',
        'lsp-set-addresses',
        p,
        `${m} ${ip}`,
        '--',
        'lsp-set-dhcpv4-options',
        p,
        dhcp,
      );

    // The driver plugs the VIF; compute gets the tap from the binding.
    const binding = await network.ensureVif({ vif: port, instance, mac, network: `net-${tag}` });
    expect(binding.targetDev).toBe(`tap${port.slice(0, 11)}`);
    const checksum = await sha256File(image as string);
    await storage.ensureImage({
      image: 'guest',
      url: pathToFileURL(image as string).href,
      checksum,
      checksumAlgo: 'sha256',
    });
    await storage.ensureDiskFromImage({
      disk: `${instance}-root`,
      image: 'guest',
      sizeBytes: 256 * 1024 * 1024,
    });
    await compute.ensureDomain({
      instance,
      name: 'ovn guest',
      vcpus: 1,
      memoryMb: 128,
      disks: [{ disk: `${instance}-root`, bus: 'virtio', device: 'disk', boot: true }],
      interfaces: [{ vif: port, mac, bridge: binding.bridge, targetDev: binding.targetDev }],
      configDrive: { metaData: { hostname: 'ovn-guest', uuid: instance } },
    });
    const { stdout: xml } = await exec('virsh', ['-c', 'qemu:///system', 'dumpxml', `kumo-${instance}`]);
    expect(xml).toContain(`<interface type='ethernet'>`);
    expect(xml).toContain(`<target dev='${binding.targetDev}' managed='no'/>`);
    const t0 = performance.now();
    await compute.start(instance);
    const log = await waitFor(
      () => compute?.consoleLog(instance) ?? Promise.resolve({ data: '', nextOffset: 0 }),
      (l) => /KUMO-GUEST-READY/.test(l.data),
      120_000,
      'the READY line',
    );
    console.log(`guest start → READY (with its DHCP lease): ${(performance.now() - t0).toFixed(0)} ms`);
    console.log(
      log.data
        .split('\n')
        .filter((l) => /kumo|eth0|udhcpc/i.test(l))
        .join('\n'),
    );
    expect(log.data).toMatch(/KUMO-GUEST-READY hostname=ovn-guest uuid=\S+ ip=10\.99\.0\.50\b/);
    expect(await nbctl('get', 'Logical_Switch_Port', port, 'up')).toBe('true');

    // A namespace "VM" on the same switch reaches the guest: ICMP and TCP (busybox httpd on :80).
    await exec('ip', ['netns', 'add', peerNs]);
    await exec('ip', ['link', 'add', peerDev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peerNs]);
    await inPeer('ip', 'link', 'set', 'eth0', 'address', 'fa:16:3e:99:00:60');
    await inPeer('ip', 'link', 'set', 'eth0', 'up');
    await exec('ip', ['link', 'set', peerDev, 'up']);
    await inPeer('ethtool', '-K', 'eth0', 'tx', 'off');
    await exec('ethtool', ['-K', peerDev, 'tx', 'off']);
    const c = await chassis.connect();
    try {
      await ensurePort(c, { bridge: brInt, name: peerDev, externalIds: { 'iface-id': peerPort } });
      await waitInterfaceReady(c, peerDev);
    } finally {
      await c.close();
    }
    await inPeer('ip', 'addr', 'add', '10.99.0.60/24', 'dev', 'eth0');
    await waitFor(
      () =>
        inPeer('busybox', 'ping', '-c', '1', '-W', '1', '10.99.0.50').then(
          () => true,
          () => false,
        ),
      (ok) => ok,
      30_000,
      'the guest to answer ping',
    );
    // (busybox-static's wget crashes here: plain HTTP/1.0 through nc)
    const { stdout: page } = await exec('sh', [
      '-c',
      `printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | ip netns exec ${peerNs} busybox nc -w 10 10.99.0.50 80`,
    ]);
    expect(page).toMatch(/^HTTP\/1\.[01] 200/);
    expect(page.trim().split('\n').at(-1)).toBe('ovn-guest');

    // Unplugging: the domain goes, then the VIF; the tap and the OVS port are gone.
    await compute.destroy(instance);
    await network.removeVif(port);
    expect(existsSync(`/sys/class/net/${binding.targetDev}`)).toBe(false);
    expect(await network.listVifs()).toEqual([]);
  }, 240_000);
});

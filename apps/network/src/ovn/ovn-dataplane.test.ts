import { createSimCloud, type SimCloud, type SimVm, simCloudMissing } from '@kumo/ovn/testing';
import { createLogger } from '@kumo/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIP, fillSample, MemoryOvnSource, SG, VM1, VM2 } from './memory-source.testing.js';
import { createOvnSync, type OvnSync } from './ovn-sync.js';

// Kumo's own mapping driving real traffic: two simulated hosts (D's helpers), the NB written only by
// createOvnSync from an in-memory Neutron state.
const missing = simCloudMissing();
if (missing) console.warn(`skipping OVN mapping data-plane tests: ${missing}`);

describe.skipIf(missing !== undefined)('Kumo OVN mapping on two simulated hosts', () => {
  let cloud: SimCloud;
  let ovn: OvnSync;
  let vm1: SimVm;
  let vm2: SimVm;
  let outside: SimVm;
  const src = new MemoryOvnSource();
  /** The NB transaction is done and every chassis has installed the resulting flows. */
  const settled = async () => {
    await ovn.flush();
    await cloud.nbctl('--wait=hv', '--timeout=20', 'sync');
  };

  beforeAll(async () => {
    cloud = await createSimCloud({ hosts: 2, bridgeMappings: { physnet1: 'br-ex' }, gatewayHosts: [0] });
    await cloud.waitChassis();
    const [h0, h1] = cloud.hosts;
    if (!h0 || !h1) throw new Error('two hosts expected');
    fillSample(src, [h0.name, h1.name]);
    // no remote-group rule here: traffic between the two VMs is governed by the ICMP and SSH rules only
    const sg = src.securityGroups.get(SG);
    if (sg) sg.rules = sg.rules.filter((r) => r.id !== 'r-self');
    ovn = await createOvnSync({
      nbConnection: cloud.central.nbSocket,
      source: src,
      log: createLogger({ service: 'network-ovn-dataplane', level: 'silent' }),
      gatewayChassis: [h0.name],
      resyncIntervalMs: 0,
    });
    vm1 = await h0.addVm({ portId: VM1, mac: 'fa:16:3e:00:00:01', name: 'vm1' });
    vm2 = await h1.addVm({ portId: VM2, mac: 'fa:16:3e:00:00:02', name: 'vm2' });
    outside = await h0.addVm({ bridge: 'br-ex', mac: 'fa:16:3e:99:99:99', name: 'outside' });
    await outside.setAddress('172.24.4.1/24');
    await settled();
    await cloud.waitPortUp(VM1);
    await cloud.waitPortUp(VM2);
  }, 120_000);

  afterAll(async () => {
    await ovn?.close();
    await cloud?.cleanup();
  }, 60_000);

  it('DHCP gives each VM its Neutron address, gateway and MTU', async () => {
    expect(await vm1.dhcp()).toMatchObject({
      ip: '10.0.0.11',
      prefixLength: 24,
      router: '10.0.0.1',
      mtu: 1442,
    });
    expect(await vm2.dhcp()).toMatchObject({ ip: '10.0.0.12', prefixLength: 24, router: '10.0.0.1' });
  }, 60_000);

  it('security group: ICMP and TCP 22 pass across hosts, TCP 80 is dropped', async () => {
    expect(await vm1.ping('10.0.0.12', { count: 2 })).toBe(true);
    const ssh = vm2.exec('busybox', ['nc', '-l', '-p', '22', '-w', '5'], 10_000);
    await new Promise((r) => setTimeout(r, 200));
    await vm1.exec('sh', ['-c', 'echo over-22 | busybox nc -w 3 10.0.0.12 22']);
    expect((await ssh).trim()).toBe('over-22');
    const web = vm2.exec('busybox', ['nc', '-l', '-p', '80', '-w', '4'], 10_000).catch(() => '');
    await new Promise((r) => setTimeout(r, 200));
    await vm1.exec('sh', ['-c', 'echo over-80 | busybox nc -w 2 10.0.0.12 80']).catch(() => '');
    expect((await web).trim()).toBe('');
  }, 60_000);

  it('SNAT: a VM without a floating IP reaches the outside, which has no route back to 10.0.0.0/24', async () => {
    expect(await vm2.ping('172.24.4.1', { count: 2, timeoutS: 2 })).toBe(true);
  }, 60_000);

  it('a floating IP reaches the VM from outside; disassociating it cuts the path', async () => {
    expect(await outside.ping('172.24.4.20', { count: 2, timeoutS: 2 })).toBe(true);
    const fip = src.floatingIps.get(FIP);
    if (fip) Object.assign(fip, { portId: null, routerId: null, fixedIpAddress: null });
    ovn.sync.request('floating_ip', FIP);
    await settled();
    expect(await outside.ping('172.24.4.20', { count: 2, timeoutS: 1 })).toBe(false);
  }, 60_000);

  it('removing the ICMP rule blocks ping', async () => {
    const sg = src.securityGroups.get(SG);
    if (sg) sg.rules = sg.rules.filter((r) => r.id !== 'r-icmp');
    ovn.sync.request('security_group', SG);
    await settled();
    expect(await vm1.ping('10.0.0.12', { count: 2, timeoutS: 1 })).toBe(false);
  }, 60_000);
});

import { type SimVm, simCloudMissing } from '@kumo/ovn/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from './dataplane-api.js';
import {
  type DataplaneCloud,
  formatTimings,
  PHYSNET,
  type PluggedVm,
  type PlugTiming,
  startDataplaneCloud,
} from './dataplane-cloud.js';

// The whole data plane driven through Kumo's Neutron API, as a user would: the real network service
// (PostgreSQL, identity tokens) writes OVN's northbound DB; two simulated hosts (a namespace with its
// own OVS + ovn-controller each) carry VM stand-ins plugged with iface-id = the Neutron port id.
const missing = simCloudMissing();
if (missing) console.warn(`skipping the Neutron → OVN data-plane e2e test: ${missing}`);

const OUTSIDE_IP = '172.24.4.1';
const OUTSIDE_PORT = 8080;

describe.skipIf(missing !== undefined)('Neutron API → OVN → two simulated hosts', () => {
  let c: DataplaneCloud;
  let admin: string;
  let a: { projectId: string; token: string };
  let b: { projectId: string; token: string };
  let publicNet: Json;
  let netA: Json;
  let subnetA: Json;
  let router: Json;
  /** The router's address on the external network (SNAT source). */
  let gatewayIp: string;
  let vm1: PluggedVm;
  let vm2: PluggedVm;
  let vmB: PluggedVm;
  let vmB2: PluggedVm;
  let outside: SimVm;
  const timings: PlugTiming[] = [];

  beforeAll(async () => {
    c = await startDataplaneCloud();
    const { api, h } = c;
    const [h0, h1] = c.hosts;
    admin = h.adminToken;

    // the operator: a flat external network on the gateway host's physnet; "the outside" is its gateway
    publicNet = await api.create(admin, 'network', {
      name: 'public',
      'router:external': true,
      'provider:network_type': 'flat',
      'provider:physical_network': PHYSNET,
    });
    await api.create(admin, 'subnet', {
      network_id: publicNet.id,
      cidr: '172.24.4.0/24',
      ip_version: 4,
      gateway_ip: OUTSIDE_IP,
      enable_dhcp: false,
      allocation_pools: [{ start: '172.24.4.10', end: '172.24.4.99' }],
    });
    outside = await h0.addVm({ bridge: 'br-ex', mac: 'fa:16:3e:99:99:99', name: 'outside' });
    await outside.setAddress(`${OUTSIDE_IP}/24`); // and no route back to any tenant network

    // tenant A: network, subnet, security group (ICMP + TCP 22 in), router with SNAT, two VMs
    a = await h.tenant('dataplane-a');
    b = await h.tenant('dataplane-b');
    netA = await api.create(a.token, 'network', { name: 'a-net' });
    subnetA = await api.create(a.token, 'subnet', {
      network_id: netA.id,
      cidr: '10.0.0.0/24',
      ip_version: 4,
      enable_dhcp: true,
    });
    const sg = await api.create(a.token, 'security_group', { name: 'ssh-and-ping' });
    for (const rule of [
      { protocol: 'icmp', remote_ip_prefix: '0.0.0.0/0' },
      { protocol: 'tcp', port_range_min: 22, port_range_max: 22 },
    ]) {
      await api.create(a.token, 'security_group_rule', {
        security_group_id: sg.id,
        direction: 'ingress',
        ethertype: 'IPv4',
        ...rule,
      });
    }
    router = await api.create(a.token, 'router', {
      name: 'a-router',
      external_gateway_info: { network_id: publicNet.id, enable_snat: true },
    });
    await c.api.routerAction(a.token, router.id, 'add_router_interface', { subnet_id: subnetA.id });
    gatewayIp = router.external_gateway_info.external_fixed_ips[0].ip_address;

    const vmPort = { network_id: netA.id, security_groups: [sg.id] };
    vm1 = await c.plug(a.token, h0, 'vm1', vmPort);
    vm2 = await c.plug(a.token, h1, 'vm2', vmPort);

    // tenant B: the same CIDR, and its VM holds the very address of tenant A's vm1
    const netB = await api.create(b.token, 'network', { name: 'b-net' });
    const subnetB = await api.create(b.token, 'subnet', {
      network_id: netB.id,
      cidr: '10.0.0.0/24',
      ip_version: 4,
      enable_dhcp: true,
    });
    vmB = await c.plug(b.token, h1, 'vmB', {
      network_id: netB.id,
      fixed_ips: [{ subnet_id: subnetB.id, ip_address: vm1.ip }],
    });
    // its second VM, on the other host, at an address tenant A does not use; both VMs in B's default
    // security group (made on demand by the first port create)
    vmB2 = await c.plug(b.token, h0, 'vmB2', {
      network_id: netB.id,
      fixed_ips: [{ subnet_id: subnetB.id, ip_address: '10.0.0.200' }],
    });
    timings.push(vm1.timing, vm2.timing, vmB.timing, vmB2.timing);
    await c.settle();
  }, 180_000);

  afterAll(async () => {
    if (timings.length) console.log(formatTimings('port create (API) → OVN port up on the host:', timings));
    await c?.cleanup();
  }, 60_000);

  it('DHCP gives each VM exactly its Neutron port address, the gateway and the MTU', async () => {
    expect(vm1.ip).not.toBe(vm2.ip);
    expect(vmB.ip).toBe(vm1.ip);
    expect([vm1.ip, vm2.ip]).not.toContain(vmB2.ip);
    for (const v of [vm1, vm2]) {
      expect(await v.vm.dhcp()).toEqual({
        ip: v.ip,
        prefixLength: 24,
        router: subnetA.gateway_ip,
        mtu: netA.mtu,
      });
    }
    expect(await vmB.vm.dhcp()).toMatchObject({ ip: vm1.ip, prefixLength: 24 });
    expect(await vmB2.vm.dhcp()).toMatchObject({ ip: vmB2.ip, prefixLength: 24 });
  }, 60_000);

  it('VM1 ↔ VM2 across hosts: ICMP and TCP 22 pass, TCP 80 is dropped by the security group', async () => {
    expect(await vm1.vm.ping(vm2.ip, { count: 2 })).toBe(true);
    expect(await vm2.vm.ping(vm1.ip, { count: 1 })).toBe(true);
    expect(await c.tcp.probe(vm1.vm.netns, vm2.vm.netns, vm2.ip, 22)).toMatchObject({ peer: vm1.ip });
    expect(await c.tcp.probe(vm1.vm.netns, vm2.vm.netns, vm2.ip, 80, 2000)).toBeUndefined();
  }, 60_000);

  it('tenants with the same CIDR are isolated', async () => {
    // B's own VMs reach each other (its default group admits members of the group)
    expect(await vmB.vm.ping(vmB2.ip, { count: 2, timeoutS: 2 })).toBe(true);
    // B's VM (same address as vm1, on vm2's host) reaches none of A's VMs
    expect(await vmB.vm.ping(vm2.ip, { count: 2, timeoutS: 1 })).toBe(false);
    expect(await c.tcp.probe(vmB.vm.netns, vm2.vm.netns, vm2.ip, 22, 2000)).toBeUndefined();
    // vm1's address inside tenant A means A's vm1, never B's VM holding the same address
    const onA = await c.tcp.listen(vm1.vm.netns, 22, 4000);
    const onB = await c.tcp.listen(vmB.vm.netns, 22, 4000);
    expect(await c.tcp.send(vm2.vm.netns, vm1.ip, 22, 'for-a', 3000)).toBe(true);
    expect(await onA.result).toEqual({ peer: vm2.ip, data: 'for-a' });
    onB.stop();
    expect(await onB.result).toBeUndefined();
  }, 60_000);

  it('SNAT: the outside sees connections from the router external gateway address', async () => {
    for (const v of [vm2, vm1]) {
      const seen = await c.tcp.probe(v.vm.netns, outside.netns, OUTSIDE_IP, OUTSIDE_PORT);
      expect(seen?.peer).toBe(gatewayIp);
    }
    // the outside has no route to the tenant network: the VMs are not reachable directly
    expect(await c.tcp.probe(outside.netns, vm1.vm.netns, vm1.ip, 22, 1500)).toBeUndefined();
  }, 60_000);

  it('a floating IP reaches VM1 TCP 22 from outside; disassociating it cuts the path', async () => {
    const fip = await c.api.create(a.token, 'floatingip', {
      floating_network_id: publicNet.id,
      port_id: vm1.port.id,
    });
    expect(fip).toMatchObject({ port_id: vm1.port.id, fixed_ip_address: vm1.ip, router_id: router.id });
    const address = fip.floating_ip_address as string;
    await c.settle();
    expect(await c.tcp.probe(outside.netns, vm1.vm.netns, address, 22)).toMatchObject({ peer: OUTSIDE_IP });
    // and vm1's own connections leave with the floating IP (dnat_and_snat), vm2's still with SNAT
    expect((await c.tcp.probe(vm1.vm.netns, outside.netns, OUTSIDE_IP, OUTSIDE_PORT))?.peer).toBe(address);
    expect((await c.tcp.probe(vm2.vm.netns, outside.netns, OUTSIDE_IP, OUTSIDE_PORT))?.peer).toBe(gatewayIp);

    const off = await c.api.update(a.token, 'floatingip', fip.id, { port_id: null });
    expect(off).toMatchObject({ port_id: null, fixed_ip_address: null });
    await c.settle();
    expect(await c.tcp.probe(outside.netns, vm1.vm.netns, address, 22, 2000)).toBeUndefined();
    expect((await c.tcp.probe(vm1.vm.netns, outside.netns, OUTSIDE_IP, OUTSIDE_PORT))?.peer).toBe(gatewayIp);
  }, 60_000);

  it('the per-object syncs left nothing for a full reconcile to repair', async () => {
    await c.settle();
    expect(await c.h.service.ovn?.reconcile()).toMatchObject({
      created: 0,
      updated: 0,
      deleted: 0,
      failed: 0,
    });
  }, 30_000);

  it('reconciler: a logical switch port deleted in OVN by hand reappears and VM1 works again', async () => {
    const { cloud } = c;
    const exists = async () =>
      (await cloud.nbctl('--if-exists', 'get', 'Logical_Switch_Port', vm1.port.id, 'name')).trim() !== '';
    expect(await exists()).toBe(true);
    const t0 = performance.now();
    await cloud.nbctl('lsp-del', vm1.port.id);
    // the service watches its rows: the deletion alone triggers the repair (no reconcile() call)
    const deadline = Date.now() + 10_000;
    while (!(await exists())) {
      if (Date.now() > deadline) throw new Error('the deleted logical switch port did not reappear');
      await new Promise((r) => setTimeout(r, 20));
    }
    const backMs = Math.round(performance.now() - t0);
    const upMs = Math.round(backMs + (await cloud.waitPortUp(vm1.port.id, 20_000)));
    console.log(`reconciler: LSP back ${backMs} ms after lsp-del, port up again after ${upMs} ms`);
    // and a full reconcile now finds nothing to change
    const r = await c.h.service.ovn?.reconcile();
    expect(r).toMatchObject({ created: 0, updated: 0, deleted: 0, failed: 0 });
    await c.settle();
    expect(await vm1.vm.ping(vm2.ip, { count: 2 })).toBe(true);
    expect(await c.tcp.probe(vm2.vm.netns, vm1.vm.netns, vm1.ip, 22)).toMatchObject({ peer: vm2.ip });
    expect(await c.tcp.probe(vm2.vm.netns, vm1.vm.netns, vm1.ip, 80, 1500)).toBeUndefined();
  }, 60_000);

  it('port create (API) → OVN port up, warm: three more ports on host 2', async () => {
    const warm: PlugTiming[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await c.plug(a.token, c.hosts[1], `warm${i}`, { network_id: netA.id });
      warm.push(p.timing);
      await p.vm.remove();
      await c.api.remove(a.token, 'port', p.port.id);
    }
    timings.push(...warm);
    for (const t of warm) expect(t.upMs).toBeLessThan(10_000);
  }, 60_000);
});

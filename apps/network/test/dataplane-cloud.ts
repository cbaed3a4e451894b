import { randomUUID } from 'node:crypto';
import { createSimCloud, type SimCloud, type SimHost, type SimVm } from '@kumo/ovn/testing';
import { type Json, type NeutronCalls, neutronCalls } from './dataplane-api.js';
import { TcpProbes } from './dataplane-tcp.js';
import { type NetworkHarness, startNetwork } from './harness.js';

/** How long one VM port took, from the Neutron port create to OVN reporting the port up on its host. */
export interface PlugTiming {
  name: string;
  /** POST /v2.0/ports answered. */
  createMs: number;
  /** PUT binding:host_id (admin, as compute does) answered. */
  bindMs: number;
  /** The VM stand-in's interface is in br-int with iface-id = port id. */
  plugMs: number;
  /** Port create started → Logical_Switch_Port.up (ovn-controller has bound it and installed flows). */
  upMs: number;
}

export interface PluggedVm {
  port: Json;
  vm: SimVm;
  timing: PlugTiming;
  /** The port's first fixed IP. */
  ip: string;
}

/** A simulated cloud (2 hosts; host 0 is the gateway with br-ex on physnet1) and a network service writing its NB. */
export interface DataplaneCloud {
  cloud: SimCloud;
  h: NetworkHarness;
  api: NeutronCalls;
  tcp: TcpProbes;
  hosts: [SimHost, SimHost];
  /** The per-object syncs are written and every chassis has installed the resulting flows. */
  settle(): Promise<void>;
  /**
   * What compute does for a server's NIC: the user's port create, the admin's binding PUT, the VIF
   * plug on `host`; resolves once OVN reports the port up.
   */
  plug(token: string, host: SimHost, name: string, port: Json): Promise<PluggedVm>;
  cleanup(): Promise<void>;
}

export const PHYSNET = 'physnet1';

export async function startDataplaneCloud(): Promise<DataplaneCloud> {
  const cloud = await createSimCloud({ hosts: 2, bridgeMappings: { [PHYSNET]: 'br-ex' }, gatewayHosts: [0] });
  const tcp = new TcpProbes();
  let h: NetworkHarness | undefined;
  const cleanup = async () => {
    await tcp.stop();
    await h?.close();
    await cloud.cleanup();
  };
  try {
    await cloud.waitChassis();
    const [h0, h1] = cloud.hosts;
    if (!h0 || !h1) throw new Error('two hosts expected');
    const harness = await startNetwork({
      ovn: { nbConnection: cloud.nbConnection, gatewayChassis: [h0.name] },
    });
    h = harness;
    const api = neutronCalls(harness);
    const ovn = harness.service.ovn;
    if (!ovn) throw new Error('the network service runs without OVN');
    const settle = async () => {
      await ovn.flush();
      await cloud.nbctl('--wait=hv', '--timeout=20', 'sync');
    };
    const plug: DataplaneCloud['plug'] = async (token, host, name, body) => {
      const t0 = performance.now();
      const created = await api.create(token, 'port', { name, ...body });
      const t1 = performance.now();
      const port = await api.update(harness.adminToken, 'port', created.id, {
        'binding:host_id': host.name,
        device_owner: 'compute:nova',
        device_id: randomUUID(),
      });
      const t2 = performance.now();
      const vm = await host.addVm({ portId: port.id, mac: port.mac_address, name });
      const t3 = performance.now();
      await cloud.waitPortUp(port.id, 30_000);
      const t4 = performance.now();
      const ms = (a: number, b: number) => Math.round(b - a);
      return {
        port,
        vm,
        ip: port.fixed_ips[0].ip_address,
        timing: { name, createMs: ms(t0, t1), bindMs: ms(t1, t2), plugMs: ms(t2, t3), upMs: ms(t0, t4) },
      };
    };
    return { cloud, h: harness, api, tcp, hosts: [h0, h1], settle, plug, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export function formatTimings(title: string, rows: readonly PlugTiming[]): string {
  const n = (v: number, w = 4) => String(v).padStart(w);
  const lines = rows.map((t) => {
    const afterPlug = t.upMs - t.createMs - t.bindMs - t.plugMs;
    return (
      `  ${t.name.padEnd(6)} create ${n(t.createMs)} ms, bind ${n(t.bindMs)} ms, plug ${n(t.plugMs)} ms, ` +
      `up ${n(afterPlug)} ms after plug → port up ${n(t.upMs, 5)} ms after create`
    );
  });
  return [title, ...lines].join('\n');
}

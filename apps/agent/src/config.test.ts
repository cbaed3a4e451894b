import { describe, expect, it } from 'vitest';
import { readAgentConfig } from './config.js';

describe('agent config', () => {
  it('has defaults under KUMO_HOME', () => {
    const c = readAgentConfig({ KUMO_HOME: '/srv/kumo', KUMO_AGENT_HOST_ID: 'node-1' });
    expect(c).toMatchObject({
      hostId: 'node-1',
      listen: '0.0.0.0:7700',
      stateDir: '/srv/kumo/agent',
      certsDir: '/srv/kumo/agent/certs',
      driver: 'libvirt',
      heartbeatMs: 10_000,
      controlPlaneUrl: undefined,
      kvmProbeKernel: undefined,
    });
    const k = readAgentConfig({ KUMO_AGENT_HOST_ID: 'n', KUMO_AGENT_KVM_PROBE_KERNEL: '/boot/vmlinuz' });
    expect(k.kvmProbeKernel).toBe('/boot/vmlinuz');
  });

  it('refuses bad values with the variable named', () => {
    expect(() => readAgentConfig({ KUMO_AGENT_HOST_ID: '../etc' })).toThrow(/KUMO_AGENT_HOST_ID/);
    expect(() => readAgentConfig({ KUMO_AGENT_HOST_ID: 'a', KUMO_AGENT_LISTEN: 'nope' })).toThrow(
      /KUMO_AGENT_LISTEN/,
    );
    expect(() =>
      readAgentConfig({ KUMO_AGENT_HOST_ID: 'a', KUMO_AGENT_CONTROL_PLANE_URL: 'http://cp:1' }),
    ).toThrow(/KUMO_AGENT_CONTROL_PLANE_URL/);
    expect(() => readAgentConfig({ KUMO_AGENT_HOST_ID: 'a', KUMO_AGENT_HEARTBEAT_MS: '5' })).toThrow(
      /KUMO_AGENT_HEARTBEAT_MS/,
    );
  });

  it('network backend: bridge by default, fake with the fake drivers, ovn with its settings', () => {
    expect(readAgentConfig({ KUMO_AGENT_HOST_ID: 'n' })).toMatchObject({
      networkDriver: 'bridge',
      ovn: undefined,
    });
    expect(readAgentConfig({ KUMO_AGENT_HOST_ID: 'n', KUMO_AGENT_DRIVER: 'fake' }).networkDriver).toBe(
      'fake',
    );
    const o = readAgentConfig({
      KUMO_HOME: '/srv/kumo',
      KUMO_AGENT_HOST_ID: 'node-1',
      KUMO_AGENT_NETWORK_DRIVER: 'ovn',
      KUMO_AGENT_OVN_SB: 'tcp:10.0.0.1:6642',
      KUMO_AGENT_OVN_ENCAP_IP: '10.0.0.11',
      KUMO_AGENT_OVN_BRIDGE_MAPPINGS: 'physnet1:br-ex,public:br-pub',
      KUMO_AGENT_OVN_GATEWAY: 'true',
    });
    expect(o.ovn).toEqual({
      sbConnection: 'tcp:10.0.0.1:6642',
      encapType: 'geneve',
      encapIp: '10.0.0.11',
      systemId: 'node-1',
      bridgeMappings: { physnet1: 'br-ex', public: 'br-pub' },
      gateway: true,
      ovsDir: '/srv/kumo/agent/ovs',
      ovsdb: undefined,
      datapath: 'auto',
      integrationBridge: 'br-int',
    });
    const ovn = { KUMO_AGENT_HOST_ID: 'n', KUMO_AGENT_NETWORK_DRIVER: 'ovn' };
    expect(() => readAgentConfig(ovn)).toThrow(/KUMO_AGENT_OVN_SB/);
    expect(() => readAgentConfig({ ...ovn, KUMO_AGENT_OVN_SB: 'tcp:h:1' })).toThrow(
      /KUMO_AGENT_OVN_ENCAP_IP/,
    );
    expect(() => readAgentConfig({ ...ovn, KUMO_AGENT_OVN_SB: '10.0.0.1' })).toThrow(/KUMO_AGENT_OVN_SB/);
    expect(() => readAgentConfig({ ...ovn, KUMO_AGENT_OVN_BRIDGE_MAPPINGS: 'physnet1' })).toThrow(
      /KUMO_AGENT_OVN_BRIDGE_MAPPINGS/,
    );
    expect(() => readAgentConfig({ ...ovn, KUMO_AGENT_OVN_ENCAP_TYPE: 'gre' })).toThrow(
      /KUMO_AGENT_OVN_ENCAP_TYPE/,
    );
  });
});

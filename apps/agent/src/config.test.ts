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
});

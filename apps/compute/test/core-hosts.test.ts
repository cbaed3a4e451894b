import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComputeHarness, startCompute } from './harness.js';
import { addFields, dropFields, haveTempest, tempestCheck } from './servers-tempest-schema.js';

let h: ComputeHarness;
beforeAll(async () => {
  h = await startCompute({
    fakeHosts: [
      { hostname: 'node-a', cpus: 8, memoryMb: 16384 },
      { hostname: 'node-b', cpus: 4, memoryMb: 8192, availabilityZone: 'zone-2' },
    ],
  });
});
afterAll(async () => {
  await h?.close();
});

describe('os-availability-zone', () => {
  it('lists zones for everyone; detail (admin) adds hosts and the internal zone', async () => {
    const list = (await h.call('GET', '/v2.1/os-availability-zone', { token: h.demoToken })).json()
      .availabilityZoneInfo;
    expect(list).toEqual(
      expect.arrayContaining([
        { zoneName: 'nova', zoneState: { available: true }, hosts: null },
        { zoneName: 'zone-2', zoneState: { available: true }, hosts: null },
      ]),
    );
    expect(
      (await h.call('GET', '/v2.1/os-availability-zone/detail', { token: h.demoToken })).statusCode,
    ).toBe(403);
    const detail = (await h.call('GET', '/v2.1/os-availability-zone/detail')).json().availabilityZoneInfo;
    const nova = detail.find((z: { zoneName: string }) => z.zoneName === 'nova');
    expect(nova.hosts['node-a']['nova-compute']).toMatchObject({ available: true, active: true });
    expect(detail.find((z: { zoneName: string }) => z.zoneName === 'internal').hosts).toBeTruthy();
  });
});

describe('os-hypervisors', () => {
  it('lists with numeric ids below 2.53 and UUIDs from it; details come from the scheduler', async () => {
    const old = (await h.call('GET', '/v2.1/os-hypervisors')).json().hypervisors;
    expect(old).toHaveLength(2);
    expect(typeof old[0].id).toBe('number');
    expect(Object.keys(old[0]).sort()).toEqual(['hypervisor_hostname', 'id', 'state', 'status']);
    const neu = (await h.call('GET', '/v2.1/os-hypervisors/detail', { microversion: '2.53' })).json()
      .hypervisors;
    const a = neu.find((x: { hypervisor_hostname: string }) => x.hypervisor_hostname === 'node-a');
    expect(a.id).toBe(h.hosts[0]!.id);
    expect(a).toMatchObject({
      state: 'up',
      status: 'enabled',
      hypervisor_type: 'QEMU',
      vcpus: 8,
      vcpus_used: 0,
      memory_mb: 16384,
      running_vms: 0,
      service: { host: 'node-a' },
    });
    expect(typeof a.cpu_info).toBe('object');
    const oldDetail = (await h.call('GET', '/v2.1/os-hypervisors/detail')).json().hypervisors;
    expect(typeof oldDetail[0].cpu_info).toBe('string');
    // show by either id form
    expect((await h.call('GET', `/v2.1/os-hypervisors/${old[0].id}`)).statusCode).toBe(200);
    const shown = await h.call('GET', `/v2.1/os-hypervisors/${a.id}`, { microversion: '2.53' });
    expect(shown.json().hypervisor.hypervisor_hostname).toBe('node-a');
    expect((await h.call('GET', '/v2.1/os-hypervisors/12345')).statusCode).toBe(404);
    const stats = (await h.call('GET', '/v2.1/os-hypervisors/statistics')).json().hypervisor_statistics;
    expect(stats).toMatchObject({ count: 2, vcpus: 12, memory_mb: 24576, running_vms: 0 });
    const up = (await h.call('GET', `/v2.1/os-hypervisors/${old[0].id}/uptime`)).json().hypervisor;
    expect(up.uptime).toContain('up');
  });

  it('filters and pages (2.33 limit/marker, 2.53 hostname pattern; search below 2.53)', async () => {
    const p = await h.call('GET', '/v2.1/os-hypervisors?hypervisor_hostname_pattern=node-b', {
      microversion: '2.53',
    });
    expect(p.json().hypervisors.map((x: { hypervisor_hostname: string }) => x.hypervisor_hostname)).toEqual([
      'node-b',
    ]);
    const none = await h.call('GET', '/v2.1/os-hypervisors?hypervisor_hostname_pattern=zzz', {
      microversion: '2.53',
    });
    expect(none.statusCode).toBe(404);
    const page = (await h.call('GET', '/v2.1/os-hypervisors?limit=1', { microversion: '2.53' })).json();
    expect(page.hypervisors).toHaveLength(1);
    const next = new URL(page.hypervisors_links[0].href);
    const p2 = (await h.call('GET', `${next.pathname}${next.search}`, { microversion: '2.53' })).json();
    expect(p2.hypervisors).toHaveLength(1);
    expect(p2.hypervisors[0].id).not.toBe(page.hypervisors[0].id);
    expect(
      (await h.call('GET', '/v2.1/os-hypervisors?marker=nope', { microversion: '2.53' })).statusCode,
    ).toBe(400);
    const search = (await h.call('GET', '/v2.1/os-hypervisors/node/search')).json().hypervisors;
    expect(search).toHaveLength(2);
    expect((await h.call('GET', '/v2.1/os-hypervisors/qqq/search')).statusCode).toBe(404);
  });

  it('is admin only', async () => {
    for (const url of [
      '/v2.1/os-hypervisors',
      '/v2.1/os-hypervisors/detail',
      '/v2.1/os-hypervisors/statistics',
    ])
      expect((await h.call('GET', url, { token: h.demoToken })).statusCode, url).toBe(403);
  });

  it('2.88 drops the resource fields, adds uptime, and removes statistics and uptime (404)', async () => {
    const gone = [
      'cpu_info',
      'vcpus',
      'vcpus_used',
      'memory_mb',
      'memory_mb_used',
      'free_ram_mb',
      'local_gb',
      'local_gb_used',
      'free_disk_gb',
      'disk_available_least',
      'current_workload',
      'running_vms',
    ];
    const before = (await h.call('GET', '/v2.1/os-hypervisors/detail', { microversion: '2.87' })).json();
    for (const k of gone) expect(before.hypervisors[0]).toHaveProperty(k);
    expect(before.hypervisors[0]).not.toHaveProperty('uptime');
    const id = before.hypervisors[0].id;
    for (const url of ['/v2.1/os-hypervisors/statistics', `/v2.1/os-hypervisors/${id}/uptime`])
      expect((await h.call('GET', url, { microversion: '2.87' })).statusCode, url).toBe(200);

    const detail = await h.call('GET', '/v2.1/os-hypervisors/detail', { microversion: '2.88' });
    const show = await h.call('GET', `/v2.1/os-hypervisors/${id}`, { microversion: '2.92' });
    for (const hv of [...detail.json().hypervisors, show.json().hypervisor]) {
      for (const k of gone) expect(hv).not.toHaveProperty(k);
      expect(hv.uptime).toMatch(/ up \d+ days, \d+:\d\d$/);
      expect(hv).toMatchObject({ state: 'up', status: 'enabled', hypervisor_type: 'QEMU' });
    }
    expect(show.json().hypervisor.id).toBe(id);
    for (const url of [
      '/v2.1/os-hypervisors/statistics',
      `/v2.1/os-hypervisors/${id}/uptime`,
      '/v2.1/os-hypervisors/node/search',
      '/v2.1/os-hypervisors/node/servers',
    ]) {
      const res = await h.call('GET', url, { microversion: 'latest' });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().itemNotFound.message, url).toBeTruthy();
    }
    if (!haveTempest) return;
    // Tempest 33 has no 2.88 schema: its 2.53 one minus the dropped fields, plus uptime. The
    // harness's fake hosts register as `<name>:7700`, so host_ip is a name here, not an address.
    const fix = (path: string) =>
      dropFields(path, [...gone, 'host_ip']) +
      addFields(path, { uptime: { type: ['string', 'null'] }, host_ip: { type: 'string' } });
    const errors = tempestCheck([
      {
        module: 'v2_53.hypervisors',
        name: 'list_hypervisors_detail',
        status: detail.statusCode,
        body: detail.json(),
        fix: fix("['response_body']['properties']['hypervisors']['items']"),
      },
      {
        module: 'v2_53.hypervisors',
        name: 'get_hypervisor',
        status: show.statusCode,
        body: show.json(),
        fix: fix("['response_body']['properties']['hypervisor']"),
      },
    ]);
    expect(errors).toEqual([null, null]);
  });
});

describe('os-services', () => {
  it('lists nova-compute per host and the control plane, filtered by host and binary', async () => {
    const all = (await h.call('GET', '/v2.1/os-services', { microversion: '2.11' })).json().services;
    const binaries = all.map((s: { binary: string }) => s.binary);
    expect(binaries).toEqual(expect.arrayContaining(['nova-scheduler', 'nova-conductor', 'nova-compute']));
    const compute = all.filter((s: { binary: string }) => s.binary === 'nova-compute');
    expect(compute).toHaveLength(2);
    expect(compute[0]).toMatchObject({
      state: 'up',
      status: 'enabled',
      forced_down: false,
      disabled_reason: null,
    });
    const one = (await h.call('GET', '/v2.1/os-services?host=node-b&binary=nova-compute')).json().services;
    expect(one).toHaveLength(1);
    expect(one[0].zone).toBe('zone-2');
    expect((await h.call('GET', '/v2.1/os-services?host=xxx')).json().services).toEqual([]);
    expect((await h.call('GET', '/v2.1/os-services', { token: h.demoToken })).statusCode).toBe(403);
  });

  it('disables and enables a compute service (2.53 PUT by UUID), reflected by the scheduler', async () => {
    const svc = (
      await h.call('GET', '/v2.1/os-services?host=node-a&binary=nova-compute', { microversion: '2.53' })
    ).json().services[0];
    const off = await h.call('PUT', `/v2.1/os-services/${svc.id}`, {
      microversion: '2.53',
      body: { status: 'disabled', disabled_reason: 'maintenance' },
    });
    expect(off.statusCode).toBe(200);
    expect(off.json().service).toMatchObject({
      id: svc.id,
      status: 'disabled',
      disabled_reason: 'maintenance',
    });
    expect((await h.scheduler.scheduler.getHost(h.hosts[0]!.id)).enabled).toBe(false);
    const hv = (
      await h.call('GET', `/v2.1/os-hypervisors/${h.hosts[0]!.id}`, { microversion: '2.53' })
    ).json().hypervisor;
    expect(hv.status).toBe('disabled');
    const on = await h.call('PUT', `/v2.1/os-services/${svc.id}`, {
      microversion: '2.53',
      body: { status: 'enabled' },
    });
    expect(on.json().service).toMatchObject({ status: 'enabled', disabled_reason: null });
    for (const body of [{}, { status: 'sleepy' }, { status: 'enabled', disabled_reason: 'x' }])
      expect(
        (await h.call('PUT', `/v2.1/os-services/${svc.id}`, { microversion: '2.53', body })).statusCode,
      ).toBe(400);
    const missing = await h.call('PUT', '/v2.1/os-services/00000000-0000-4000-8000-000000000000', {
      microversion: '2.53',
      body: { status: 'disabled' },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('supports the legacy enable/disable/disable-log-reason calls below 2.53', async () => {
    const dis = await h.call('PUT', '/v2.1/os-services/disable-log-reason', {
      body: { host: 'node-b', binary: 'nova-compute', disabled_reason: 'test' },
    });
    expect(dis.statusCode).toBe(200);
    expect(dis.json().service).toEqual({
      host: 'node-b',
      binary: 'nova-compute',
      status: 'disabled',
      disabled_reason: 'test',
    });
    const en = await h.call('PUT', '/v2.1/os-services/enable', {
      body: { host: 'node-b', binary: 'nova-compute' },
    });
    expect(en.json().service).toEqual({ host: 'node-b', binary: 'nova-compute', status: 'enabled' });
    const bad = await h.call('PUT', '/v2.1/os-services/disable', {
      body: { host: 'nope', binary: 'nova-compute' },
    });
    expect(bad.statusCode).toBe(404);
    const ctl = await h.call('PUT', '/v2.1/os-services/disable', {
      body: {
        host: (await h.call('GET', '/v2.1/os-services?binary=nova-scheduler')).json().services[0].host,
        binary: 'nova-scheduler',
      },
    });
    expect(ctl.statusCode).toBe(400);
  });
});

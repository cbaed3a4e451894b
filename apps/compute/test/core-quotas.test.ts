import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComputeHarness, startCompute } from './harness.js';

let h: ComputeHarness;
beforeAll(async () => {
  h = await startCompute();
});
afterAll(async () => {
  await h?.close();
});

const NOVA_DEFAULTS = {
  instances: 10,
  cores: 20,
  ram: 51200,
  metadata_items: 128,
  key_pairs: 100,
  server_groups: 10,
  server_group_members: 10,
};

async function serverRow(projectId: string, vcpus: number, ramMb: number) {
  const flavor = { id: '1', name: 'm1', vcpus, ramMb, diskGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {} };
  await h.ctx.pool.query(
    `INSERT INTO compute.servers (id, name, project_id, user_id, flavor, vm_state, hostname, reservation_id)
     VALUES ($1, 's', $2, 'u', $3, 'active', 's', 'r-1')`,
    [randomUUID(), projectId, JSON.stringify(flavor)],
  );
}

describe('os-quota-sets', () => {
  it('shows defaults per microversion (network keys below 2.36, file keys below 2.57)', async () => {
    const pid = h.ids.demoProjectId;
    const v21 = (await h.call('GET', `/v2.1/os-quota-sets/${pid}`, { token: h.demoToken })).json().quota_set;
    expect(v21).toMatchObject({
      id: pid,
      ...NOVA_DEFAULTS,
      floating_ips: 10,
      security_groups: 10,
      injected_files: 5,
    });
    const v236 = (await h.call('GET', `/v2.1/os-quota-sets/${pid}`, { microversion: '2.36' })).json()
      .quota_set;
    expect(v236).not.toHaveProperty('floating_ips');
    expect(v236).toHaveProperty('injected_files');
    const v257 = (await h.call('GET', `/v2.1/os-quota-sets/${pid}`, { microversion: '2.57' })).json()
      .quota_set;
    expect(v257).toEqual({ id: pid, ...NOVA_DEFAULTS });
    const defaults = (
      await h.call('GET', `/v2.1/os-quota-sets/${pid}/defaults`, { microversion: '2.57', token: h.demoToken })
    ).json();
    expect(defaults.quota_set).toEqual({ id: pid, ...NOVA_DEFAULTS });
    // a member may not read another project's quotas
    expect(
      (await h.call('GET', `/v2.1/os-quota-sets/${h.ids.adminProjectId}`, { token: h.demoToken })).statusCode,
    ).toBe(403);
  });

  it('updates (admin only), validates, and deletes back to the defaults', async () => {
    const pid = randomUUID().replace(/-/g, '');
    const url = `/v2.1/os-quota-sets/${pid}`;
    const upd = await h.call('PUT', url, {
      body: { quota_set: { instances: 5, cores: '7', floating_ips: 3 } },
    });
    expect(upd.statusCode).toBe(200);
    expect(upd.json().quota_set).toMatchObject({ instances: 5, cores: 7, floating_ips: 3 });
    expect(upd.json().quota_set).not.toHaveProperty('id');
    expect((await h.call('GET', url)).json().quota_set).toMatchObject({ instances: 5, cores: 7, ram: 51200 });
    for (const body of [
      { quota_set: { instances: -2 } },
      { quota_set: { instances: 'many' } },
      { quota_set: { bogus: 1 } },
      { quota_set: { instances: 1.5 } },
      { quotas: {} },
    ])
      expect((await h.call('PUT', url, { body })).statusCode, JSON.stringify(body)).toBe(400);
    expect(
      (await h.call('PUT', url, { microversion: '2.36', body: { quota_set: { floating_ips: 1 } } }))
        .statusCode,
    ).toBe(400);
    expect(
      (await h.call('PUT', url, { token: h.demoToken, body: { quota_set: { instances: 1 } } })).statusCode,
    ).toBe(403);
    expect((await h.call('DELETE', url, { token: h.demoToken })).statusCode).toBe(403);
    expect((await h.call('DELETE', url)).statusCode).toBe(202);
    expect((await h.call('GET', url, { microversion: '2.57' })).json().quota_set).toEqual({
      id: pid,
      ...NOVA_DEFAULTS,
    });
  });

  it('shows usage in detail and refuses a limit under it unless forced', async () => {
    const pid = `p${randomUUID().slice(0, 8)}`;
    await serverRow(pid, 2, 1024);
    await serverRow(pid, 4, 2048);
    const detail = (await h.call('GET', `/v2.1/os-quota-sets/${pid}/detail`, { microversion: '2.57' })).json()
      .quota_set;
    expect(detail.instances).toEqual({ limit: 10, in_use: 2, reserved: 0 });
    expect(detail.cores).toEqual({ limit: 20, in_use: 6, reserved: 0 });
    expect(detail.ram).toEqual({ limit: 51200, in_use: 3072, reserved: 0 });
    const under = await h.call('PUT', `/v2.1/os-quota-sets/${pid}`, { body: { quota_set: { cores: 5 } } });
    expect(under.statusCode).toBe(400);
    expect(under.json().badRequest.message).toContain('cores');
    const forced = await h.call('PUT', `/v2.1/os-quota-sets/${pid}`, {
      body: { quota_set: { cores: 5, force: true } },
    });
    expect(forced.statusCode).toBe(200);
    expect(forced.json().quota_set.cores).toBe(5);
  });
});

describe('limits', () => {
  it("shows the caller's absolute limits and usage per microversion, rate empty", async () => {
    const pid = h.ids.demoProjectId;
    await serverRow(pid, 1, 512);
    const res = (await h.call('GET', '/v2.1/limits', { token: h.demoToken })).json().limits;
    expect(res.rate).toEqual([]);
    expect(res.absolute).toMatchObject({
      maxTotalInstances: 10,
      maxTotalCores: 20,
      maxTotalRAMSize: 51200,
      maxServerMeta: 128,
      maxImageMeta: 128,
      maxPersonality: 5,
      maxPersonalitySize: 10240,
      maxTotalKeypairs: 100,
      maxServerGroups: 10,
      maxServerGroupMembers: 10,
      maxSecurityGroups: 10,
      maxSecurityGroupRules: 20,
      maxTotalFloatingIps: 10,
      totalFloatingIpsUsed: 0,
      totalSecurityGroupsUsed: 0,
      totalInstancesUsed: 1,
      totalCoresUsed: 1,
      totalRAMUsed: 512,
      totalServerGroupsUsed: 0,
    });
    const at257 = (await h.call('GET', '/v2.1/limits', { token: h.demoToken, microversion: '2.57' })).json()
      .limits;
    expect(Object.keys(at257.absolute).sort()).toEqual(
      [
        'maxServerGroupMembers',
        'maxServerGroups',
        'maxServerMeta',
        'maxTotalCores',
        'maxTotalInstances',
        'maxTotalKeypairs',
        'maxTotalRAMSize',
        'totalCoresUsed',
        'totalInstancesUsed',
        'totalRAMUsed',
        'totalServerGroupsUsed',
      ].sort(),
    );
  });

  it('lets an admin read another project with tenant_id; a member gets 403', async () => {
    const pid = h.ids.demoProjectId;
    const other = (await h.call('GET', `/v2.1/limits?tenant_id=${pid}`)).json().limits.absolute;
    expect(other.totalInstancesUsed).toBe(1);
    const own = (await h.call('GET', '/v2.1/limits')).json().limits.absolute;
    expect(own.totalInstancesUsed).toBe(0);
    const res = await h.call('GET', `/v2.1/limits?tenant_id=${h.ids.adminProjectId}`, { token: h.demoToken });
    expect(res.statusCode).toBe(403);
  });
});

describe('os-simple-tenant-usage', () => {
  it('sums server-hours over a period per project; the list is admin only', async () => {
    const pid = `u${randomUUID().slice(0, 8)}`;
    await serverRow(pid, 2, 1024);
    const start = new Date(Date.now() - 3_600_000).toISOString().slice(0, 19);
    const end = new Date(Date.now() + 3_600_000).toISOString().slice(0, 19);
    const show = await h.call('GET', `/v2.1/os-simple-tenant-usage/${pid}?start=${start}&end=${end}`);
    expect(show.statusCode).toBe(200);
    const u = show.json().tenant_usage;
    expect(u.tenant_id).toBe(pid);
    expect(u.server_usages).toHaveLength(1);
    expect(u.server_usages[0]).toMatchObject({
      vcpus: 2,
      memory_mb: 1024,
      local_gb: 1,
      state: 'active',
      ended_at: null,
    });
    expect(u.total_vcpus_usage).toBeCloseTo(u.total_hours * 2, 6);
    const list = (
      await h.call('GET', `/v2.1/os-simple-tenant-usage?start=${start}&end=${end}&detailed=1`)
    ).json();
    expect(
      list.tenant_usages.find((t: { tenant_id: string }) => t.tenant_id === pid).server_usages,
    ).toHaveLength(1);
    const own = await h.call('GET', `/v2.1/os-simple-tenant-usage/${h.ids.demoProjectId}`, {
      token: h.demoToken,
    });
    expect(own.statusCode).toBe(400); // start defaults to now = end
    const ownOk = await h.call('GET', `/v2.1/os-simple-tenant-usage/${h.ids.demoProjectId}?start=${start}`, {
      token: h.demoToken,
    });
    expect(ownOk.statusCode).toBe(200);
    expect(
      (await h.call('GET', `/v2.1/os-simple-tenant-usage?start=${start}`, { token: h.demoToken })).statusCode,
    ).toBe(403);
    expect(
      (await h.call('GET', `/v2.1/os-simple-tenant-usage/${pid}`, { token: h.demoToken })).statusCode,
    ).toBe(403);
    expect((await h.call('GET', `/v2.1/os-simple-tenant-usage/?start=${start}`)).statusCode).toBe(404);
    expect(
      (await h.call('GET', `/v2.1/os-simple-tenant-usage/${pid}?start=${end}&end=${start}`)).statusCode,
    ).toBe(400);
    expect((await h.call('GET', `/v2.1/os-simple-tenant-usage/${pid}?start=yesterday`)).statusCode).toBe(400);
  });
});

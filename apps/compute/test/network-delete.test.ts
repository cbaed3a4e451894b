import { KumoError } from '@kumo/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkFixture, startNetworkFixture } from './network-fixture.js';

// Deleting servers with ports while the network service or the host does not answer; network quotas below 2.36.
let f: NetworkFixture;
let net: { id: string; subnetId: string; name: string };

beforeAll(async () => {
  f = await startNetworkFixture();
  net = await f.makeNetwork(f.h.demoToken, { name: 'private', cidr: '10.6.0.0/24' });
}, 120_000);
afterAll(async () => {
  await f?.close();
});

const interfacesRows = async (serverId: string) =>
  (await f.h.ctx.pool.query('SELECT * FROM compute.server_interfaces WHERE server_id = $1', [serverId])).rows;

async function waitUntil(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const statusOf = async (id: string) =>
  (await f.h.call('GET', `/v2.1/servers/${id}`, { token: f.h.demoToken })).statusCode;

describe('delete with ports', () => {
  it('a network service outage does not block the delete: the server goes, the port follows later', async () => {
    const id = await f.boot([{ uuid: net.id }]);
    const [port] = await f.portsOf(id);
    const client = f.h.ctx.network!;
    const real = client.deletePort;
    client.deletePort = async () => {
      throw new KumoError('unavailable', 'network service unreachable (test)');
    };
    try {
      expect((await f.h.call('DELETE', `/v2.1/servers/${id}`, { token: f.h.demoToken })).statusCode).toBe(
        204,
      );
      await waitUntil('server deleted', async () => (await statusOf(id)) === 404);
      expect(await f.port(String(port!.id))).toMatchObject({ device_id: id });
    } finally {
      client.deletePort = real;
    }
    // the deferred task retries (outbox backoff) and removes the port and the rows
    await waitUntil('port deleted', async () => (await f.portsOf(id)).length === 0);
    await waitUntil('rows gone', async () => (await interfacesRows(id)).length === 0);
  }, 60_000);

  it('a host that is down: ports are released at once, the VIFs and rows when it returns', async () => {
    const host = f.h.hosts[0]!;
    const id = await f.boot([{ uuid: net.id }]);
    const [port] = await f.portsOf(id);
    f.h.agents.setReachable(host.id, false);
    try {
      expect((await f.h.call('DELETE', `/v2.1/servers/${id}`, { token: f.h.demoToken })).statusCode).toBe(
        204,
      );
      await waitUntil('server deleted', async () => (await statusOf(id)) === 404);
      await waitUntil('port deleted', async () => (await f.portsOf(id)).length === 0);
      expect((await interfacesRows(id)).map((r) => [r.port_id, r.port_released])).toEqual([[port!.id, true]]);
      expect((await host.drivers.network.listVifs()).map((v) => v.vif)).toContain(port!.id);
    } finally {
      f.h.agents.setReachable(host.id, true);
    }
    await waitUntil('vif removed', async () =>
      (await host.drivers.network.listVifs()).every((v) => v.vif !== port!.id),
    );
    await waitUntil('rows gone', async () => (await interfacesRows(id)).length === 0);
  }, 60_000);
});

describe('network quotas (< 2.36)', () => {
  it("show, update and reset the network service's limits; usage counts its resources", async () => {
    const pid = f.h.ids.demoProjectId;
    const show = async () =>
      (await f.h.call('GET', `/v2.1/os-quota-sets/${pid}`, { microversion: '2.1' })).json().quota_set;
    const before = await show();
    const neutron = (await f.neutron<{ quota: Record<string, number> }>('GET', `/quotas/${pid}`)).quota;
    expect(before.security_groups).toBe(neutron.security_group);
    expect(before.security_group_rules).toBe(neutron.security_group_rule);
    expect(before.floating_ips).toBe(neutron.floatingip);

    const put = await f.h.call('PUT', `/v2.1/os-quota-sets/${pid}`, {
      microversion: '2.1',
      body: { quota_set: { security_groups: 21, security_group_rules: 22, floating_ips: 23, force: true } },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().quota_set).toMatchObject({
      security_groups: 21,
      security_group_rules: 22,
      floating_ips: 23,
    });
    expect((await f.neutron<{ quota: Record<string, number> }>('GET', `/quotas/${pid}`)).quota).toMatchObject(
      {
        security_group: 21,
        security_group_rule: 22,
        floatingip: 23,
      },
    );
    await f.neutron('POST', '/security-groups', {
      token: f.h.demoToken,
      body: { security_group: { name: 'q' } },
    });
    const limits = (
      await f.h.call('GET', '/v2.1/limits', { token: f.h.demoToken, microversion: '2.1' })
    ).json().limits.absolute;
    expect(limits.maxSecurityGroups).toBe(21);
    expect(limits.totalSecurityGroupsUsed).toBeGreaterThanOrEqual(1);

    expect((await f.h.call('DELETE', `/v2.1/os-quota-sets/${pid}`, { microversion: '2.1' })).statusCode).toBe(
      202,
    );
    expect((await show()).security_groups).toBe(neutron.security_group);
    // from 2.36 the network keys are gone
    const latest = (await f.h.call('GET', `/v2.1/os-quota-sets/${pid}`, { microversion: '2.36' })).json()
      .quota_set;
    expect(latest.security_groups).toBeUndefined();
  });
});

import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkHarness, startNetwork } from './harness.js';

let h: NetworkHarness;
let t: { projectId: string; token: string };
beforeAll(async () => {
  h = await startNetwork();
  t = await h.tenant('quota-user');
});
afterAll(async () => {
  await h?.close();
});

const err = (r: { json(): unknown }) =>
  (r.json() as { NeutronError: { type: string; message: string } }).NeutronError;

describe('quotas', () => {
  it('defaults, update, list non-default, details, reset', async () => {
    const a = h.adminToken;
    const def = await h.call('GET', `/v2.0/quotas/${t.projectId}/default`, { token: a });
    expect((def.json() as { quota: Record<string, number> }).quota).toMatchObject({
      network: 100,
      subnet: 100,
      port: 500,
      router: 10,
    });
    const up = await h.call('PUT', `/v2.0/quotas/${t.projectId}`, {
      token: a,
      body: { quota: { network: 2, port: -1 } },
    });
    expect(up.statusCode).toBe(200);
    expect((up.json() as { quota: Record<string, number> }).quota).toMatchObject({ network: 2, port: -1 });
    const list = (await h.call('GET', '/v2.0/quotas', { token: a })).json() as {
      quotas: { project_id: string }[];
    };
    expect(list.quotas.map((q) => q.project_id)).toContain(t.projectId);
    const own = await h.call('GET', `/v2.0/quotas/${t.projectId}`, { token: t.token });
    expect(own.statusCode).toBe(200);
    expect((await h.call('GET', `/v2.0/quotas/${h.demoProjectId}`, { token: t.token })).statusCode).toBe(403);
    expect(
      (
        await h.call('PUT', `/v2.0/quotas/${t.projectId}`, {
          token: t.token,
          body: { quota: { network: 9 } },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (await h.call('PUT', `/v2.0/quotas/${t.projectId}`, { token: a, body: { quota: { network: -2 } } }))
        .statusCode,
    ).toBe(400);
    expect(
      (await h.call('PUT', `/v2.0/quotas/${t.projectId}`, { token: a, body: { quota: { widgets: 2 } } }))
        .statusCode,
    ).toBe(400);
    await h.call('POST', '/v2.0/networks', { token: t.token, body: { network: {} } });
    for (const path of ['details', 'details.json']) {
      const d = await h.call('GET', `/v2.0/quotas/${t.projectId}/${path}`, { token: a });
      expect((d.json() as { quota: Record<string, unknown> }).quota.network).toEqual({
        used: 1,
        limit: 2,
        reserved: 0,
      });
    }
    expect((await h.call('DELETE', `/v2.0/quotas/${t.projectId}`, { token: a })).statusCode).toBe(204);
    const after = (await h.call('GET', `/v2.0/quotas/${t.projectId}`, { token: a })).json() as {
      quota: Record<string, number>;
    };
    expect(after.quota).toEqual(
      (await h.call('GET', `/v2.0/quotas/${t.projectId}/default`, { token: a })).json().quota,
    );
  });

  it('over quota is a 409 OverQuota, also under a concurrent race', async () => {
    const x = await h.tenant('quota-race');
    await h.call('PUT', `/v2.0/quotas/${x.projectId}`, {
      token: h.adminToken,
      body: { quota: { network: 3 } },
    });
    const rs = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.call('POST', '/v2.0/networks', { token: x.token, body: { network: {} } }),
      ),
    );
    expect(rs.filter((r) => r.statusCode === 201)).toHaveLength(3);
    const refused = rs.filter((r) => r.statusCode === 409);
    expect(refused).toHaveLength(7);
    expect(err(refused[0]!).type).toBe('OverQuota');
    expect(err(refused[0]!).message).toMatch(/Quota exceeded for resources: \['network'\]/);
  });

  it('counts ports', async () => {
    const x = await h.tenant('quota-ports');
    await h.call('PUT', `/v2.0/quotas/${x.projectId}`, { token: h.adminToken, body: { quota: { port: 1 } } });
    const n = (await h.call('POST', '/v2.0/networks', { token: x.token, body: { network: {} } })).json() as {
      network: { id: string };
    };
    expect(
      (await h.call('POST', '/v2.0/ports', { token: x.token, body: { port: { network_id: n.network.id } } }))
        .statusCode,
    ).toBe(201);
    expect(
      (await h.call('POST', '/v2.0/ports', { token: x.token, body: { port: { network_id: n.network.id } } }))
        .statusCode,
    ).toBe(409);
  });

  it('router gateway and floating IP ports belong to no project and count against no quota', async () => {
    // a port quota of 0 for the empty project id: gateway/FIP ports would hit it if they were counted
    await h.service.ctx.db.execute(
      sql`INSERT INTO network.quotas (project_id, resource, "limit") VALUES ('', 'port', 0)`,
    );
    const a = h.adminToken;
    const ext = (
      await h.call('POST', '/v2.0/networks', { token: a, body: { network: { 'router:external': true } } })
    ).json() as { network: { id: string } };
    await h.call('POST', '/v2.0/subnets', {
      token: a,
      body: { subnet: { network_id: ext.network.id, cidr: '203.0.113.0/24', ip_version: 4 } },
    });
    const r = (await h.call('POST', '/v2.0/routers', { token: t.token, body: { router: {} } })).json() as {
      router: { id: string };
    };
    const gw = await h.call('PUT', `/v2.0/routers/${r.router.id}`, {
      token: t.token,
      body: { router: { external_gateway_info: { network_id: ext.network.id } } },
    });
    expect(gw.statusCode).toBe(200);
    const fip = await h.call('POST', '/v2.0/floatingips', {
      token: t.token,
      body: { floatingip: { floating_network_id: ext.network.id } },
    });
    expect(fip.statusCode).toBe(201);
  });
});

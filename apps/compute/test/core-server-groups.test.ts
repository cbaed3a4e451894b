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

const create = (body: unknown, o: { token?: string; microversion?: string } = {}) =>
  h.call('POST', '/v2.1/os-server-groups', { body, ...o });

/** A server row in a group, written directly (members are read from the servers table). */
async function serverIn(groupId: string, projectId: string, deleted = false): Promise<string> {
  const id = randomUUID();
  const flavor = {
    id: '1',
    name: 'm1',
    vcpus: 1,
    ramMb: 64,
    diskGb: 1,
    ephemeralGb: 0,
    swapMb: 0,
    extraSpecs: {},
  };
  await h.ctx.pool.query(
    `INSERT INTO compute.servers (id, name, project_id, user_id, flavor, vm_state, hostname, reservation_id, server_group_id, deleted_at)
     VALUES ($1, 'm', $2, 'u', $3, 'active', 'm', 'r-1', $4, $5)`,
    [id, projectId, JSON.stringify(flavor), groupId, deleted ? new Date() : null],
  );
  return id;
}

describe('server groups', () => {
  it('creates with policies below 2.64 and shows members, metadata, and owner ids from 2.13', async () => {
    const res = await create({ server_group: { name: 'g1', policies: ['anti-affinity'] } });
    expect(res.statusCode).toBe(200);
    const g = res.json().server_group;
    expect(g).toEqual({
      id: expect.any(String),
      name: 'g1',
      policies: ['anti-affinity'],
      members: [],
      metadata: {},
    });
    const m = await serverIn(g.id, h.ids.adminProjectId);
    await serverIn(g.id, h.ids.adminProjectId, true);
    const shown = (await h.call('GET', `/v2.1/os-server-groups/${g.id}`, { microversion: '2.13' })).json()
      .server_group;
    expect(shown).toMatchObject({
      members: [m],
      project_id: h.ids.adminProjectId,
      user_id: h.ids.adminUserId,
    });
  });

  it('creates with policy and rules from 2.64', async () => {
    const res = await create(
      { server_group: { name: 'g2', policy: 'anti-affinity', rules: { max_server_per_host: 2 } } },
      { microversion: '2.64' },
    );
    expect(res.statusCode).toBe(200);
    const g = res.json().server_group;
    expect(g).toMatchObject({
      name: 'g2',
      policy: 'anti-affinity',
      rules: { max_server_per_host: 2 },
      members: [],
    });
    expect(g).not.toHaveProperty('policies');
    expect(g).not.toHaveProperty('metadata');
    const soft = await create(
      { server_group: { name: 'g3', policy: 'soft-affinity' } },
      { microversion: '2.64' },
    );
    expect(soft.json().server_group.rules).toEqual({});
  });

  it('validates as Nova with 400s', async () => {
    const cases: [unknown, string?][] = [
      [{ server_group: { name: 'x', policies: ['bogus'] } }],
      [{ server_group: { name: 'x', policies: ['affinity', 'anti-affinity'] } }],
      [{ server_group: { name: 'x', policies: [] } }],
      [{ server_group: { name: 'x', policies: ['soft-affinity'] } }, '2.14'],
      [{ server_group: { name: '', policies: ['affinity'] } }],
      [{ server_group: { name: 'n'.repeat(256), policies: ['affinity'] } }],
      [{ server_group: { name: 'x' } }],
      [{ server_group: { name: 'x', policies: ['affinity'], extra: 1 } }],
      [{ server_group: { name: 'x', policies: ['affinity'] } }, '2.64'],
      [{ server_group: { name: 'x', policy: 'affinity', rules: { max_server_per_host: 1 } } }, '2.64'],
      [{ server_group: { name: 'x', policy: 'anti-affinity', rules: { max_server_per_host: 0 } } }, '2.64'],
      [{ server_group: { name: 'x', policy: 'anti-affinity', rules: { other: 1 } } }, '2.64'],
      [{ group: {} }],
    ];
    for (const [body, mv] of cases) {
      const res = await create(body, { microversion: mv });
      expect(res.statusCode, `${mv} ${JSON.stringify(body)}`).toBe(400);
    }
    expect(
      (await create({ server_group: { name: 'x', policies: ['soft-affinity'] } }, { microversion: '2.15' }))
        .statusCode,
    ).toBe(200);
  });

  it("keeps projects apart: another project's group is 404; all_projects is for admins", async () => {
    const mine = (
      await create({ server_group: { name: 'demo-g', policies: ['affinity'] } }, { token: h.demoToken })
    ).json().server_group;
    const adminG = (await create({ server_group: { name: 'admin-g', policies: ['affinity'] } })).json()
      .server_group;
    expect(
      (await h.call('GET', `/v2.1/os-server-groups/${adminG.id}`, { token: h.demoToken })).statusCode,
    ).toBe(404);
    expect(
      (await h.call('DELETE', `/v2.1/os-server-groups/${adminG.id}`, { token: h.demoToken })).statusCode,
    ).toBe(404);
    expect((await h.call('GET', '/v2.1/os-server-groups/not-a-uuid')).statusCode).toBe(404);
    const demoList = (await h.call('GET', '/v2.1/os-server-groups', { token: h.demoToken })).json()
      .server_groups;
    expect(demoList.map((g: { id: string }) => g.id)).toEqual([mine.id]);
    expect(
      (await h.call('GET', '/v2.1/os-server-groups?all_projects=true', { token: h.demoToken })).statusCode,
    ).toBe(403);
    const all = (await h.call('GET', '/v2.1/os-server-groups?all_projects=True')).json().server_groups;
    expect(all.map((g: { id: string }) => g.id)).toEqual(expect.arrayContaining([mine.id, adminG.id]));
    const own = (await h.call('GET', '/v2.1/os-server-groups')).json().server_groups;
    expect(own.map((g: { id: string }) => g.id)).not.toContain(mine.id);
    // an admin may read and delete any project's group
    expect((await h.call('GET', `/v2.1/os-server-groups/${mine.id}`)).statusCode).toBe(200);
    const page = (await h.call('GET', '/v2.1/os-server-groups?all_projects=1&limit=1&offset=1')).json()
      .server_groups;
    expect(page).toHaveLength(1);
    expect((await h.call('GET', '/v2.1/os-server-groups?limit=0')).statusCode).toBe(400);
    expect((await h.call('GET', '/v2.1/os-server-groups?offset=-1')).statusCode).toBe(400);
  });

  it('deletes with 204, then 404', async () => {
    const g = (
      await create({ server_group: { name: 'gone', policies: ['affinity'] } }, { token: h.demoToken })
    ).json().server_group;
    expect(
      (await h.call('DELETE', `/v2.1/os-server-groups/${g.id}`, { token: h.demoToken })).statusCode,
    ).toBe(204);
    const again = await h.call('GET', `/v2.1/os-server-groups/${g.id}`, { token: h.demoToken });
    expect(again.statusCode).toBe(404);
    expect(again.json().itemNotFound.message).toBe(`Instance group ${g.id} could not be found.`);
  });

  it('enforces the server_groups quota under concurrent creates', async () => {
    const token = h.demoToken;
    const pid = h.ids.demoProjectId;
    const used = (await h.call('GET', '/v2.1/os-server-groups', { token })).json().server_groups.length;
    await h.call('PUT', `/v2.1/os-quota-sets/${pid}`, { body: { quota_set: { server_groups: used + 2 } } });
    const res = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        create({ server_group: { name: `q${i}`, policies: ['affinity'] } }, { token }),
      ),
    );
    expect(res.filter((r) => r.statusCode === 200)).toHaveLength(2);
    const refused = res.filter((r) => r.statusCode === 403);
    expect(refused).toHaveLength(6);
    expect(refused[0]!.json().forbidden.message).toBe('Quota exceeded, too many server groups.');
    const limits = (await h.call('GET', '/v2.1/limits', { token })).json().limits.absolute;
    expect(limits).toMatchObject({ maxServerGroups: used + 2, totalServerGroupsUsed: used + 2 });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageFor } from '../src/db/quota-usage.repo.js';
import { errorOf, type ServersFixture, startServersFixture } from './servers-fixture.js';

let fx: ServersFixture;
beforeAll(async () => {
  fx = await startServersFixture({ quotaInstances: 10 });
});
afterAll(async () => {
  await fx?.close();
});

const boot = (extra: Record<string, unknown> = {}, token?: string) =>
  fx.call('POST', '/v2.1/servers', {
    token,
    body: { server: { name: 'q', imageRef: fx.imageId, flavorRef: '1', ...extra } },
  });

describe('quota on create', () => {
  it('20 parallel creates at an instance quota of 10: exactly 10 accepted, the rest 403', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => boot()));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 202)).toHaveLength(10);
    expect(codes.filter((c) => c === 403)).toHaveLength(10);
    const denied = results.find((r) => r.statusCode === 403)!;
    expect(errorOf(denied)).toMatchObject({ key: 'forbidden', code: 403 });
    expect(errorOf(denied).message).toMatch(
      /^Quota exceeded for instances: Requested 1, but already used 10 of 10 instances/,
    );
    const usage = await usageFor(fx.ctx.db, fx.identity.ids.demoProjectId);
    expect(usage).toEqual({ instances: 10, cores: 10, ram: 5120 });
  });

  it('another project has its own quota', async () => {
    expect((await boot({}, fx.otherToken)).statusCode).toBe(202);
  });

  it('min/max count: as many as fit, at least min, else 403', async () => {
    // the admin project: 10 instances, 20 cores, 51200 MB; m1.medium = 2 vcpus / 4096 MB
    const tooMany = await boot({ flavorRef: '3', min_count: 11, max_count: 11 }, fx.adminToken);
    expect(tooMany.statusCode).toBe(403);
    expect(errorOf(tooMany).message).toMatch(/Quota exceeded for instances/);
    const fit = await boot(
      { flavorRef: '3', min_count: 2, max_count: 50, return_reservation_id: true },
      fx.adminToken,
    );
    expect(fit.statusCode).toBe(202);
    const rid = (fit.json() as { reservation_id: string }).reservation_id;
    const rows = await fx.sql('SELECT id FROM compute.servers WHERE reservation_id = $1', [rid]);
    expect(rows).toHaveLength(10);
  });

  it('cores are counted: a project quota row lowers the limit', async () => {
    await fx.sql(`INSERT INTO compute.quotas (project_id, resource, hard_limit) VALUES ($1, 'cores', 3)`, [
      fx.identity.ids.demoProjectId,
    ]);
    await fx.sql(`DELETE FROM compute.servers WHERE project_id = $1`, [fx.identity.ids.demoProjectId]);
    expect((await boot({ flavorRef: '3' })).statusCode).toBe(202);
    const res = await boot({ flavorRef: '3' });
    expect(res.statusCode).toBe(403);
    expect(errorOf(res).message).toMatch(
      /Quota exceeded for cores: Requested 2, but already used 2 of 3 cores/,
    );
  });

  it('metadata items over the quota → 403', async () => {
    await fx.sql(
      `INSERT INTO compute.quotas (project_id, resource, hard_limit) VALUES ($1, 'metadata_items', 2)`,
      [fx.identity.ids.demoProjectId],
    );
    const res = await boot({ flavorRef: '1', metadata: { a: '1', b: '2', c: '3' } });
    expect(res.statusCode).toBe(403);
    expect(errorOf(res).message).toMatch(/metadata_items/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, type ServersFixture, startServersFixture } from './servers-fixture.js';

let fx: ServersFixture;
const ids: Record<string, string> = {};
beforeAll(async () => {
  fx = await startServersFixture({ quotaInstances: -1, quotaCores: -1, quotaRam: -1 });
  for (const name of ['alpha', 'beta', 'gamma', 'delta', 'epsilon'])
    ids[name] = await fx.boot({
      name,
      mv: '2.52',
      extra: { networks: 'none', tags: name === 'alpha' || name === 'beta' ? ['web', name] : ['db'] },
    });
  ids.small = await fx.boot({ name: 'small', extra: { flavorRef: '2' } });
  await fx.setState(ids.alpha!, 'active', null, { host: 'host-a' });
  await fx.setState(ids.beta!, 'stopped', null, { host: 'host-b', locked: true });
  await fx.setState(ids.gamma!, 'active', 'rebooting', { host: 'host-a' });
  await fx.setState(ids.delta!, 'deleted', null, { deleted_at: new Date() });
  await fx.setState(ids.epsilon!, 'active', null, {
    addresses: JSON.stringify({ net: [{ addr: '10.0.0.5', version: 4 }] }),
  });
  ids.other = await fx.boot({ name: 'theirs', token: fx.otherToken });
});
afterAll(async () => {
  await fx?.close();
});

type Listed = {
  servers: { id: string; name: string; [k: string]: unknown }[];
  servers_links?: { rel: string; href: string }[];
};
const list = async (query: string, o: { mv?: string; token?: string; detail?: boolean } = {}) => {
  const res = await fx.call('GET', `/v2.1/servers${o.detail ? '/detail' : ''}${query}`, {
    mv: o.mv,
    token: o.token,
  });
  expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
  return res.json() as Listed;
};
const names = (l: Listed) => l.servers.map((s) => s.name).sort();

describe('GET /servers filters', () => {
  it('lists the project’s live servers, newest first, summary shape', async () => {
    const l = await list('');
    expect(names(l)).toEqual(['alpha', 'beta', 'epsilon', 'gamma', 'small']);
    expect(Object.keys(l.servers[0]!).sort()).toEqual(['id', 'links', 'name']);
    expect(l.servers[0]!.name).toBe('small');
    expect(l).not.toHaveProperty('servers_links');
  });

  it('name (regex), status, flavor, image, reservation_id, ip', async () => {
    expect(names(await list('?name=^al'))).toEqual(['alpha']);
    expect(names(await list('?name=a$'))).toEqual(['alpha', 'beta', 'gamma']);
    expect(names(await list('?status=SHUTOFF'))).toEqual(['beta']);
    expect(names(await list('?status=REBOOT'))).toEqual(['gamma']);
    expect(names(await list('?status=ACTIVE'))).toEqual(['alpha', 'epsilon', 'gamma']);
    expect(names(await list('?status=BOGUS'))).toEqual([]);
    expect(names(await list('?flavor=2'))).toEqual(['small']);
    expect(names(await list(`?image=${fx.imageId}`))).toHaveLength(5);
    const [r] = await fx.sql<{ reservation_id: string }>(
      'SELECT reservation_id FROM compute.servers WHERE id = $1',
      [ids.alpha],
    );
    expect(names(await list(`?reservation_id=${r!.reservation_id}`))).toEqual(['alpha']);
    expect(names(await list('?ip=10\\.0\\.0\\.5'))).toEqual(['epsilon']);
    expect(names(await list('?ip=192'))).toEqual([]);
  });

  it('tags filters (2.26), locked (2.73)', async () => {
    expect(names(await list('?tags=web', { mv: '2.26' }))).toEqual(['alpha', 'beta']);
    expect(names(await list('?tags=web,alpha', { mv: '2.26' }))).toEqual(['alpha']);
    expect(names(await list('?tags-any=alpha,db', { mv: '2.26' }))).toEqual(['alpha', 'epsilon', 'gamma']);
    expect(names(await list('?not-tags=web,alpha', { mv: '2.26' }))).toEqual([
      'beta',
      'epsilon',
      'gamma',
      'small',
    ]);
    expect(names(await list('?not-tags-any=web,db', { mv: '2.26' }))).toEqual(['small']);
    expect(names(await list('?tags=web', { mv: '2.25' }))).toHaveLength(5);
    expect(names(await list('?locked=true', { mv: '2.73' }))).toEqual(['beta']);
    expect(names(await list('?locked=false', { mv: '2.73' }))).toHaveLength(4);
  });

  it('changes-since includes deleted servers; changes-before (2.66)', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const l = await list(`?changes-since=${encodeURIComponent(since)}`);
    expect(names(l)).toContain('delta');
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(names(await list(`?changes-since=${encodeURIComponent(future)}`))).toEqual([]);
    expect(names(await list(`?changes-before=${encodeURIComponent(since)}`, { mv: '2.66' }))).toEqual([]);
    const bad = await fx.call(
      'GET',
      `/v2.1/servers?changes-since=${encodeURIComponent(future)}&changes-before=${encodeURIComponent(since)}`,
      { mv: '2.66' },
    );
    expect(bad.statusCode).toBe(400);
    const detail = await list(`?changes-since=${encodeURIComponent(since)}`, { detail: true });
    expect(detail.servers.find((s) => s.name === 'delta')!.status).toBe('DELETED');
  });

  it('all_tenants: admin sees every project, members get 403; admin filters by project_id, host, deleted', async () => {
    const all = await list('?all_tenants=1', { token: fx.adminToken });
    expect(names(all)).toContain('theirs');
    expect(names(all)).toContain('alpha');
    expect((await fx.call('GET', '/v2.1/servers?all_tenants=1')).statusCode).toBe(403);
    const own = await list('', { token: fx.adminToken });
    expect(own.servers).toEqual([]);
    const byProject = await list(`?all_tenants=1&project_id=${fx.identity.ids.demoProjectId}`, {
      token: fx.adminToken,
    });
    expect(names(byProject)).not.toContain('theirs');
    // without all_tenants a tenant_id/project_id is ignored: the caller's own (empty) project is listed
    const ignored = await list(`?tenant_id=${fx.identity.ids.demoProjectId}`, { token: fx.adminToken });
    expect(ignored.servers).toEqual([]);
    // limit=0 lists nothing
    expect((await list('?limit=0')).servers).toEqual([]);
    expect(names(await list('?all_tenants&host=host-a', { token: fx.adminToken }))).toEqual([
      'alpha',
      'gamma',
    ]);
    expect(names(await list('?all_tenants&deleted=true', { token: fx.adminToken }))).toEqual(['delta']);
    // admin-only filters are ignored for members
    expect(names(await list('?host=host-a'))).toHaveLength(5);
  });

  it('2.83 gives members the state, time, zone, key, progress and user filters; 2.90 hostname', async () => {
    await fx.setState(ids.alpha!, 'active', null, { power_state: 1 });
    const live = ['alpha', 'beta', 'epsilon', 'gamma', 'small'];
    // ignored below 2.83 (as Nova drops admin-only filters for members)
    for (const q of ['?vm_state=stopped', '?task_state=rebooting', '?power_state=1', '?user_id=nobody'])
      expect(names(await list(q, { mv: '2.82' })), q).toEqual(live);
    const userId = (await list('', { detail: true })).servers[0]!.user_id as string;
    const cases: [string, string[]][] = [
      ['?vm_state=stopped', ['beta']],
      ['?vm_state=stopped&vm_state=building', ['beta', 'small']],
      ['?task_state=rebooting', ['gamma']],
      ['?power_state=1', ['alpha']],
      ['?progress=0', live],
      [`?user_id=${userId}`, live],
      ['?user_id=nobody', []],
      ['?key_name=nokey', []],
      ['?availability_zone=elsewhere', []],
      ['?config_drive=True', []],
      ['?created_at=^20', live],
      ['?launched_at=^19', []],
      ['?terminated_at=.', []],
      ['?hostname=^alpha$', live], // hostname needs 2.90
    ];
    for (const [q, want] of cases) expect(names(await list(q, { mv: '2.83' })), q).toEqual(want);
    expect(names(await list('?hostname=^alpha$', { mv: '2.90' }))).toEqual(['alpha']);
    expect(names(await list('?hostname=^(alpha|beta)$', { mv: '2.92', detail: true }))).toEqual([
      'alpha',
      'beta',
    ]);
    // another project's filters never widen the view
    expect(names(await list(`?user_id=${userId}`, { mv: '2.92', token: fx.otherToken }))).not.toContain(
      'alpha',
    );
    for (const q of ['?created_at=(', '?power_state=[']) {
      const res = await fx.call('GET', `/v2.1/servers${q}`, { mv: '2.83' });
      expect(res.statusCode, q).toBe(400);
    }
  });
});

describe('GET /servers paging and sorting', () => {
  it('limit/marker walk every server once, with servers_links', async () => {
    const seen: string[] = [];
    let url = '?limit=2';
    for (let i = 0; i < 10; i++) {
      const l = await list(url);
      seen.push(...l.servers.map((s) => s.name));
      const next = l.servers_links?.find((x) => x.rel === 'next');
      if (!next) break;
      expect(next.href).toContain('/v2.1/servers?');
      url = next.href.slice(next.href.indexOf('?'));
    }
    expect(seen.sort()).toEqual(['alpha', 'beta', 'epsilon', 'gamma', 'small']);
  });

  it('sort_key/sort_dir, several keys, paging stays consistent', async () => {
    const asc = await list('?sort_key=display_name&sort_dir=asc');
    expect(asc.servers.map((s) => s.name)).toEqual(['alpha', 'beta', 'epsilon', 'gamma', 'small']);
    const desc = await list('?sort_key=display_name&sort_dir=desc');
    expect(desc.servers.map((s) => s.name)).toEqual(['small', 'gamma', 'epsilon', 'beta', 'alpha']);
    const page1 = await list('?sort_key=vm_state&sort_dir=asc&sort_key=display_name&sort_dir=desc&limit=3');
    const marker = page1.servers.at(-1)!.id;
    const page2 = await list(
      `?sort_key=vm_state&sort_dir=asc&sort_key=display_name&sort_dir=desc&limit=3&marker=${marker}`,
    );
    expect([...page1.servers, ...page2.servers].map((s) => s.name)).toEqual([
      'gamma',
      'epsilon',
      'alpha',
      'small',
      'beta',
    ]);
  });

  it('bad list input → 400 (limit, marker, changes-since, sort key/dir, regex), never 500', async () => {
    for (const q of [
      '?limit=-1',
      '?limit=abc',
      `?marker=${'6b1f3a9e-1d4e-4f0a-9c55-0a0a0a0a0a0a'}`,
      '?marker=nope',
      '?changes-since=yesterday',
      '?sort_key=bogus',
      '?sort_key=display_name&sort_dir=sideways',
      '?sort_key=host',
      '?name=(',
      '?name=a{2,1}',
      '?all_tenants=maybe',
    ]) {
      const res = await fx.call('GET', `/v2.1/servers${q}`);
      expect(res.statusCode, q).toBe(q === '?all_tenants=maybe' ? 400 : 400);
      expect(errorOf(res).key).toBe('badRequest');
    }
    // a member cannot page from another project's server
    expect((await fx.call('GET', `/v2.1/servers?marker=${ids.other}`)).statusCode).toBe(400);
  });
});

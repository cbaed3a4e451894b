import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComputeHarness, startCompute } from './harness.js';

let h: ComputeHarness;
beforeAll(async () => {
  h = await startCompute();
});
afterAll(async () => {
  await h?.close();
});

const flavor = (name: string, extra: Record<string, unknown> = {}) => ({
  flavor: { name, ram: 512, vcpus: 1, disk: 1, ...extra },
});

async function create(name: string, extra: Record<string, unknown> = {}, microversion?: string) {
  const res = await h.call('POST', '/v2.1/flavors', { body: flavor(name, extra), microversion });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().flavor;
}

describe('flavor create, show, delete', () => {
  it('creates with a generated id (absent, null or "auto") and shows the 2.1 shape', async () => {
    const a = await create('f-auto-1');
    const b = await create('f-auto-2', { id: null });
    const c = await create('f-auto-3', { id: 'auto' });
    for (const f of [a, b, c]) expect(f.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).toMatchObject({
      name: 'f-auto-1',
      ram: 512,
      vcpus: 1,
      disk: 1,
      swap: '',
      'OS-FLV-EXT-DATA:ephemeral': 0,
      'OS-FLV-DISABLED:disabled': false,
      'os-flavor-access:is_public': true,
      rxtx_factor: 1,
    });
    expect(a.links.map((l: { rel: string }) => l.rel)).toEqual(['self', 'bookmark']);
    expect(a).not.toHaveProperty('description');
    const shown = await h.call('GET', `/v2.1/flavors/${a.id}`);
    expect(shown.json().flavor).toEqual(a);
  });

  it('takes a given id, numbers as strings, and refuses duplicate names and ids with 409', async () => {
    const f = await create('f-given', {
      id: 'given-1',
      ram: '1024',
      swap: 256,
      'OS-FLV-EXT-DATA:ephemeral': 2,
    });
    expect(f).toMatchObject({ id: 'given-1', ram: 1024, swap: 256, 'OS-FLV-EXT-DATA:ephemeral': 2 });
    const dupName = await h.call('POST', '/v2.1/flavors', { body: flavor('f-given', { id: 'other' }) });
    expect(dupName.statusCode).toBe(409);
    expect(dupName.json().conflictingRequest.message).toBe('Flavor with name f-given already exists.');
    const dupId = await h.call('POST', '/v2.1/flavors', { body: flavor('f-other', { id: 'given-1' }) });
    expect(dupId.statusCode).toBe(409);
    expect(dupId.json().conflictingRequest.message).toBe('Flavor with ID given-1 already exists.');
  });

  it('refuses concurrent creates of one name but one', async () => {
    const res = await Promise.all(
      Array.from({ length: 8 }, () => h.call('POST', '/v2.1/flavors', { body: flavor('f-race') })),
    );
    expect(res.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(res.filter((r) => r.statusCode === 409)).toHaveLength(7);
  });

  it('validates as Nova: 400 naming the field, never 500', async () => {
    const bad: [string, unknown][] = [
      ['ram', { flavor: { name: 'x', ram: 0, vcpus: 1, disk: 1 } }],
      ['vcpus', { flavor: { name: 'x', ram: 1, vcpus: -1, disk: 1 } }],
      ['disk', { flavor: { name: 'x', ram: 1, vcpus: 1, disk: 'lots' } }],
      ['ram', { flavor: { name: 'x', ram: 2 ** 31, vcpus: 1, disk: 1 } }],
      ['name', { flavor: { name: '', ram: 1, vcpus: 1, disk: 1 } }],
      ['name', { flavor: { name: ' lead', ram: 1, vcpus: 1, disk: 1 } }],
      ['name', { flavor: { name: 'n'.repeat(256), ram: 1, vcpus: 1, disk: 1 } }],
      ['id', { flavor: { name: 'x', id: 'bad/id', ram: 1, vcpus: 1, disk: 1 } }],
      ['rxtx_factor', { flavor: { name: 'x', ram: 1, vcpus: 1, disk: 1, rxtx_factor: 0 } }],
      ['flavor', { flavor: { name: 'x', ram: 1, vcpus: 1, disk: 1, description: 'below 2.55' } }],
      ['flavor', { flavor: { name: 'x', ram: 1, vcpus: 1, disk: 1, bogus: true } }],
      ['flavor', { flavor: { name: 'x', vcpus: 1, disk: 1 } }],
      ['flavor', { nope: {} }],
      ['body', []],
    ];
    for (const [field, body] of bad) {
      const res = await h.call('POST', '/v2.1/flavors', { body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().badRequest.message, JSON.stringify(body)).toContain(field);
    }
    const notJson = await h.call('POST', '/v2.1/flavors', {
      body: '{"flavor":',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.statusCode).toBe(400);
  });

  it('lets only admins manage flavors', async () => {
    const f = await create('f-admin-only');
    const t = h.demoToken;
    expect((await h.call('POST', '/v2.1/flavors', { token: t, body: flavor('f-demo') })).statusCode).toBe(
      403,
    );
    expect((await h.call('DELETE', `/v2.1/flavors/${f.id}`, { token: t })).statusCode).toBe(403);
    const upd = await h.call('PUT', `/v2.1/flavors/${f.id}`, {
      token: t,
      microversion: '2.55',
      body: { flavor: { description: 'x' } },
    });
    expect(upd.statusCode).toBe(403);
    expect(upd.json().forbidden.code).toBe(403);
  });

  it('deletes with 202, then 404', async () => {
    const f = await create('f-delete-me');
    expect((await h.call('DELETE', `/v2.1/flavors/${f.id}`)).statusCode).toBe(202);
    const gone = await h.call('GET', `/v2.1/flavors/${f.id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().itemNotFound.message).toBe(`Flavor ${f.id} could not be found.`);
    expect((await h.call('DELETE', `/v2.1/flavors/${f.id}`)).statusCode).toBe(404);
  });
});

describe('flavor microversions', () => {
  it('2.55: description in bodies and PUT to change it (404 below)', async () => {
    const f = await create('f-desc', { description: 'first' }, '2.55');
    expect(f.description).toBe('first');
    const below = await h.call('PUT', `/v2.1/flavors/${f.id}`, { body: { flavor: { description: 'x' } } });
    expect(below.statusCode).toBe(404);
    const upd = await h.call('PUT', `/v2.1/flavors/${f.id}`, {
      microversion: '2.55',
      body: { flavor: { description: 'second' } },
    });
    expect(upd.statusCode).toBe(200);
    expect(upd.json().flavor.description).toBe('second');
    const bad = await h.call('PUT', `/v2.1/flavors/${f.id}`, {
      microversion: '2.55',
      body: { flavor: { name: 'renamed' } },
    });
    expect(bad.statusCode).toBe(400);
    const missing = await h.call('PUT', '/v2.1/flavors/nope', {
      microversion: '2.55',
      body: { flavor: { description: null } },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('2.61: extra_specs in flavor bodies; 2.75: swap 0 instead of ""', async () => {
    const f = await create('f-specs');
    await h.call('POST', `/v2.1/flavors/${f.id}/os-extra_specs`, {
      body: { extra_specs: { 'hw:cpu_policy': 'dedicated' } },
    });
    const at60 = (await h.call('GET', `/v2.1/flavors/${f.id}`, { microversion: '2.60' })).json().flavor;
    expect(at60).not.toHaveProperty('extra_specs');
    const at61 = (await h.call('GET', `/v2.1/flavors/${f.id}`, { microversion: '2.61' })).json().flavor;
    expect(at61.extra_specs).toEqual({ 'hw:cpu_policy': 'dedicated' });
    expect(at61.swap).toBe('');
    const detail = (await h.call('GET', '/v2.1/flavors/detail', { microversion: '2.61' })).json().flavors;
    expect(detail.find((x: { id: string }) => x.id === f.id).extra_specs).toEqual({
      'hw:cpu_policy': 'dedicated',
    });
    const at75 = (await h.call('GET', `/v2.1/flavors/${f.id}`, { microversion: '2.75' })).json().flavor;
    expect(at75.swap).toBe(0);
  });
});

describe('flavor lists', () => {
  let ids: string[] = [];
  beforeAll(async () => {
    ids = [];
    for (let i = 0; i < 5; i++)
      ids.push((await create(`list-${i}`, { id: `list-${i}`, ram: 100 * (i + 1), disk: i })).id);
  });

  it('lists summaries and details, filtered by minRam and minDisk', async () => {
    const list = (await h.call('GET', '/v2.1/flavors')).json().flavors;
    expect(Object.keys(list[0]).sort()).toEqual(['id', 'links', 'name']);
    const big = (await h.call('GET', '/v2.1/flavors/detail?minRam=400&minDisk=4')).json().flavors;
    expect(big.map((f: { id: string }) => f.id)).toEqual(['list-4']);
    for (const q of [
      'minRam=abc',
      'minDisk=1.5',
      'is_public=maybe',
      'sort_key=bogus',
      'sort_dir=up',
      'limit=-1',
      'limit=x',
    ])
      expect((await h.call('GET', `/v2.1/flavors?${q}`)).statusCode, q).toBe(400);
  });

  it('pages with limit and marker and links the next page', async () => {
    const url = '/v2.1/flavors?minRam=100&sort_key=memory_mb&sort_dir=asc';
    const p1 = (await h.call('GET', `${url}&limit=2`)).json();
    expect(p1.flavors.map((f: { id: string }) => f.id)).toEqual(['list-0', 'list-1']);
    const next = new URL(p1.flavors_links[0].href);
    expect(p1.flavors_links[0].rel).toBe('next');
    expect(next.searchParams.get('marker')).toBe('list-1');
    const p2 = (await h.call('GET', `${next.pathname}${next.search}`)).json();
    expect(p2.flavors.map((f: { id: string }) => f.id)).toEqual(['list-2', 'list-3']);
    const desc = (
      await h.call('GET', '/v2.1/flavors?sort_key=memory_mb&sort_dir=desc&marker=list-3&limit=2')
    ).json();
    expect(desc.flavors.map((f: { id: string }) => f.id)).toEqual(['list-2', 'list-1']);
    const bad = await h.call('GET', '/v2.1/flavors?marker=no-such-flavor');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().badRequest.message).toBe('marker [no-such-flavor] not found');
  });

  it('hides private flavors from members unless shared; admins filter with is_public', async () => {
    const p = await create('f-private', { 'os-flavor-access:is_public': false });
    const demoIds = async () =>
      (await h.call('GET', '/v2.1/flavors', { token: h.demoToken }))
        .json()
        .flavors.map((f: { id: string }) => f.id);
    expect(await demoIds()).not.toContain(p.id);
    expect((await h.call('GET', `/v2.1/flavors/${p.id}`, { token: h.demoToken })).statusCode).toBe(404);
    const add = await h.call('POST', `/v2.1/flavors/${p.id}/action`, {
      body: { addTenantAccess: { tenant: h.ids.demoProjectId } },
    });
    expect(add.statusCode).toBe(200);
    expect(add.json().flavor_access).toEqual([{ flavor_id: p.id, tenant_id: h.ids.demoProjectId }]);
    expect(await demoIds()).toContain(p.id);
    expect((await h.call('GET', `/v2.1/flavors/${p.id}`, { token: h.demoToken })).statusCode).toBe(200);
    // admin: default lists public (+ own project's), false lists private ones, none lists all
    const adminIds = async (q: string) =>
      (await h.call('GET', `/v2.1/flavors?${q}`)).json().flavors.map((f: { id: string }) => f.id);
    expect(await adminIds('')).not.toContain(p.id);
    expect(await adminIds('is_public=false')).toEqual([p.id]);
    expect(await adminIds('is_public=None')).toEqual(expect.arrayContaining([p.id, 'list-0']));
    // a member's is_public is ignored
    const demoAll = (await h.call('GET', '/v2.1/flavors?is_public=none', { token: h.demoToken })).json()
      .flavors;
    expect(demoAll.map((f: { id: string }) => f.id)).toContain(p.id);
  });
});

describe('os-flavor-access', () => {
  it('lists, adds, removes, with Nova errors', async () => {
    const pub = await create('f-access-pub');
    const priv = await create('f-access-priv', { 'os-flavor-access:is_public': false });
    const base = `/v2.1/flavors/${priv.id}`;
    expect((await h.call('GET', `/v2.1/flavors/${pub.id}/os-flavor-access`)).statusCode).toBe(404);
    const addPub = await h.call('POST', `/v2.1/flavors/${pub.id}/action`, {
      body: { addTenantAccess: { tenant: 'p1' } },
    });
    expect(addPub.statusCode).toBe(409);
    expect((await h.call('GET', `${base}/os-flavor-access`)).json()).toEqual({ flavor_access: [] });
    expect(
      (await h.call('POST', `${base}/action`, { body: { addTenantAccess: { tenant: 'p1' } } })).statusCode,
    ).toBe(200);
    const dup = await h.call('POST', `${base}/action`, { body: { addTenantAccess: { tenant: 'p1' } } });
    expect(dup.statusCode).toBe(409);
    expect((await h.call('GET', `${base}/os-flavor-access`)).json().flavor_access).toHaveLength(1);
    const rm = await h.call('POST', `${base}/action`, { body: { removeTenantAccess: { tenant: 'p1' } } });
    expect(rm.statusCode).toBe(200);
    expect(rm.json().flavor_access).toEqual([]);
    const rm2 = await h.call('POST', `${base}/action`, { body: { removeTenantAccess: { tenant: 'p1' } } });
    expect(rm2.statusCode).toBe(404);
    expect((await h.call('POST', `${base}/action`, { body: { frobnicate: {} } })).statusCode).toBe(400);
    expect((await h.call('POST', `${base}/action`, { body: { addTenantAccess: {} } })).statusCode).toBe(400);
    expect(
      (await h.call('POST', '/v2.1/flavors/none/action', { body: { addTenantAccess: { tenant: 'x' } } }))
        .statusCode,
    ).toBe(404);
    const member = await h.call('POST', `${base}/action`, {
      token: h.demoToken,
      body: { addTenantAccess: { tenant: 'p2' } },
    });
    expect(member.statusCode).toBe(403);
    expect((await h.call('GET', `${base}/os-flavor-access`, { token: h.demoToken })).statusCode).toBe(403);
  });
});

describe('os-extra_specs', () => {
  it('sets, reads, updates one key and deletes, with Nova errors', async () => {
    const f = await create('f-extra');
    const base = `/v2.1/flavors/${f.id}/os-extra_specs`;
    const set = await h.call('POST', base, {
      body: { extra_specs: { a: '1', 'hw:numa_nodes': 2, flag: true } },
    });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({ extra_specs: { a: '1', 'hw:numa_nodes': '2', flag: 'true' } });
    expect((await h.call('GET', base, { token: h.demoToken })).json().extra_specs).toMatchObject({ a: '1' });
    expect((await h.call('GET', `${base}/a`)).json()).toEqual({ a: '1' });
    const put = await h.call('PUT', `${base}/a`, { body: { a: 'two' } });
    expect(put.json()).toEqual({ a: 'two' });
    expect((await h.call('PUT', `${base}/a`, { body: { b: 'x' } })).statusCode).toBe(400);
    expect((await h.call('PUT', `${base}/a`, { body: { a: 'x', b: 'y' } })).statusCode).toBe(400);
    expect((await h.call('POST', base, { body: { extra_specs: { 'bad/key': 'x' } } })).statusCode).toBe(400);
    expect((await h.call('POST', base, { body: { extra_specs: { k: 'v'.repeat(256) } } })).statusCode).toBe(
      400,
    );
    expect((await h.call('POST', base, { body: { extra_specs: 'nope' } })).statusCode).toBe(400);
    expect((await h.call('DELETE', `${base}/a`)).statusCode).toBe(200);
    const gone = await h.call('GET', `${base}/a`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().itemNotFound.message).toBe(`Flavor ${f.id} has no extra specs with key a.`);
    expect((await h.call('DELETE', `${base}/a`)).statusCode).toBe(404);
    expect(
      (await h.call('POST', base, { token: h.demoToken, body: { extra_specs: { x: 'y' } } })).statusCode,
    ).toBe(403);
    expect((await h.call('DELETE', `${base}/flag`, { token: h.demoToken })).statusCode).toBe(403);
    expect((await h.call('GET', '/v2.1/flavors/none/os-extra_specs')).statusCode).toBe(404);
    expect(
      (await h.call('POST', '/v2.1/flavors/none/os-extra_specs', { body: { extra_specs: { a: 'b' } } }))
        .statusCode,
    ).toBe(404);
  });
});

describe('os-extra_specs validation (2.86)', () => {
  it('validates known namespaces from 2.86 with 400 naming the key or value; others pass', async () => {
    const f = await create('f-validate');
    const base = `/v2.1/flavors/${f.id}/os-extra_specs`;
    const post = (extra_specs: Record<string, unknown>, microversion = '2.86') =>
      h.call('POST', base, { body: { extra_specs }, microversion });
    const bad: [Record<string, unknown>, string][] = [
      [{ 'hw:cpu_policy': 'bogus' }, "'bogus' is not one of: dedicated, shared, mixed"],
      [{ 'hw:numa_nodes': 0 }, "'0' is less than the min value of '1'"],
      [{ 'hw:numa_nodes': 'two' }, "'two' is not a valid integer value"],
      [{ 'hw:cpu_realtime': 'maybe' }, "'maybe' is not a valid boolean-like value"],
      [{ 'hw:mem_page_size': 'huge' }, "'huge' is not of the format"],
      [{ 'hw:no_such_thing': '1' }, "extra spec 'hw:no_such_thing' does not appear to be a valid extra spec"],
      [{ 'resources:VCPU': 'x' }, "'x' is not a valid integer value"],
      [{ 'trait:HW_CPU_X86_AVX2': 'wanted' }, "'wanted' is not one of: required, forbidden"],
      [{ 'quota:disk_read_bytes_sec': -1 }, "'-1' is less than the min value of '0'"],
      [{ 'hw_rng:whatever': '1' }, 'does not appear to be a valid extra spec'],
    ];
    for (const [specs, why] of bad) {
      const res = await post(specs);
      expect(res.statusCode, JSON.stringify(specs)).toBe(400);
      expect(res.json().badRequest.message, JSON.stringify(specs)).toContain(why);
      // unvalidated before 2.86
      expect((await post(specs, '2.85')).statusCode, JSON.stringify(specs)).toBe(200);
    }
    const good = {
      'hw:cpu_policy': 'dedicated',
      'hw:numa_nodes': 2,
      'hw:numa_cpus.0': '0-3,^2',
      'hw:numa_mem.1': '1024',
      'hw:mem_page_size': '2MiB',
      'hw:cpu_realtime': 'yes',
      'resources:VCPU': '2',
      'resources1:CUSTOM_GPU': '1',
      'trait:HW_CPU_X86_AVX2': 'required',
      'aggregate_instance_extra_specs:ssd': 'true',
      'capabilities:cpu_info:arch': 'x86_64',
      'pci_passthrough:alias': 'a1:2',
      'custom:anything': 'goes',
      no_namespace: 'goes',
      hide_hypervisor_id: 'true',
    };
    const ok = await post(good);
    expect(ok.statusCode).toBe(200);
    expect(Object.keys(ok.json().extra_specs)).toHaveLength(Object.keys(good).length);
    // PUT of one key is validated too
    const put = (key: string, value: string, microversion = '2.92') =>
      h.call('PUT', `${base}/${encodeURIComponent(key)}`, { body: { [key]: value }, microversion });
    expect((await put('hw:cpu_policy', 'shared')).statusCode).toBe(200);
    const badPut = await put('hw:cpu_policy', 'fast');
    expect(badPut.statusCode).toBe(400);
    expect(badPut.json().badRequest.message).toContain("extra spec 'hw:cpu_policy'");
    expect((await put('hw:cpu_policy', 'fast', '2.85')).statusCode).toBe(200);
  });
});

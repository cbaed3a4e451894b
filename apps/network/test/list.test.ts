import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkHarness, startNetwork } from './harness.js';

let h: NetworkHarness;
let t: { projectId: string; token: string };
const ids: string[] = [];
beforeAll(async () => {
  h = await startNetwork();
  t = await h.tenant('lister');
  for (const [i, name] of ['delta', 'alpha', 'charlie', 'bravo', 'echo'].entries()) {
    const r = await h.call('POST', '/v2.0/networks', {
      token: t.token,
      body: { network: { name, admin_state_up: i % 2 === 0, mtu: 1400 + i } },
    });
    ids.push((r.json() as { network: { id: string } }).network.id);
  }
});
afterAll(async () => {
  await h?.close();
});

const names = (r: { json(): unknown }) =>
  (r.json() as { networks: { name: string }[] }).networks.map((n) => n.name);
const get = (q: string) => h.call('GET', `/v2.0/networks?${q}`, { token: t.token });

describe('list filters, fields, sorting, paging', () => {
  it('filters by attribute; a repeated key is an OR; booleans and ints convert', async () => {
    expect(names(await get('name=alpha'))).toEqual(['alpha']);
    expect(names(await get('name=alpha&name=echo&sort_key=name')).sort()).toEqual(['alpha', 'echo']);
    expect(names(await get('admin_state_up=False&sort_key=name'))).toEqual(['alpha', 'bravo']);
    expect(names(await get('mtu=1402'))).toEqual(['charlie']);
    expect(names(await get('name='))).toEqual([]);
  });

  it('unknown filters and bad values are 400', async () => {
    expect((await get('colour=red')).statusCode).toBe(400);
    expect((await get('mtu=big')).statusCode).toBe(400);
    expect((await get('admin_state_up=perhaps')).statusCode).toBe(400);
    expect((await get('sort_key=colour')).statusCode).toBe(400);
    expect((await get('sort_key=name&sort_dir=sideways')).statusCode).toBe(400);
    expect((await get('limit=-1')).statusCode).toBe(400);
    expect((await get('limit=x')).statusCode).toBe(400);
  });

  it('fields= returns only those fields', async () => {
    const r = await get('fields=id&fields=name');
    for (const n of (r.json() as { networks: Record<string, unknown>[] }).networks) {
      expect(Object.keys(n).sort()).toEqual(['id', 'name']);
    }
    const one = await h.call('GET', `/v2.0/networks/${ids[0]}?fields=id&fields=mtu`, { token: t.token });
    expect(Object.keys((one.json() as { network: object }).network).sort()).toEqual(['id', 'mtu']);
  });

  it('sorts by several keys in both directions', async () => {
    expect(names(await get('sort_key=name&sort_dir=desc'))).toEqual([
      'echo',
      'delta',
      'charlie',
      'bravo',
      'alpha',
    ]);
    expect(names(await get('sort_key=admin_state_up&sort_dir=asc&sort_key=name&sort_dir=desc'))).toEqual([
      'bravo',
      'alpha',
      'echo',
      'delta',
      'charlie',
    ]);
  });

  it('pages with limit/marker, next and previous links, page_reverse', async () => {
    const p1 = await get('sort_key=name&limit=2');
    const b1 = p1.json() as {
      networks: { id: string; name: string }[];
      networks_links: { rel: string; href: string }[];
    };
    expect(b1.networks.map((n) => n.name)).toEqual(['alpha', 'bravo']);
    const next = b1.networks_links.find((l) => l.rel === 'next')!;
    expect(next.href).toContain(`marker=${b1.networks[1]!.id}`);
    const p2 = await h.call('GET', next.href.replace('http://127.0.0.1:9696', ''), { token: t.token });
    const b2 = p2.json() as {
      networks: { id: string; name: string }[];
      networks_links: { rel: string; href: string }[];
    };
    expect(b2.networks.map((n) => n.name)).toEqual(['charlie', 'delta']);
    expect(b2.networks_links.map((l) => l.rel).sort()).toEqual(['next', 'previous']);
    const prev = b2.networks_links.find((l) => l.rel === 'previous')!;
    const p0 = await h.call('GET', prev.href.replace('http://127.0.0.1:9696', ''), { token: t.token });
    expect(names(p0)).toEqual(['alpha', 'bravo']);
    const p3 = await get(`sort_key=name&limit=2&marker=${b2.networks[1]!.id}`);
    const b3 = p3.json() as { networks: { name: string }[]; networks_links: { rel: string }[] };
    expect(b3.networks.map((n) => n.name)).toEqual(['echo']);
    expect(b3.networks_links.map((l) => l.rel)).toEqual(['previous']);
    expect((await get('limit=2&marker=nope')).statusCode).toBe(404);
  });

  it('tag filters: tags, tags-any, not-tags, not-tags-any', async () => {
    const tag = (id: string, tags: string[]) =>
      h.call('PUT', `/v2.0/networks/${id}/tags`, { token: t.token, body: { tags } });
    await tag(ids[0]!, ['red', 'blue']); // delta
    await tag(ids[1]!, ['red']); // alpha
    await tag(ids[2]!, ['green']); // charlie
    expect(names(await get('tags=red,blue'))).toEqual(['delta']);
    expect(names(await get('tags-any=blue,green&sort_key=name'))).toEqual(['charlie', 'delta']);
    expect(names(await get('not-tags=red,blue&sort_key=name'))).toEqual([
      'alpha',
      'bravo',
      'charlie',
      'echo',
    ]);
    expect(names(await get('not-tags-any=red,green&sort_key=name'))).toEqual(['bravo', 'echo']);
  });
});

describe('tags API', () => {
  it('add, check, list, replace, remove, clear; bumps the revision', async () => {
    const id = ids[4]!;
    const base = `/v2.0/networks/${id}/tags`;
    expect((await h.call('PUT', `${base}/one`, { token: t.token, body: '{}' })).statusCode).toBe(201);
    expect((await h.call('GET', `${base}/one`, { token: t.token })).statusCode).toBe(204);
    expect((await h.call('GET', `${base}/two`, { token: t.token })).statusCode).toBe(404);
    expect((await h.call('GET', base, { token: t.token })).json()).toEqual({ tags: ['one'] });
    const rep = await h.call('PUT', base, { token: t.token, body: { tags: ['a', 'b', 'c'] } });
    expect((rep.json() as { tags: string[] }).tags.sort()).toEqual(['a', 'b', 'c']);
    expect((await h.call('DELETE', `${base}/a`, { token: t.token })).statusCode).toBe(204);
    expect((await h.call('DELETE', `${base}/a`, { token: t.token })).statusCode).toBe(404);
    expect((await h.call('DELETE', base, { token: t.token })).statusCode).toBe(204);
    expect((await h.call('GET', base, { token: t.token })).json()).toEqual({ tags: [] });
    const bad = await h.call('PUT', base, { token: t.token, body: { tags: ['x'.repeat(61)] } });
    expect(bad.statusCode).toBe(400);
    expect((await h.call('PUT', `${base}/a,b`, { token: t.token })).statusCode).toBe(400);
    const net = (await h.call('GET', `/v2.0/networks/${id}`, { token: t.token })).json() as {
      network: { revision_number: number };
    };
    expect(net.network.revision_number).toBeGreaterThan(4);
    expect((await h.call('GET', base, { token: h.demoToken })).statusCode).toBe(404);
  });
});

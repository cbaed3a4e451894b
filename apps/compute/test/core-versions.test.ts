import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComputeHarness, startCompute } from './harness.js';

let h: ComputeHarness;
beforeAll(async () => {
  h = await startCompute();
});
afterAll(async () => {
  await h?.close();
});

describe('version documents', () => {
  it('lists the API versions at / without a token', async () => {
    const res = await h.call('GET', '/', { token: '' });
    expect(res.statusCode).toBe(200);
    const v = res.json().versions;
    expect(v).toHaveLength(2);
    // Nova lists the legacy v2.0 first (Tempest's test_list_api_versions checks it)
    expect(v[0]).toMatchObject({ id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '' });
    expect(v[0].links[0]).toEqual({ rel: 'self', href: 'http://localhost:80/v2/' });
    expect(v[1]).toMatchObject({ id: 'v2.1', status: 'CURRENT', version: '2.92', min_version: '2.1' });
    expect(v[1].links[0]).toEqual({ rel: 'self', href: 'http://localhost:80/v2.1/' });
    // every listed self link is followable and describes the same version
    const v20 = await h.call('GET', '/v2/', { token: '' });
    expect(v20.statusCode).toBe(200);
    expect(v20.json().version).toMatchObject({ id: 'v2.0', links: [v[0].links[0], expect.anything()] });
  });

  it('serves the fixed extension list and one extension by alias', async () => {
    const list = await h.call('GET', '/v2.1/extensions');
    expect(list.statusCode).toBe(200);
    const exts = list.json().extensions as { name: string; alias: string }[];
    expect(exts.map((e) => e.name)).toContain('Hosts');
    expect(new Set(exts.map((e) => e.alias)).size).toBe(exts.length);
    const one = await h.call('GET', '/v2.1/extensions/os-consoles');
    expect(one.json().extension).toMatchObject({ alias: 'os-consoles', name: 'Consoles', links: [] });
    expect((await h.call('GET', '/v2.1/extensions/os-nope')).statusCode).toBe(404);
    expect((await h.call('GET', '/v2.1/extensions', { token: '' })).statusCode).toBe(401);
  });

  it('describes v2.1 at /v2.1 and /v2.1/', async () => {
    for (const url of ['/v2.1', '/v2.1/']) {
      const res = await h.call('GET', url, { token: '' });
      expect(res.statusCode).toBe(200);
      const v = res.json().version;
      expect(v).toMatchObject({ id: 'v2.1', status: 'CURRENT', version: '2.92', min_version: '2.1' });
      expect(v['media-types'][0].type).toBe('application/vnd.openstack.compute+json;version=2.1');
      expect(Object.keys(v).sort()).toEqual(
        ['id', 'links', 'media-types', 'min_version', 'status', 'updated', 'version'].sort(),
      );
    }
  });

  it('needs a token for the API itself, in Nova error format', async () => {
    const res = await h.call('GET', '/v2.1/flavors', { token: '' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ unauthorized: { code: 401, message: expect.any(String) } });
    const bad = await h.call('GET', '/v2.1/flavors', { token: 'not-a-token' });
    expect(bad.statusCode).toBe(401);
  });

  it('answers unknown paths with itemNotFound', async () => {
    const res = await h.call('GET', '/v2.1/no-such-thing');
    expect(res.statusCode).toBe(404);
    expect(res.json().itemNotFound.code).toBe(404);
  });
});

describe('microversion negotiation', () => {
  const versionOf = (res: { headers: Record<string, unknown> }) => ({
    modern: res.headers['openstack-api-version'],
    legacy: res.headers['x-openstack-nova-api-version'],
  });

  it('defaults to 2.1 and echoes it in both headers with Vary', async () => {
    const res = await h.call('GET', '/v2.1/flavors');
    expect(res.statusCode).toBe(200);
    expect(versionOf(res)).toEqual({ modern: 'compute 2.1', legacy: '2.1' });
    expect(String(res.headers.vary)).toContain('OpenStack-API-Version');
  });

  it('honours OpenStack-API-Version, the legacy header and latest', async () => {
    const modern = await h.call('GET', '/v2.1/flavors', { microversion: '2.61' });
    expect(versionOf(modern)).toEqual({ modern: 'compute 2.61', legacy: '2.61' });
    const legacy = await h.call('GET', '/v2.1/flavors', {
      headers: { 'x-openstack-nova-api-version': '2.55' },
    });
    expect(versionOf(legacy).legacy).toBe('2.55');
    const latest = await h.call('GET', '/v2.1/flavors', { microversion: 'latest' });
    expect(versionOf(latest).legacy).toBe('2.92');
    // the modern header wins over the legacy one; other services in the list are ignored
    const both = await h.call('GET', '/v2.1/flavors', {
      headers: {
        'openstack-api-version': 'volume 3.5, compute 2.47',
        'x-openstack-nova-api-version': '2.3',
      },
    });
    expect(versionOf(both).legacy).toBe('2.47');
  });

  it('refuses versions outside [2.1, 2.92] with 406 and malformed ones with 400', async () => {
    for (const v of ['2.93', '3.0', '1.1', '2.0']) {
      const res = await h.call('GET', '/v2.1/flavors', { microversion: v });
      expect(res.statusCode, v).toBe(406);
      expect(res.json().notAcceptable.message).toContain('2.92');
    }
    for (const v of ['abc', '2', '2.x', '2.1.1']) {
      const res = await h.call('GET', '/v2.1/flavors', { microversion: v });
      expect(res.statusCode, v).toBe(400);
      expect(res.json().badRequest.message).toContain('Invalid API version');
    }
  });

  it('changes response shapes by version (flavor description from 2.55)', async () => {
    const old = (await h.call('GET', '/v2.1/flavors', { microversion: '2.54' })).json();
    const neu = (await h.call('GET', '/v2.1/flavors', { microversion: '2.55' })).json();
    expect(old.flavors.every((f: object) => !('description' in f))).toBe(true);
    expect(neu.flavors.every((f: object) => 'description' in f)).toBe(true);
  });
});

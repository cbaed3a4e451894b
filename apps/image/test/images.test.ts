import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImageHarness, startImage } from './harness.js';

const PATCH = { 'content-type': 'application/openstack-images-v2.1-json-patch' };

describe('images API', () => {
  let h: ImageHarness;
  beforeAll(async () => {
    h = await startImage();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('serves the versions document without a token (300)', async () => {
    for (const url of ['/', '/versions']) {
      const res = await h.call('GET', url);
      expect(res.statusCode).toBe(300);
      const body = res.json() as { versions: { id: string; status: string; links: { href: string }[] }[] };
      expect(body.versions[0]).toMatchObject({ id: 'v2.16', status: 'CURRENT' });
      expect(body.versions[0]!.links[0]!.href).toBe('http://127.0.0.1:9292/v2/');
      expect(body.versions.every((v) => ['CURRENT', 'SUPPORTED'].includes(v.status))).toBe(true);
    }
  });

  it('needs a token elsewhere (401 in Glance format)', async () => {
    const res = await h.call('GET', '/v2/images');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 401, title: 'Unauthorized' });
  });

  it('serves the four schemas', async () => {
    for (const name of ['image', 'images', 'member', 'members']) {
      const res = await h.call('GET', `/v2/schemas/${name}`, { token: h.demoToken });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ name });
    }
  });

  it('creates, shows, patches and deletes an image', async () => {
    const create = await h.call('POST', '/v2/images', {
      token: h.demoToken,
      body: {
        name: 'cirros',
        disk_format: 'qcow2',
        container_format: 'bare',
        tags: ['a', 'a', 'b'],
        os_distro: 'cirros',
      },
    });
    expect(create.statusCode).toBe(201);
    const img = create.json() as Record<string, unknown>;
    expect(img).toMatchObject({
      name: 'cirros',
      status: 'queued',
      visibility: 'shared',
      protected: false,
      owner: h.demoProjectId,
      size: null,
      checksum: null,
      min_disk: 0,
      min_ram: 0,
      tags: ['a', 'b'],
      os_distro: 'cirros',
      self: `/v2/images/${img.id}`,
      file: `/v2/images/${img.id}/file`,
      schema: '/v2/schemas/image',
    });
    expect(img.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const show = await h.call('GET', `/v2/images/${img.id}`, { token: h.demoToken });
    expect(show.statusCode).toBe(200);
    expect(show.json()).toEqual(img);

    const patch = await h.call('PATCH', `/v2/images/${img.id}`, {
      token: h.demoToken,
      headers: PATCH,
      body: [
        { op: 'replace', path: '/name', value: 'cirros-2' },
        { op: 'add', path: '/hw_disk_bus', value: 'virtio' },
        { op: 'replace', path: '/os_distro', value: 'debian' },
        { op: 'replace', path: '/min_ram', value: 512 },
        { op: 'replace', path: '/protected', value: true },
      ],
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({
      name: 'cirros-2',
      hw_disk_bus: 'virtio',
      os_distro: 'debian',
      min_ram: 512,
    });

    // the draft (v2.0) form as Tempest sends it
    const draft = await h.call('PATCH', `/v2/images/${img.id}`, {
      token: h.demoToken,
      headers: { 'content-type': 'application/openstack-images-v2.0-json-patch' },
      body: [{ remove: '/hw_disk_bus' }, { replace: '/name', value: 'cirros-3' }],
    });
    expect(draft.statusCode).toBe(200);
    expect(draft.json()).not.toHaveProperty('hw_disk_bus');
    expect(draft.json()).toMatchObject({ name: 'cirros-3' });

    const refused = await h.call('DELETE', `/v2/images/${img.id}`, { token: h.demoToken });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 403, title: 'Forbidden' });
    expect((refused.json() as { message: string }).message).toContain('protected');

    await h.call('PATCH', `/v2/images/${img.id}`, {
      token: h.demoToken,
      headers: PATCH,
      body: [{ op: 'replace', path: '/protected', value: false }],
    });
    expect((await h.call('DELETE', `/v2/images/${img.id}`, { token: h.demoToken })).statusCode).toBe(204);
    expect((await h.call('GET', `/v2/images/${img.id}`, { token: h.demoToken })).statusCode).toBe(404);
    expect((await h.call('DELETE', `/v2/images/${img.id}`, { token: h.demoToken })).statusCode).toBe(404);
  });

  it('accepts a client-chosen id once (409 the second time)', async () => {
    const id = '7c5d1a3c-2b0e-4c2a-9a43-0b9d6e1f2a11';
    await h.createImage(h.demoToken, { id });
    const again = await h.call('POST', '/v2/images', { token: h.demoToken, body: { id } });
    expect(again.statusCode).toBe(409);
  });

  it('refuses read-only and reserved attributes with 403, as Glance', async () => {
    for (const body of [
      { status: 'active' },
      { size: 5 },
      { os_glance_foo: 'bar' },
      { self: 'x' },
      { checksum: 'x' },
    ]) {
      const res = await h.call('POST', '/v2/images', { token: h.demoToken, body });
      expect(res.statusCode, JSON.stringify(body)).toBe(403);
    }
    const img = await h.createImage(h.demoToken);
    for (const path of ['/status', '/id', '/size', '/os_glance_foo', '/created_at', '/file']) {
      const res = await h.call('PATCH', `/v2/images/${img.id}`, {
        token: h.demoToken,
        headers: PATCH,
        body: [{ op: 'replace', path, value: 'x' }],
      });
      expect(res.statusCode, path).toBe(403);
    }
  });

  it('answers bad input with 4xx in Glance format, never 500', async () => {
    const img = await h.createImage(h.demoToken);
    const bad: [string, string, Parameters<ImageHarness['call']>[2], number][] = [
      ['POST', '/v2/images', { payload: '{"name": ', headers: { 'content-type': 'application/json' } }, 400],
      ['POST', '/v2/images', { body: { name: 'x'.repeat(300) } }, 400],
      ['POST', '/v2/images', { body: { name: 5 } }, 400],
      ['POST', '/v2/images', { body: { disk_format: 'wrong' } }, 400],
      ['POST', '/v2/images', { body: { container_format: 'wrong' } }, 400],
      ['POST', '/v2/images', { body: { visibility: 'everyone' } }, 400],
      ['POST', '/v2/images', { body: { min_disk: -1 } }, 400],
      ['POST', '/v2/images', { body: { min_ram: '1' } }, 400],
      ['POST', '/v2/images', { body: { protected: 'yes' } }, 400],
      ['POST', '/v2/images', { body: { tags: 'a' } }, 400],
      ['POST', '/v2/images', { body: { id: 'not-a-uuid' } }, 400],
      ['POST', '/v2/images', { body: { custom: 7 } }, 400],
      ['POST', '/v2/images', { body: { ramdisk_id: 'nope' } }, 400],
      ['POST', '/v2/images', { body: [1, 2] }, 400],
      ['GET', '/v2/images/00000000-0000-0000-0000-000000000000', {}, 404],
      ['GET', '/v2/images/not-a-uuid', {}, 404],
      ['GET', '/v2/images/', {}, 404],
      ['DELETE', '/v2/images/not-a-uuid', {}, 404],
      ['GET', '/v2/images?limit=-1', {}, 400],
      ['GET', '/v2/images?limit=abc', {}, 400],
      ['GET', '/v2/images?sort_key=bogus', {}, 400],
      ['GET', '/v2/images?sort_dir=up', {}, 400],
      ['GET', '/v2/images?sort=name:asc&sort_key=name', {}, 400],
      ['GET', '/v2/images?marker=00000000-0000-0000-0000-000000000000', {}, 400],
      ['GET', '/v2/images?visibility=weird', {}, 400],
      ['GET', '/v2/images?member_status=maybe', {}, 400],
      ['GET', '/v2/images?created_at=after:2020-01-01', {}, 400],
      ['GET', '/v2/images?created_at=gt:notadate', {}, 400],
      ['GET', '/v2/images?size_min=x', {}, 400],
      ['PATCH', `/v2/images/${img.id}`, { body: [{ op: 'replace', path: '/name', value: 'x' }] }, 415],
      ['PATCH', `/v2/images/${img.id}`, { payload: '[{', headers: PATCH }, 400],
      ['PATCH', `/v2/images/${img.id}`, { body: { op: 'replace' }, headers: PATCH }, 400],
      [
        'PATCH',
        `/v2/images/${img.id}`,
        { body: [{ op: 'move', path: '/name', from: '/x' }], headers: PATCH },
        400,
      ],
      [
        'PATCH',
        `/v2/images/${img.id}`,
        { body: [{ op: 'replace', path: 'name', value: 'x' }], headers: PATCH },
        400,
      ],
      [
        'PATCH',
        `/v2/images/${img.id}`,
        { body: [{ op: 'replace', path: '/a/b', value: 'x' }], headers: PATCH },
        400,
      ],
      ['PATCH', `/v2/images/${img.id}`, { body: [{ op: 'replace', path: '/name' }], headers: PATCH }, 400],
      [
        'PATCH',
        `/v2/images/${img.id}`,
        { body: [{ op: 'replace', path: '/nope', value: 'x' }], headers: PATCH },
        409,
      ],
      ['PATCH', `/v2/images/${img.id}`, { body: [{ op: 'remove', path: '/nope' }], headers: PATCH }, 409],
      ['PATCH', `/v2/images/${img.id}`, { body: [{ op: 'remove', path: '/name' }], headers: PATCH }, 403],
      [
        'PATCH',
        `/v2/images/${img.id}`,
        { body: [{ op: 'replace', path: '/min_disk', value: 'big' }], headers: PATCH },
        400,
      ],
      [
        'PATCH',
        `/v2/images/${img.id}`,
        { body: [{ add: '/name', value: 'y'.repeat(256) }], headers: PATCH },
        400,
      ],
      ['PUT', `/v2/images/${img.id}/tags/${'t'.repeat(256)}`, {}, 400],
      ['DELETE', `/v2/images/${img.id}/tags/absent`, {}, 404],
      ['PUT', '/v2/images/00000000-0000-0000-0000-000000000000/tags/x', {}, 404],
      ['POST', `/v2/images/${img.id}/members`, { body: { member: 5 } }, 400],
      ['POST', `/v2/images/${img.id}/actions/deactivate`, {}, 403],
      ['POST', `/v2/images/${img.id}/actions/bogus`, {}, 404],
      ['GET', '/v2/images/00000000-0000-0000-0000-000000000000/members', {}, 404],
    ];
    for (const [method, url, opts, status] of bad) {
      const res = await h.call(method, url, { token: h.demoToken, ...opts });
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(opts)} → ${res.body}`).toBe(status);
      if (status >= 400) {
        const body = res.json() as { code: number; title: string; message: string };
        expect(body.code).toBe(status);
        expect(typeof body.message).toBe('string');
      }
    }
  });

  it('adds and removes tags', async () => {
    const img = await h.createImage(h.demoToken);
    expect((await h.call('PUT', `/v2/images/${img.id}/tags/red`, { token: h.demoToken })).statusCode).toBe(
      204,
    );
    expect((await h.call('PUT', `/v2/images/${img.id}/tags/red`, { token: h.demoToken })).statusCode).toBe(
      204,
    );
    const shown = await h.call('GET', `/v2/images/${img.id}`, { token: h.demoToken });
    expect((shown.json() as { tags: string[] }).tags).toEqual(['red']);
    expect((await h.call('DELETE', `/v2/images/${img.id}/tags/red`, { token: h.demoToken })).statusCode).toBe(
      204,
    );
  });

  it('serialises concurrent patches (no lost update)', async () => {
    const img = await h.createImage(h.demoToken);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h.call('PATCH', `/v2/images/${img.id}`, {
          token: h.demoToken,
          headers: PATCH,
          body: [{ op: 'add', path: `/p${i}`, value: String(i) }],
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    const shown = (await h.call('GET', `/v2/images/${img.id}`, { token: h.demoToken })).json() as Record<
      string,
      unknown
    >;
    for (let i = 0; i < 10; i++) expect(shown[`p${i}`]).toBe(String(i));
  });
});

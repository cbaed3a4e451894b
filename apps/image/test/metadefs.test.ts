import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImageHarness, startImage } from './harness.js';

describe('metadata definitions (metadefs)', () => {
  let h: ImageHarness;
  beforeAll(async () => {
    h = await startImage();
  });
  afterAll(async () => {
    await h?.close();
  });
  const admin = (m: string, url: string, body?: unknown) => h.call(m, url, { token: h.adminToken, body });
  const NS = '/v2/metadefs/namespaces';

  it('serves resource types and the metadefs schemas', async () => {
    const rt = await h.call('GET', '/v2/metadefs/resource_types', { token: h.demoToken });
    expect((rt.json() as { resource_types: { name: string }[] }).resource_types[0]!.name).toBe(
      'OS::Glance::Image',
    );
    const names: Record<string, string> = {
      resource_type: 'resource_type_association',
      tags: 'tags',
      namespace: 'namespace',
    };
    for (const [path, name] of Object.entries(names)) {
      const res = await h.call('GET', `/v2/schemas/metadefs/${path}`, { token: h.demoToken });
      expect(res.json()).toMatchObject({ name });
    }
  });

  it('creates a protected public namespace with nested items, then updates and deletes it', async () => {
    const made = await admin('POST', NS, {
      namespace: 'OS::Compute::Demo',
      display_name: 'Demo',
      visibility: 'public',
      protected: true,
      resource_type_associations: [{ name: 'OS::Glance::Image', prefix: 'hw_' }],
      properties: { cpu: { title: 'CPU', type: 'string', enum: ['a', 'b'] } },
      tags: [{ name: 't1' }],
    });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({
      namespace: 'OS::Compute::Demo',
      visibility: 'public',
      protected: true,
      properties: { cpu: { title: 'CPU', type: 'string' } },
      tags: [{ name: 't1' }],
    });
    expect((await admin('POST', NS, { namespace: 'OS::Compute::Demo' })).statusCode).toBe(409);
    // members read public namespaces but may not write
    const ns = `${NS}/OS::Compute::Demo`;
    expect((await h.call('GET', ns, { token: h.demoToken })).statusCode).toBe(200);
    expect((await h.call('DELETE', ns, { token: h.demoToken })).statusCode).toBe(403);
    expect((await admin('DELETE', ns)).statusCode).toBe(403);
    const upd = await admin('PUT', ns, {
      namespace: 'OS::Compute::Demo',
      visibility: 'private',
      protected: false,
    });
    expect(upd.json()).toMatchObject({ visibility: 'private', protected: false });
    expect((await h.call('GET', ns, { token: h.demoToken })).statusCode).toBe(404);
    expect((await admin('DELETE', ns)).statusCode).toBe(204);
    expect((await admin('GET', ns)).statusCode).toBe(404);
  });

  it('manages objects, properties, tags and associations inside a namespace', async () => {
    await admin('POST', NS, { namespace: 'kumo-ns' });
    const ns = `${NS}/kumo-ns`;
    expect((await admin('POST', `${ns}/objects`, { name: 'o1', required: ['x'] })).statusCode).toBe(201);
    expect((await admin('POST', `${ns}/objects`, { name: 'o1' })).statusCode).toBe(409);
    const renamed = await admin('PUT', `${ns}/objects/o1`, { name: 'o2' });
    expect(renamed.json()).toMatchObject({ name: 'o2', self: '/v2/metadefs/namespaces/kumo-ns/objects/o2' });
    expect((await admin('GET', `${ns}/objects/o1`)).statusCode).toBe(404);
    expect(
      (await admin('POST', `${ns}/properties`, { name: 'p', title: 'P', type: 'integer' })).statusCode,
    ).toBe(201);
    expect(
      (await admin('POST', `${ns}/properties`, { name: 'q', title: 'Q', type: 'weird' })).statusCode,
    ).toBe(400);
    expect((await admin('GET', `${ns}/properties`)).json()).toEqual({
      properties: { p: { title: 'P', type: 'integer' } },
    });
    expect((await admin('POST', `${ns}/tags`, { tags: [{ name: 'a' }, { name: 'b' }] })).statusCode).toBe(
      201,
    );
    expect((await admin('POST', `${ns}/tags/c`)).statusCode).toBe(201);
    expect((await admin('PUT', `${ns}/tags/c`, { name: 'd' })).json()).toMatchObject({ name: 'd' });
    expect(((await admin('GET', `${ns}/tags`)).json() as { tags: unknown[] }).tags).toHaveLength(3);
    expect((await admin('DELETE', `${ns}/tags`)).statusCode).toBe(204);
    expect((await admin('GET', `${ns}/tags`)).json()).toEqual({ tags: [] });
    expect((await admin('POST', `${ns}/resource_types`, { name: 'OS::Nova::Flavor' })).statusCode).toBe(201);
    const filtered = await admin('GET', `${NS}?resource_types=OS::Nova::Flavor`);
    expect(
      (filtered.json() as { namespaces: { namespace: string }[] }).namespaces.map((n) => n.namespace),
    ).toEqual(['kumo-ns']);
    expect((await admin('DELETE', `${ns}/resource_types/OS::Nova::Flavor`)).statusCode).toBe(204);
    expect((await admin('DELETE', `${ns}/resource_types/OS::Nova::Flavor`)).statusCode).toBe(404);
    // bad input is 4xx
    expect((await admin('POST', NS, { namespace: 'x'.repeat(81) })).statusCode).toBe(400);
    expect((await admin('POST', NS, { namespace: 'ok', visibility: 'shared' })).statusCode).toBe(400);
    expect((await admin('POST', NS, [1])).statusCode).toBe(400);
    expect((await admin('POST', `${ns}/objects`, { name: 'o3', properties: [] })).statusCode).toBe(400);
    expect((await admin('GET', `${NS}/absent/objects`)).statusCode).toBe(404);
  });
});

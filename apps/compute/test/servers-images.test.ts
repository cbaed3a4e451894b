import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFlavors } from '../src/bootstrap.js';
import { type ComputeHarness, startCompute } from './harness.js';

// The compute image proxy (/v2.1/images, up to 2.35) and createImage / createBackup, against the real image service.
let h: ComputeHarness;
let baseImage: string;

const glance = async (method: string, url: string, body?: unknown, token = h.demoToken) =>
  h.image.app.inject({
    method: method as 'GET',
    url,
    headers: {
      'x-auth-token': token,
      ...(Buffer.isBuffer(body) ? { 'content-type': 'application/octet-stream' } : {}),
    },
    ...(body !== undefined ? { payload: body as string } : {}),
  });

/** An active private image of the demo project, with extra properties. */
async function demoImage(props: Record<string, unknown> = {}): Promise<string> {
  const img = await glance('POST', '/v2/images', {
    name: 'img',
    disk_format: 'raw',
    container_format: 'bare',
    visibility: 'private',
    ...props,
  });
  expect(img.statusCode, img.body).toBe(201);
  const id = img.json().id as string;
  expect((await glance('PUT', `/v2/images/${id}/file`, Buffer.alloc(1024, 42))).statusCode).toBe(204);
  return id;
}

const call = (method: string, url: string, o: { body?: unknown; mv?: string; token?: string } = {}) =>
  h.call(method, url, { token: o.token ?? h.demoToken, body: o.body, microversion: o.mv ?? '2.1' });

beforeAll(async () => {
  h = await startCompute({ fakeHosts: [{ hostname: 'img-a', cpus: 8, memoryMb: 16384 }] });
  await seedFlavors(h.ctx.pool);
  const img = await glance(
    'POST',
    '/v2/images',
    { name: 'cirros', disk_format: 'raw', container_format: 'bare', visibility: 'public' },
    h.adminToken,
  );
  baseImage = img.json().id;
  await glance('PUT', `/v2/images/${baseImage}/file`, Buffer.alloc(4096, 7), h.adminToken);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function bootActive(): Promise<string> {
  const res = await call('POST', '/v2.1/servers', {
    body: { server: { name: 'snap-src', imageRef: baseImage, flavorRef: '0' } },
  });
  expect(res.statusCode, res.body).toBe(202);
  const id = res.json().server.id as string;
  await h.waitForServer(id, 'ACTIVE');
  return id;
}

async function waitImage(id: string, status: string) {
  for (let i = 0; i < 200; i++) {
    const res = await call('GET', `/v2.1/images/${id}`);
    if (res.statusCode === 200 && res.json().image.status === status) return res.json().image;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`image ${id} never became ${status}`);
}

describe('image proxy', () => {
  it('shows an image as Nova does: metadata, minDisk/minRam, progress, size, links; 404s', async () => {
    const id = await demoImage({ min_disk: 2, min_ram: 64, os_distro: 'cirros', auto_disk_config: 'true' });
    const res = await call('GET', `/v2.1/images/${id}`);
    expect(res.statusCode, res.body).toBe(200);
    const img = res.json().image;
    expect(img).toMatchObject({
      id,
      name: 'img',
      status: 'ACTIVE',
      progress: 100,
      minDisk: 2,
      minRam: 64,
      metadata: { os_distro: 'cirros', auto_disk_config: 'true' },
      'OS-EXT-IMG-SIZE:size': 1024,
      'OS-DCF:diskConfig': 'AUTO',
    });
    expect(img.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(img.links.map((l: { rel: string }) => l.rel)).toEqual(['self', 'bookmark', 'alternate']);
    expect(img).not.toHaveProperty('server');
    expect((await call('GET', `/v2.1/images/${crypto.randomUUID()}`)).json()).toEqual({
      itemNotFound: { code: 404, message: 'Image not found.' },
    });
    // another project's private image is invisible; the proxy is gone from 2.36
    expect((await call('GET', `/v2.1/images/${id}`, { token: h.adminToken })).statusCode).toBe(200);
    expect((await call('GET', `/v2.1/images/${id}`, { mv: '2.36' })).statusCode).toBe(404);
  });

  it('lists with filters (name, status, type, server, minDisk, changes-since) and pages with limit/marker', async () => {
    const a = await demoImage({ name: 'list-a', min_disk: 5 });
    const b = await demoImage({ name: 'list-b', image_type: 'snapshot', instance_uuid: 'srv-1' });
    const ids = (r: { json(): { images: { id: string }[] } }) => r.json().images.map((i) => i.id);
    const byName = await call('GET', '/v2.1/images?name=list-a');
    expect(ids(byName)).toEqual([a]);
    expect(Object.keys(byName.json().images[0]).sort()).toEqual(['id', 'links', 'name']);
    expect(ids(await call('GET', '/v2.1/images/detail?type=snapshot'))).toEqual([b]);
    expect(ids(await call('GET', '/v2.1/images?server=http://x/v2.1/servers/srv-1'))).toEqual([b]);
    expect(ids(await call('GET', '/v2.1/images?minDisk=5'))).toEqual([a]);
    expect(ids(await call('GET', '/v2.1/images?status=ACTIVE'))).toEqual(expect.arrayContaining([a, b]));
    expect(ids(await call('GET', '/v2.1/images?status=SAVING'))).not.toContain(a);
    const since = new Date(Date.now() + 60_000).toISOString();
    expect(ids(await call('GET', `/v2.1/images?changes-since=${since}`))).toEqual([]);
    expect((await call('GET', '/v2.1/images?changes-since=yesterday')).statusCode).toBe(400);
    const detail = (await call('GET', '/v2.1/images/detail?name=list-b')).json().images[0];
    expect(detail.server).toEqual({
      id: 'srv-1',
      links: [
        { rel: 'self', href: 'http://localhost:80/v2.1/servers/srv-1' },
        { rel: 'bookmark', href: 'http://localhost:80/servers/srv-1' },
      ],
    });
    const first = await call('GET', '/v2.1/images?limit=1');
    expect(first.json().images).toHaveLength(1);
    const next = first.json().images_links[0].href as string;
    expect(next).toContain(`marker=${first.json().images[0].id}`);
    const second = await call('GET', `/v2.1/images?limit=1&marker=${first.json().images[0].id}`);
    expect(ids(second)).not.toEqual(ids(first));
    expect((await call('GET', '/v2.1/images?limit=x')).statusCode).toBe(400);
    expect((await call('GET', '/v2.1/images', { mv: '2.36' })).statusCode).toBe(404);
  });

  it('metadata: list, set (replace), update (merge), item get/put/delete, bad bodies', async () => {
    const id = await demoImage({ keep: 'no' });
    const md = `/v2.1/images/${id}/metadata`;
    const set = await call('PUT', md, { body: { metadata: { os_version: 'v1', os_distro: 'v2' } } });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toEqual({ metadata: { os_version: 'v1', os_distro: 'v2' } });
    expect((await call('GET', md)).json()).toEqual({ metadata: { os_version: 'v1', os_distro: 'v2' } });
    const merged = await call('POST', md, { body: { metadata: { os_version: 'alt', arch: 'x' } } });
    expect(merged.json().metadata).toEqual({ os_version: 'alt', os_distro: 'v2', arch: 'x' });
    expect((await call('GET', `${md}/arch`)).json()).toEqual({ meta: { arch: 'x' } });
    expect((await call('GET', `${md}/nope`)).statusCode).toBe(404);
    const item = await call('PUT', `${md}/arch`, { body: { meta: { arch: 'y' } } });
    expect(item.statusCode).toBe(200);
    expect(item.json()).toEqual({ meta: { arch: 'y' } });
    expect((await call('PUT', `${md}/arch`, { body: { meta: { other: 'y' } } })).statusCode).toBe(400);
    expect((await call('PUT', `${md}/arch`, { body: { meta: { arch: 'y', b: 'z' } } })).statusCode).toBe(400);
    expect((await call('DELETE', `${md}/arch`)).statusCode).toBe(204);
    expect((await call('DELETE', `${md}/arch`)).statusCode).toBe(404);
    expect((await call('GET', md)).json().metadata).toEqual({ os_version: 'alt', os_distro: 'v2' });
    expect((await call('PUT', md, { body: { metadata: { '': 'x' } } })).statusCode).toBe(400);
    expect((await call('PUT', md, { body: { metadata: { a: 1 } } })).statusCode).toBe(400);
    expect((await call('PUT', md, { body: { meta: {} } })).statusCode).toBe(400);
    const tooMany = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v']));
    expect((await call('POST', md, { body: { metadata: tooMany } })).statusCode).toBe(403);
    expect((await call('GET', md, { mv: '2.39' })).statusCode).toBe(404);
    expect((await call('GET', `/v2.1/images/${crypto.randomUUID()}/metadata`)).statusCode).toBe(404);
  });

  it('deletes an image (then 404); another project cannot', async () => {
    const id = await demoImage();
    const other = await demoImage();
    expect((await call('DELETE', `/v2.1/images/${id}`)).statusCode).toBe(204);
    expect((await call('GET', `/v2.1/images/${id}`)).statusCode).toBe(404);
    expect((await call('DELETE', `/v2.1/images/${id}`)).statusCode).toBe(404);
    // admin may delete any image; a project member not its own is 404 (invisible)
    expect((await call('DELETE', `/v2.1/images/${other}`, { token: h.adminToken })).statusCode).toBe(204);
  });
});

describe('createImage and createBackup', () => {
  it('snapshots through the proxy: SAVING then ACTIVE with the server link; a second one while saving is 409', async () => {
    const sid = await bootActive();
    const res = await call('POST', `/v2.1/servers/${sid}/action`, {
      body: { createImage: { name: 'snap' } },
    });
    expect(res.statusCode, res.body).toBe(202);
    const imageId = (res.headers.location as string).split('/').pop()!;
    const again = await call('POST', `/v2.1/servers/${sid}/action`, {
      body: { createImage: { name: 's2' } },
    });
    expect(again.statusCode).toBe(409);
    const img = await waitImage(imageId, 'ACTIVE');
    expect(img.server.id).toBe(sid);
    expect(img.metadata).toMatchObject({ image_type: 'snapshot', instance_uuid: sid });
    expect(img.metadata.user_id).toBe(h.ids.demoUserId);
    await h.waitForServer(sid, 'ACTIVE');
    // the caller's metadata wins over the snapshot's own properties (as Nova)
    const own = await call('POST', `/v2.1/servers/${sid}/action`, {
      body: { createImage: { name: 'snap-meta', metadata: { image_type: 'test', extra: 'x' } } },
    });
    expect(own.statusCode, own.body).toBe(202);
    const ownImg = await waitImage((own.headers.location as string).split('/').pop()!, 'ACTIVE');
    expect(ownImg.metadata).toMatchObject({ image_type: 'test', extra: 'x', instance_uuid: sid });
    await h.waitForServer(sid, 'ACTIVE');
    // and a server boots from the snapshot
    const boot = await call('POST', '/v2.1/servers', {
      body: { server: { name: 'from-snap', imageRef: imageId, flavorRef: '0' } },
    });
    expect(boot.statusCode, boot.body).toBe(202);
    await h.waitForServer(boot.json().server.id, 'ACTIVE');
  });

  it('createBackup keeps the newest `rotation` backups of a type; validates its arguments; 2.45 body', async () => {
    const sid = await bootActive();
    const backup = async (name: string, mv = '2.1') => {
      const res = await call('POST', `/v2.1/servers/${sid}/action`, {
        body: { createBackup: { name, backup_type: 'daily', rotation: 2 } },
        mv,
      });
      expect(res.statusCode, res.body).toBe(202);
      const id = mv === '2.45' ? res.json().image_id : (res.headers.location as string).split('/').pop()!;
      await waitImage(id, 'ACTIVE');
      await h.waitForServer(sid, 'ACTIVE');
      return id as string;
    };
    const b1 = await backup('b1');
    const b2 = await backup('b2');
    const b3 = await backup('b3', '2.45');
    expect((await call('GET', `/v2.1/images/${b1}`)).statusCode).toBe(404);
    const listed = (await call('GET', `/v2.1/images/detail?server=${sid}&type=backup`)).json().images;
    expect(listed.map((i: { id: string }) => i.id).sort()).toEqual([b2, b3].sort());
    expect(listed[0].metadata).toMatchObject({ backup_type: 'daily', image_type: 'backup' });
    const bad = (body: unknown) =>
      call('POST', `/v2.1/servers/${sid}/action`, { body: { createBackup: body } });
    expect((await bad({ name: 'x', backup_type: 'daily' })).statusCode).toBe(400);
    expect((await bad({ name: 'x', backup_type: 'daily', rotation: -1 })).statusCode).toBe(400);
    expect((await bad({ name: 'x', backup_type: 1, rotation: 1 })).statusCode).toBe(400);
    expect((await bad({ name: 'x', backup_type: 'd', rotation: 1, extra: 1 })).statusCode).toBe(400);
    expect((await bad({ name: '', backup_type: 'd', rotation: 1 })).statusCode).toBe(400);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { KumoError } from '@kumo/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageClient, type ImageClient } from '../src/index.js';
import { type ImageHarness, startImage } from './harness.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

describe('signed data URLs and the image client', () => {
  let h: ImageHarness;
  let client: ImageClient;
  let port: number;
  beforeAll(async () => {
    h = await startImage();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    port = (h.app.server.address() as AddressInfo).port;
    client = createImageClient(`http://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    h?.app.server.closeAllConnections();
    await h?.close();
  });

  it('keeps the signing key in a 0600 file under KUMO_HOME', () => {
    const st = statSync(join(h.home, 'image', 'url-signing.key'));
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('creates, reads and deletes through the client; errors become KumoErrors', async () => {
    const img = await client.createImage(h.demoToken, {
      name: 'via-client',
      disk_format: 'raw',
      container_format: 'bare',
    });
    expect(img).toMatchObject({ name: 'via-client', status: 'queued' });
    expect((await client.getImage(h.demoToken, img.id)).id).toBe(img.id);
    await client.deleteImage(h.demoToken, img.id);
    const err = await client.getImage(h.demoToken, img.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KumoError);
    expect((err as KumoError).kind).toBe('not_found');
    const bad = await client.createImage(h.demoToken, { disk_format: 'nope' }).catch((e: unknown) => e);
    expect((bad as KumoError).kind).toBe('invalid');
    const unauth = await client.getImage('garbage', img.id).catch((e: unknown) => e);
    expect((unauth as KumoError).kind).toBe('unauthenticated');
    const down = await createImageClient('http://127.0.0.1:1')
      .getImage('t', img.id)
      .catch((e: unknown) => e);
    expect((down as KumoError).kind).toBe('unavailable');
  });

  it('uploads through a signed PUT URL and downloads through a signed GET URL, without a token', async () => {
    const img = await client.createImage(h.adminToken, {
      name: 'snap',
      disk_format: 'raw',
      container_format: 'bare',
    });
    // only admin/service roles get URLs
    expect(((await client.uploadUrl(h.demoToken, img.id).catch((e: unknown) => e)) as KumoError).kind).toBe(
      'forbidden',
    );
    // a download URL needs an active image
    expect(
      ((await client.downloadUrl(h.adminToken, img.id).catch((e: unknown) => e)) as KumoError).kind,
    ).toBe('conflict');
    const up = await client.uploadUrl(h.adminToken, img.id);
    expect(Date.parse(up.expires_at)).toBeGreaterThan(Date.now());
    const data = randomBytes(1024 * 1024);
    const put = await fetch(`http://127.0.0.1:${port}${pathOf(up.url)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    expect(put.status).toBe(204);
    expect(await client.getImage(h.adminToken, img.id)).toMatchObject({
      status: 'active',
      checksum: md5(data),
    });
    // the PUT URL is not a GET URL, and a used upload URL cannot overwrite an active image
    expect((await h.call('GET', pathOf(up.url))).statusCode).toBe(403);
    const again = await h.call('PUT', pathOf(up.url), {
      payload: Buffer.from('x'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(again.statusCode).toBe(409);

    const dl = await client.downloadUrl(h.adminToken, img.id);
    const got = await fetch(`http://127.0.0.1:${port}${pathOf(dl.url)}`);
    expect(got.status).toBe(200);
    expect(md5(Buffer.from(await got.arrayBuffer()))).toBe(md5(data));
  });

  it('refuses tampered, foreign, missing and expired signatures', async () => {
    const img = await client.createImage(h.adminToken, { disk_format: 'raw', container_format: 'bare' });
    await h.upload(h.adminToken, img.id, Buffer.from('payload'));
    const dl = await client.downloadUrl(h.adminToken, img.id);
    const u = new URL(dl.url);
    const sig = u.searchParams.get('sig')!;
    const expires = Number(u.searchParams.get('expires'));
    const other = await client.createImage(h.adminToken, { disk_format: 'raw', container_format: 'bare' });
    const cases: [string, number][] = [
      [`/kumo/v1/image-files/${img.id}?expires=${expires}&sig=${sig.slice(0, -2)}AA`, 403],
      [`/kumo/v1/image-files/${img.id}?expires=${expires + 1}&sig=${sig}`, 403],
      [`/kumo/v1/image-files/${other.id}?expires=${expires}&sig=${sig}`, 403],
      [`/kumo/v1/image-files/${img.id}?expires=${expires}`, 401],
      [`/kumo/v1/image-files/${img.id}`, 401],
      [`/kumo/v1/image-files/${img.id}?expires=abc&sig=${sig}`, 401],
      [`/kumo/v1/image-files/not-a-uuid?expires=${expires}&sig=${sig}`, 404],
    ];
    for (const [url, status] of cases) {
      const res = await h.call('GET', url);
      expect(res.statusCode, url).toBe(status);
      expect(res.json()).toMatchObject({ code: status });
    }
    // a correctly signed but expired URL
    const past = Math.floor(Date.now() / 1000) - 10;
    const expired = h.service.ctx.signer.sign('GET', img.id, past);
    const res = await h.call('GET', `/kumo/v1/image-files/${img.id}?expires=${past}&sig=${expired}`);
    expect(res.statusCode).toBe(403);
    expect((res.json() as { message: string }).message).toContain('expired');
  });
});

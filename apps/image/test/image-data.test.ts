import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImageHarness, startImage } from './harness.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');
const MAX = 8 * 1024 * 1024;

describe('image data', () => {
  let h: ImageHarness;
  let work: string;
  beforeAll(async () => {
    h = await startImage({ maxBytes: MAX });
    work = mkdtempSync(join(tmpdir(), 'kumo-image-data-'));
  });
  afterAll(async () => {
    await h?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const status = async (id: unknown) =>
    ((await h.call('GET', `/v2/images/${id}`, { token: h.demoToken })).json() as { status: string }).status;

  it('round-trips a few MB with size and checksums, 204 before any data', async () => {
    const img = await h.createImage(h.demoToken);
    const empty = await h.call('GET', `/v2/images/${img.id}/file`, { token: h.demoToken });
    expect(empty.statusCode).toBe(204);
    const data = randomBytes(5 * 1024 * 1024 + 123);
    const up = await h.upload(h.demoToken, img.id as string, data);
    expect(up.statusCode, up.body).toBe(204);
    const shown = (await h.call('GET', `/v2/images/${img.id}`, { token: h.demoToken })).json();
    expect(shown).toMatchObject({
      status: 'active',
      size: data.length,
      virtual_size: data.length,
      checksum: md5(data),
      os_hash_algo: 'sha512',
      os_hash_value: sha512(data),
    });
    const down = await h.call('GET', `/v2/images/${img.id}/file`, { token: h.demoToken });
    expect(down.statusCode).toBe(200);
    expect(down.headers['content-md5']).toBe(md5(data));
    expect(down.headers['content-type']).toBe('application/octet-stream');
    expect(Buffer.compare(down.rawPayload, data)).toBe(0);

    const part = await h.call('GET', `/v2/images/${img.id}/file`, {
      token: h.demoToken,
      headers: { range: 'bytes=10-19' },
    });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-19/${data.length}`);
    expect(Buffer.compare(part.rawPayload, data.subarray(10, 20))).toBe(0);
    const tail = await h.call('GET', `/v2/images/${img.id}/file`, {
      token: h.demoToken,
      headers: { range: 'bytes=-5' },
    });
    expect(Buffer.compare(tail.rawPayload, data.subarray(data.length - 5))).toBe(0);
    const outside = await h.call('GET', `/v2/images/${img.id}/file`, {
      token: h.demoToken,
      headers: { range: `bytes=${data.length}-` },
    });
    expect(outside.statusCode).toBe(416);

    // a second upload to an active image is a conflict
    expect((await h.upload(h.demoToken, img.id as string, Buffer.from('x'))).statusCode).toBe(409);
    // the store holds exactly one file for it, and no temporaries
    const files = readdirSync(join(h.home, 'image-store'));
    expect(files).toContain(img.id);
    expect(files.filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('accepts a real qcow2 and reads its virtual size', async () => {
    const file = join(work, 'x.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '10M']);
    const data = readFileSync(file);
    const img = await h.createImage(h.demoToken, { disk_format: 'qcow2' });
    const up = await h.upload(h.demoToken, img.id as string, data);
    expect(up.statusCode, up.body).toBe(204);
    const shown = (await h.call('GET', `/v2/images/${img.id}`, { token: h.demoToken })).json();
    expect(shown).toMatchObject({ status: 'active', size: data.length, virtual_size: 10 * 1024 * 1024 });
  });

  it('refuses a fake qcow2 (400) and leaves the image queued', async () => {
    const img = await h.createImage(h.demoToken, { disk_format: 'qcow2' });
    const up = await h.upload(h.demoToken, img.id as string, randomBytes(64 * 1024));
    expect(up.statusCode).toBe(400);
    expect((up.json() as { message: string }).message).toContain('qcow2');
    expect(await status(img.id)).toBe('queued');
    // a qcow2 with a backing file is refused too (it could read host files)
    const base = join(work, 'base.qcow2');
    const over = join(work, 'over.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', base, '1M']);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', over]);
    const back = await h.upload(h.demoToken, img.id as string, readFileSync(over));
    expect(back.statusCode).toBe(400);
    expect((back.json() as { message: string }).message).toContain('backing file');
    // and a qcow2 declared raw
    const raw = await h.createImage(h.demoToken, { disk_format: 'raw' });
    expect((await h.upload(h.demoToken, raw.id as string, readFileSync(base))).statusCode).toBe(400);
    expect(await status(raw.id)).toBe('queued');
    // the queued image still takes good data afterwards
    expect((await h.upload(h.demoToken, img.id as string, readFileSync(base))).statusCode).toBe(204);
    expect(await status(img.id)).toBe('active');
  });

  it('checks an ISO for its volume descriptor', async () => {
    const dir = join(work, 'iso');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'hello.txt'), 'hello');
    const iso = join(work, 'x.iso');
    execFileSync('genisoimage', ['-quiet', '-o', iso, '-V', 'TEST', dir]);
    const good = await h.createImage(h.demoToken, { disk_format: 'iso' });
    expect((await h.upload(h.demoToken, good.id as string, readFileSync(iso))).statusCode).toBe(204);
    const bad = await h.createImage(h.demoToken, { disk_format: 'iso' });
    expect((await h.upload(h.demoToken, bad.id as string, randomBytes(40_000))).statusCode).toBe(400);
    // too short to hold a descriptor: accepted as is
    const tiny = await h.createImage(h.demoToken, { disk_format: 'iso' });
    expect((await h.upload(h.demoToken, tiny.id as string, randomBytes(100))).statusCode).toBe(204);
  });

  it('refuses data over KUMO_IMAGE_MAX_BYTES with 413 (declared or streamed)', async () => {
    const img = await h.createImage(h.demoToken);
    const res = await h.upload(h.demoToken, img.id as string, Buffer.alloc(MAX + 1));
    expect(res.statusCode).toBe(413);
    expect(await status(img.id)).toBe('queued');
    const { Readable } = await import('node:stream');
    const streamed = await h.call('PUT', `/v2/images/${img.id}/file`, {
      token: h.demoToken,
      payload: Readable.from(
        (function* () {
          for (let i = 0; i < 9; i++) yield Buffer.alloc(1024 * 1024);
        })(),
      ),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(streamed.statusCode).toBe(413);
    expect(await status(img.id)).toBe('queued');
    expect(readdirSync(join(h.home, 'image-store')).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('needs disk and container formats before data (400) and application/octet-stream (415)', async () => {
    const res = await h.call('POST', '/v2/images', { token: h.demoToken, body: { name: 'bare' } });
    const id = (res.json() as { id: string }).id;
    expect((await h.upload(h.demoToken, id, Buffer.from('abc'))).statusCode).toBe(400);
    const img = await h.createImage(h.demoToken);
    const wrongType = await h.call('PUT', `/v2/images/${img.id}/file`, {
      token: h.demoToken,
      payload: 'abc',
      headers: { 'content-type': 'text/plain' },
    });
    expect(wrongType.statusCode).toBe(415);
  });

  it('lets exactly one of two concurrent uploads win (409 for the other)', async () => {
    const img = await h.createImage(h.demoToken);
    const a = randomBytes(2 * 1024 * 1024);
    const b = randomBytes(2 * 1024 * 1024);
    const [ra, rb] = await Promise.all([
      h.upload(h.demoToken, img.id as string, a),
      h.upload(h.demoToken, img.id as string, b),
    ]);
    expect([ra.statusCode, rb.statusCode].sort()).toEqual([204, 409]);
    const winner = ra.statusCode === 204 ? a : b;
    const shown = (await h.call('GET', `/v2/images/${img.id}`, { token: h.demoToken })).json();
    expect(shown).toMatchObject({ status: 'active', checksum: md5(winner) });
    const down = await h.call('GET', `/v2/images/${img.id}/file`, { token: h.demoToken });
    expect(md5(down.rawPayload)).toBe(md5(winner));
  });

  it('kills the image when the store itself fails (503), and leaves no temporaries', async () => {
    const img = await h.createImage(h.demoToken);
    const real = h.service.ctx.store;
    const { StoreError } = await import('../src/index.js');
    h.service.ctx.store = Object.assign(Object.create(Object.getPrototypeOf(real)), real, {
      put: async () => {
        throw new StoreError('disk full (injected)');
      },
    });
    try {
      const res = await h.upload(h.demoToken, img.id as string, randomBytes(1000));
      expect(res.statusCode).toBe(503);
      expect(await status(img.id)).toBe('killed');
      expect((await h.upload(h.demoToken, img.id as string, randomBytes(10))).statusCode).toBe(409);
    } finally {
      h.service.ctx.store = real;
    }
  });

  it('resets an image left saving by a dead upload (no heartbeat) to queued', async () => {
    const img = await h.createImage(h.demoToken);
    const { sql } = await import('drizzle-orm');
    await h.service.ctx.db.execute(
      sql`update image.images set status = 'saving', upload_id = 'dead', updated_at = now() - interval '10 minutes' where id = ${img.id}`,
    );
    const fresh = await h.createImage(h.demoToken);
    await h.service.ctx.db.execute(
      sql`update image.images set status = 'saving', upload_id = 'alive' where id = ${fresh.id}`,
    );
    expect(await h.service.reconcile()).toEqual([img.id]);
    expect(await status(img.id)).toBe('queued');
    expect(await status(fresh.id)).toBe('saving');
  });

  it('puts the image back to queued when the client goes away mid-upload (real HTTP)', async () => {
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const port = (h.app.server.address() as AddressInfo).port;
      const img = await h.createImage(h.demoToken);
      await new Promise<void>((resolve) => {
        const req = request({
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path: `/v2/images/${img.id}/file`,
          headers: {
            'x-auth-token': h.demoToken,
            'content-type': 'application/octet-stream',
            'content-length': String(4 * 1024 * 1024),
          },
        });
        req.on('error', () => resolve());
        req.write(randomBytes(256 * 1024));
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 200);
      });
      let s = '';
      for (let i = 0; i < 50 && s !== 'queued'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        s = await status(img.id);
      }
      expect(s).toBe('queued');
      // and a full upload over real HTTP works afterwards
      const data = randomBytes(3 * 1024 * 1024);
      const res = await fetch(`http://127.0.0.1:${port}/v2/images/${img.id}/file`, {
        method: 'PUT',
        headers: { 'x-auth-token': h.demoToken, 'content-type': 'application/octet-stream' },
        body: data,
      });
      expect(res.status).toBe(204);
      const got = await fetch(`http://127.0.0.1:${port}/v2/images/${img.id}/file`, {
        headers: { 'x-auth-token': h.demoToken },
      });
      expect(md5(Buffer.from(await got.arrayBuffer()))).toBe(md5(data));
    } finally {
      // fetch keeps its connections alive: drop them so close() does not wait
      h.app.server.closeAllConnections();
      await h.app.close();
    }
  });
});

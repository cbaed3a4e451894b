import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExportTarget } from '../conformance/export-target.js';
import { expectKind } from '../conformance/helpers.js';
import { storageConformance } from '../conformance/storage.conformance.js';
import { LocalStorageDriver } from './local-storage.driver.js';

const exec = promisify(execFile);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

/** Files served on 127.0.0.1 from memory, with a hit count per path; /redirect/x → /files/x, /fail → 500. */
async function fileServer(): Promise<{
  base: string;
  files: Map<string, Uint8Array>;
  hits: Map<string, number>;
  close(): Promise<void>;
}> {
  const files = new Map<string, Uint8Array>();
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path.startsWith('/redirect/')) {
      res.writeHead(302, { location: `/files/${path.slice('/redirect/'.length)}` }).end();
      return;
    }
    if (path === '/fail') {
      res.writeHead(500).end('boom');
      return;
    }
    const body = files.get(path.slice('/files/'.length));
    if (!path.startsWith('/files/') || !body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    // In chunks, so a download really streams.
    let at = 0;
    const pump = () => {
      while (at < body.length) {
        const chunk = body.subarray(at, at + 256 * 1024);
        at += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    files,
    hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function qcow2Bytes(dir: string, virtualSize: number, extra: string[] = []): Promise<Uint8Array> {
  const p = join(dir, `sample-${Math.random().toString(16).slice(2)}.img`);
  await exec('qemu-img', ['create', '-q', ...extra, p, String(virtualSize)]);
  const b = await readFile(p);
  await rm(p);
  return b;
}

storageConformance('local (qemu-img, files under a temp dir)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kumo-storage-conf-'));
  const srv = await fileServer();
  const storage = new LocalStorageDriver({ root });
  return {
    storage,
    publish: async (name, bytes) => {
      srv.files.set(name, bytes);
      return `${srv.base}/files/${name}`;
    },
    fetchCount: (url) => srv.hits.get(new URL(url).pathname) ?? 0,
    qcow2: { bytes: await qcow2Bytes(root, 64 * MiB, ['-f', 'qcow2']), virtualSizeBytes: 64 * MiB },
    cleanup: async () => {
      await srv.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('LocalStorageDriver specifics', () => {
  let root: string;
  let srv: Awaited<ReturnType<typeof fileServer>>;
  let storage: LocalStorageDriver;
  const image = Buffer.alloc(2 * MiB, 0x5a);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'kumo-storage-'));
    srv = await fileServer();
    storage = new LocalStorageDriver({ root });
  });

  afterAll(async () => {
    await srv?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const leftovers = async () =>
    [...(await readdir(join(root, 'images'))), ...(await readdir(join(root, 'disks')))].filter((f) =>
      f.startsWith('.tmp-'),
    );

  it('lays files out under the root: images/<id>.<fmt> + <id>.json, disks/<id>.qcow2 backed by the image', async () => {
    srv.files.set('base.raw', image);
    const c = await storage.ensureImage({
      image: 'base',
      url: `${srv.base}/files/base.raw`,
      sizeBytes: image.length,
      checksum: sha256(image),
      checksumAlgo: 'sha256',
    });
    expect(c).toMatchObject({ format: 'raw', virtualSizeBytes: image.length });
    expect((await readdir(join(root, 'images'))).sort()).toEqual(['base.json', 'base.raw']);
    const d = await storage.ensureDiskFromImage({ disk: 'root1', image: 'base', sizeBytes: 8 * MiB });
    expect(d.source).toEqual({ type: 'file', path: join(root, 'disks', 'root1.qcow2') });
    const { stdout } = await exec('qemu-img', ['info', '--output=json', join(root, 'disks', 'root1.qcow2')]);
    const info = JSON.parse(stdout);
    expect(info).toMatchObject({
      format: 'qcow2',
      'virtual-size': 8 * MiB,
      'backing-filename': join(root, 'images', 'base.raw'),
      'backing-filename-format': 'raw',
    });
    // A restarted agent (a new driver on the same root) sees the same; stale temp files go.
    await writeFile(join(root, 'disks', '.tmp-x-dead.qcow2'), 'junk');
    const again = new LocalStorageDriver({ root });
    expect(await again.getImage('base')).toEqual(c);
    expect(await again.getDisk('root1')).toEqual(await storage.getDisk('root1'));
    expect(await leftovers()).toEqual([]);
    await storage.deleteDisk('root1');
  });

  it('downloads from file: URLs inside the allowed roots only, and follows http redirects', async () => {
    const src = join(root, 'src.raw');
    await writeFile(src, image);
    const refused = storage.ensureImage({
      image: 'from-file',
      url: pathToFileURL(src).href,
      checksum: sha256(image),
      checksumAlgo: 'sha256',
    });
    await expect(refused).rejects.toMatchObject({ kind: 'invalid' });
    const outside = new LocalStorageDriver({ root, fileRoots: [join(root, 'elsewhere')] });
    await expect(
      outside.ensureImage({
        image: 'etc',
        url: 'file:///etc/hostname',
        checksum: sha256(image),
        checksumAlgo: 'sha256',
      }),
    ).rejects.toMatchObject({ kind: 'invalid' });
    const allowed = new LocalStorageDriver({ root, fileRoots: [root] });
    const viaFile = await allowed.ensureImage({
      image: 'from-file',
      url: pathToFileURL(src).href,
      checksum: sha256(image),
      checksumAlgo: 'sha256',
    });
    expect(viaFile.sizeBytes).toBe(image.length);
    srv.files.set('moved.raw', image);
    const viaRedirect = await storage.ensureImage({
      image: 'redirected',
      url: `${srv.base}/redirect/moved.raw`,
      checksum: sha256(image),
      checksumAlgo: 'sha256',
    });
    expect(viaRedirect.sizeBytes).toBe(image.length);
    await expectKind(
      storage.ensureImage({
        image: 'nofile',
        url: pathToFileURL(join(root, 'absent.raw')).href,
        checksum: sha256(image),
        checksumAlgo: 'sha256',
      }),
      'invalid',
    );
  });

  it('an unreachable or failing source is unavailable and leaves nothing', async () => {
    const req = { image: 'down', checksum: sha256(image), checksumAlgo: 'sha256' as const };
    await expectKind(storage.ensureImage({ ...req, url: `${srv.base}/fail` }), 'unavailable');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expectKind(storage.ensureImage({ ...req, url: `http://127.0.0.1:${port}/x` }), 'unavailable');
    await expectKind(storage.getImage('down'), 'not_found');
    expect(await leftovers()).toEqual([]);
  });

  it('refuses images that refer to other files or are not raw/qcow2, and caches nothing', async () => {
    const backed = await qcow2Bytes(root, 64 * MiB, ['-f', 'qcow2', '-F', 'raw', '-b', '/etc/hostname']);
    const vmdk = await qcow2Bytes(root, 64 * MiB, ['-f', 'vmdk']);
    for (const [name, bytes] of [
      ['backed', backed],
      ['vmdk', vmdk],
    ] as const) {
      srv.files.set(name, bytes);
      await expectKind(
        storage.ensureImage({
          image: name,
          url: `${srv.base}/files/${name}`,
          checksum: sha256(bytes),
          checksumAlgo: 'sha256',
        }),
        'invalid',
        name,
      );
      await expectKind(storage.getImage(name), 'not_found');
    }
    expect(await leftovers()).toEqual([]);
    expect(
      (await readdir(join(root, 'images'))).filter((f) => f.startsWith('backed') || f.startsWith('vmdk')),
    ).toEqual([]);
  });

  it('a download larger than the size asked for stops early as invalid', async () => {
    srv.files.set('big', Buffer.alloc(8 * MiB));
    await expectKind(
      storage.ensureImage({
        image: 'big',
        url: `${srv.base}/files/big`,
        sizeBytes: MiB,
        checksum: sha256(Buffer.alloc(MiB)),
        checksumAlgo: 'sha256',
      }),
      'invalid',
    );
    expect(await leftovers()).toEqual([]);
  });

  it('exports a flattened copy: the image data through the overlay, a raw file of the full size; no temp files left', async () => {
    const target = await startExportTarget();
    try {
      const data = Buffer.alloc(MiB, 0x3c);
      srv.files.set('exp.raw', data);
      await storage.ensureImage({
        image: 'exp-base',
        url: `${srv.base}/files/exp.raw`,
        checksum: sha256(data),
        checksumAlgo: 'sha256',
      });
      await storage.ensureDiskFromImage({ disk: 'exp1', image: 'exp-base', sizeBytes: 4 * MiB });
      await storage.exportDisk({ disk: 'exp1', url: `${target.base}/ok/q`, format: 'qcow2' });
      const q = join(root, 'received.qcow2');
      await writeFile(q, target.received.get('q')!.body);
      const { stdout } = await exec('qemu-img', ['info', '--output=json', q]);
      expect(JSON.parse(stdout)).toMatchObject({ format: 'qcow2', 'virtual-size': 4 * MiB });
      expect(JSON.parse(stdout)['backing-filename']).toBeUndefined();
      await exec('qemu-img', ['convert', '-O', 'raw', q, `${q}.raw`]);
      const flat = await readFile(`${q}.raw`);
      expect(flat.subarray(0, MiB).equals(data)).toBe(true);
      expect(flat.subarray(MiB).every((b) => b === 0)).toBe(true);

      const raw = await storage.exportDisk({ disk: 'exp1', url: `${target.base}/ok/r`, format: 'raw' });
      expect(raw.sizeBytes).toBe(4 * MiB);
      expect(target.received.get('r')!.body.equals(flat)).toBe(true);
      await rm(q);
      await rm(`${q}.raw`);
      expect(await leftovers()).toEqual([]);
      await storage.deleteDisk('exp1');
    } finally {
      await target.close();
    }
  });

  it('defaults its root to /var/lib/kumo (touching nothing until used)', () => {
    expect(new LocalStorageDriver().root).toBe('/var/lib/kumo');
  });

  it.runIf(process.getuid?.() === 0)('a full file system is no_space and leaves nothing behind', async () => {
    const small = await mkdtemp(join(tmpdir(), 'kumo-storage-full-'));
    try {
      await exec('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'kumo-test', small]);
    } catch {
      await rm(small, { recursive: true, force: true });
      return; // no mount permission here: nothing to prove
    }
    try {
      const full = new LocalStorageDriver({ root: small });
      srv.files.set('too-big', image);
      await expectKind(
        full.ensureImage({
          image: 'too-big',
          url: `${srv.base}/files/too-big`,
          checksum: sha256(image),
          checksumAlgo: 'sha256',
        }),
        'no_space',
      );
      await expectKind(full.getImage('too-big'), 'not_found');
      expect(await readdir(join(small, 'images'))).toEqual([]);
      const u = await full.usage();
      expect(u.totalBytes).toBe(MiB);
    } finally {
      await exec('umount', [small]);
      await rm(small, { recursive: true, force: true });
    }
  });
});

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ensureLibvirtd } from '../../testing/libvirtd.js';
import { LocalStorageDriver } from '../local/local-storage.driver.js';
import { createLibvirtDriver } from './libvirt.driver.js';

/**
 * Libvirt driver latencies through the driver itself, median of N rounds:
 * define (ensureDomain, config drive included), start, boot to the guest's
 * READY line on the serial console, destroy (forced stop) and undefine.
 *
 *   node --import tsx apps/agent/src/drivers/libvirt/libvirt.bench.ts [rounds] [guest.qcow2]
 *
 * Without a guest image path it runs scripts/build-guest-image (cached).
 * Prints one JSON object on the last line.
 */

const exec = promisify(execFile);

export interface LibvirtBench {
  rounds: number;
  hypervisor: string;
  medianMs: { define: number; start: number; bootToConsole: number; destroy: number; undefine: number };
  samplesMs: Record<string, number[]>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function timed<T>(samples: number[], fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await fn();
  samples.push(Math.round((performance.now() - t0) * 10) / 10);
  return r;
}

export async function benchLibvirt(rounds: number, image: string): Promise<LibvirtBench> {
  const lease = await ensureLibvirtd();
  const root = await mkdtemp('/var/tmp/kumo-libvirt-bench-');
  await chmod(root, 0o755);
  const storage = new LocalStorageDriver({ root: join(root, 'storage'), fileRoots: [dirname(image)] });
  const compute = await createLibvirtDriver({
    instancesDir: join(root, 'instances'),
    storageRoot: storage.root,
    resolveDisk: (d) => storage.getDisk(d),
    heartbeatMs: 0,
  });
  const s: Record<string, number[]> = { define: [], start: [], bootToConsole: [], destroy: [], undefine: [] };
  try {
    const checksum = createHash('sha256')
      .update(await readFile(image))
      .digest('hex');
    await storage.ensureImage({
      image: 'bench-guest',
      url: pathToFileURL(image).href,
      checksum,
      checksumAlgo: 'sha256',
    });
    for (let i = 0; i < rounds; i++) {
      const instance = `bench-${randomBytes(4).toString('hex')}`;
      const disk = `${instance}-root`;
      await storage.ensureDiskFromImage({ disk, image: 'bench-guest', sizeBytes: 256 * 1024 * 1024 });
      await timed(s.define as number[], () =>
        compute.ensureDomain({
          instance,
          name: instance,
          vcpus: 1,
          memoryMb: 128,
          disks: [{ disk, bus: 'virtio', device: 'disk', boot: true }],
          interfaces: [],
          configDrive: { metaData: { hostname: instance } },
        }),
      );
      const t0 = performance.now();
      await timed(s.start as number[], () => compute.start(instance));
      for (;;) {
        const log = await compute.consoleLog(instance);
        if (log.data.includes('KUMO-GUEST-READY')) break;
        if (performance.now() - t0 > 120_000) throw new Error('no READY line within 120 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      (s.bootToConsole as number[]).push(Math.round(performance.now() - t0));
      await timed(s.destroy as number[], () => compute.stop(instance, { force: true }));
      await timed(s.undefine as number[], () => compute.destroy(instance));
      await storage.deleteDisk(disk);
    }
  } finally {
    for (const d of await compute.list())
      if (d.instance.startsWith('bench-')) await compute.destroy(d.instance);
    await rm(root, { recursive: true, force: true });
    await lease.release();
  }
  return {
    rounds,
    hypervisor: compute.hypervisor,
    medianMs: {
      define: median(s.define as number[]),
      start: median(s.start as number[]),
      bootToConsole: median(s.bootToConsole as number[]),
      destroy: median(s.destroy as number[]),
      undefine: median(s.undefine as number[]),
    },
    samplesMs: s,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rounds = Number(process.argv[2] ?? 5);
  let image = process.argv[3];
  if (!image) {
    const repo = join(import.meta.dirname, '../../../../..');
    const { stdout } = await exec(join(repo, 'scripts/build-guest-image'), [], { maxBuffer: 1 << 24 });
    image = stdout.trim().split('\n').pop() ?? '';
  }
  const r = await benchLibvirt(rounds, image);
  for (const [k, v] of Object.entries(r.medianMs)) console.log(`${k.padEnd(14)} ${String(v).padStart(8)} ms`);
  console.log(JSON.stringify(r));
}

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestImageIfAvailable, sha256File } from '../../testing/guest-image.js';
import { ensureLibvirtd, type LibvirtdLease, libvirtUnavailableReason } from '../../testing/libvirtd.js';
import { computeConformance } from '../conformance/compute.conformance.js';
import { waitFor } from '../conformance/helpers.js';
import { LocalStorageDriver } from '../local/local-storage.driver.js';
import { createLibvirtDriver, type LibvirtComputeDriver } from './libvirt.driver.js';

/**
 * The real libvirt driver against a real libvirtd (started here when not
 * running, stopped afterwards if we started it), QEMU under TCG on this kind
 * of machine. Runs the shared compute conformance suite, plus what only a
 * real hypervisor shows. Skips (does not fail) when not root or libvirt is
 * not installed. Guest-booting checks need scripts/build-guest-image.
 */

const exec = promisify(execFile);
const unavailable = await libvirtUnavailableReason();

interface Rig {
  root: string;
  bridge: string;
  storage: LocalStorageDriver;
  compute: LibvirtComputeDriver;
  lease: LibvirtdLease;
  image?: string;
  makeBootDisk(disk: string): Promise<void>;
  cleanup(): Promise<void>;
}

async function makeRig(tag: string, image: string | undefined): Promise<Rig> {
  const lease = await ensureLibvirtd();
  // Under /var/tmp (disk, not tmpfs: cache='none' needs O_DIRECT); QEMU runs as libvirt-qemu, so 0755.
  const root = await mkdtemp(join('/var/tmp', `kumo-libvirt-${tag}-`));
  await chmod(root, 0o755);
  const bridge = `kt${randomBytes(4).toString('hex')}`;
  await exec('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await exec('ip', ['link', 'set', bridge, 'up']);
  const storage = new LocalStorageDriver({
    root: join(root, 'storage'),
    fileRoots: image ? [dirname(image)] : [],
  });
  const compute = await createLibvirtDriver({
    instancesDir: join(root, 'instances'),
    storageRoot: storage.root,
    resolveDisk: (d) => storage.getDisk(d),
    rebootTimeoutMs: 3_000,
    stopTimeoutMs: 3_000,
    detachTimeoutMs: 20_000,
    heartbeatMs: 0,
  });
  let imageReady: Promise<void> | undefined;
  const imageId = 'guest-image';
  return {
    root,
    bridge,
    storage,
    compute,
    lease,
    image,
    async makeBootDisk(disk) {
      if (!image) throw new Error('no guest image');
      imageReady ??= sha256File(image).then(async (checksum) => {
        await storage.ensureImage({
          image: imageId,
          url: pathToFileURL(image).href,
          checksum,
          checksumAlgo: 'sha256',
        });
      });
      await imageReady;
      await storage.ensureDiskFromImage({ disk, image: imageId, sizeBytes: 256 * 1024 * 1024 });
    },
    async cleanup() {
      for (const s of await compute.list().catch(() => [])) {
        if (s.instance.startsWith(`${tag}-`)) await compute.destroy(s.instance).catch(() => undefined);
      }
      await exec('ip', ['link', 'del', bridge]).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
      await lease.release();
    },
  };
}

if (unavailable) {
  describe.skip(`libvirt driver (skipped: ${unavailable})`, () => {
    it('needs root and libvirt', () => undefined);
  });
} else {
  const image = await guestImageIfAvailable();
  let rig: Rig | undefined;

  computeConformance(
    `libvirt (${image ? 'guest image' : 'no guest image: boot checks skipped'})`,
    async () => {
      rig = await makeRig('lv', image);
      const r = rig;
      return {
        compute: r.compute,
        storage: r.storage,
        bridge: r.bridge,
        makeBootDisk: image ? (d) => r.makeBootDisk(d) : undefined,
        cleanup: () => r.cleanup(),
      };
    },
    {
      idPrefix: 'lv',
      bootsGuest: image !== undefined,
      readyLine: /KUMO-GUEST-READY/,
      bootTimeoutMs: 60_000,
      eventTimeoutMs: 15_000,
      stopTimeoutMs: 500,
      stopSlackMs: 15_000,
      testTimeoutMs: 90_000,
      // Conformance guests other than the booting one sit in SeaBIOS: nobody answers a hot-unplug.
      liveDetach: false,
      eventsSettleMs: 500,
    },
  );

  describe('libvirt driver on a real host', () => {
    let r: Rig;
    beforeAll(async () => {
      r = await makeRig('lvx', image);
    }, 180_000);
    afterAll(async () => r?.cleanup(), 120_000);

    it('picks qemu (TCG) unless a boot probe proved KVM, and says so in hostInfo', async () => {
      const h = await r.compute.hostInfo();
      expect(h.hypervisor).toBe(r.compute.capabilities.hypervisor);
      expect(h.kvmProved).toBe(r.compute.kvmProbe?.proved ?? false);
      expect(h.hypervisor).toBe(h.kvmProved ? 'kvm' : 'qemu');
      if (existsSync('/sys/module/kvm_pvm')) expect(h.hypervisor).toBe('qemu');
    });

    it('defines what the XML says: TCG/KVM type, q35, config drive on SATA, VNC on localhost', async () => {
      const instance = `lvx-xml-${randomBytes(4).toString('hex')}`;
      await r.storage.ensureBlankDisk({ disk: `${instance}-root`, sizeBytes: 64 * 1024 * 1024 });
      await r.compute.ensureDomain({
        instance,
        name: 'xml check',
        vcpus: 1,
        memoryMb: 128,
        disks: [
          {
            disk: `${instance}-root`,
            bus: 'virtio',
            device: 'disk',
            boot: true,
            qos: { readIopsSec: 1000, writeBytesSec: 50_000_000 },
          },
        ],
        interfaces: [{ vif: `${instance}-v0`, mac: '52:54:00:12:34:56', bridge: r.bridge }],
        configDrive: { metaData: { hostname: 'xml-check' }, userData: 'hi' },
      });
      const s = await r.compute.start(instance);
      expect(s.vnc?.host).toBe('127.0.0.1');
      expect(s.vnc?.port).toBeGreaterThanOrEqual(5900);
      const name = `kumo-${instance}`;
      const { stdout: xml } = await exec('virsh', ['-c', 'qemu:///system', 'dumpxml', name]);
      expect(xml).toContain(`<domain type='${r.compute.hypervisor}'`);
      expect(xml).toMatch(/machine='pc-q35/);
      expect(xml).toMatch(/<target dev='sda' bus='sata'\/>/);
      expect(xml).toContain('<read_iops_sec>1000</read_iops_sec>');
      const { stdout: tune } = await exec('virsh', ['-c', 'qemu:///system', 'blkdeviotune', name, 'vda']);
      expect(tune).toMatch(/write_bytes_sec\s*:\s*50000000/);
      const { stdout: blk } = await exec('virsh', ['-c', 'qemu:///system', 'domblklist', name]);
      expect(blk).toMatch(/sda\s+\S+config-drive\.iso/);
      await r.compute.destroy(instance);
      await r.storage.deleteDisk(`${instance}-root`);
    }, 60_000);

    it.runIf(image !== undefined)(
      'a guest that powers itself off produces a shutoff_by_guest event (pc machine, config drive on IDE)',
      async () => {
        const instance = `lvx-off-${randomBytes(4).toString('hex')}`;
        await r.makeBootDisk(`${instance}-root`);
        await r.compute.ensureDomain({
          instance,
          name: 'poweroff',
          vcpus: 1,
          memoryMb: 128,
          machine: 'pc', // and so the config drive on IDE
          disks: [{ disk: `${instance}-root`, bus: 'virtio', device: 'disk', boot: true }],
          interfaces: [],
          configDrive: { metaData: { kumo_test_poweroff: '1' } },
        });
        const ac = new AbortController();
        const events = r.compute.events(ac.signal)[Symbol.asyncIterator]();
        try {
          await new Promise((res) => setTimeout(() => res(undefined), 500));
          await r.compute.start(instance);
          const seen: string[] = [];
          const until = Date.now() + 90_000;
          while (!seen.includes('shutoff_by_guest') && Date.now() < until) {
            const next = await Promise.race([
              events.next(),
              new Promise<undefined>((res) => setTimeout(() => res(undefined), until - Date.now())),
            ]);
            if (!next || next.done) break;
            if (next.value.type !== 'heartbeat' && next.value.instance === instance)
              seen.push(next.value.type);
          }
          expect(seen).toEqual(['started', 'shutoff_by_guest']);
          const log = await r.compute.consoleLog(instance);
          expect(log.data).toMatch(/KUMO-GUEST-READY hostname=poweroff uuid=lvx-off-/);
          expect((await r.compute.status(instance)).power).toBe('shutoff');
        } finally {
          ac.abort();
          await r.compute.destroy(instance);
          await r.storage.deleteDisk(`${instance}-root`);
        }
      },
      120_000,
    );

    // Optional: needs qemu-system-arm and qemu-efi-aarch64 (not in the test packages). The aarch64
    // XML then really runs, emulated: UEFI from AAVMF with its own vars, GICv3, config drive on SCSI.
    it.runIf(existsSync('/usr/bin/qemu-system-aarch64') && existsSync('/usr/share/AAVMF/AAVMF_CODE.fd'))(
      'an emulated aarch64 guest (virt, UEFI) runs its firmware on the serial console',
      async () => {
        const arm = await createLibvirtDriver({
          instancesDir: join(r.root, 'instances-arm'),
          storageRoot: r.storage.root,
          resolveDisk: (d) => r.storage.getDisk(d),
          arch: 'aarch64',
          hypervisor: 'qemu',
          heartbeatMs: 0,
        });
        const instance = `lvx-arm-${randomBytes(4).toString('hex')}`;
        await r.storage.ensureBlankDisk({ disk: `${instance}-root`, sizeBytes: 64 * 1024 * 1024 });
        try {
          await arm.ensureDomain({
            instance,
            name: 'arm',
            vcpus: 1,
            memoryMb: 256,
            disks: [{ disk: `${instance}-root`, bus: 'virtio', device: 'disk', boot: true }],
            interfaces: [],
            configDrive: { metaData: {} },
          });
          expect((await arm.start(instance)).power).toBe('running');
          await waitFor(
            () => arm.consoleLog(instance),
            (l) => /UEFI|startup\.nsh|Shell>/.test(l.data),
            90_000,
            'UEFI output on the serial console',
          );
          expect(existsSync(join(r.root, 'instances-arm', instance, 'nvram.fd'))).toBe(true);
        } finally {
          await arm.destroy(instance);
          await r.storage.deleteDisk(`${instance}-root`);
        }
      },
      120_000,
    );

    it.runIf(image !== undefined)(
      'a booted guest: graceful stop by ACPI, hot-plug and hot-unplug of a disk',
      async () => {
        const instance = `lvx-acpi-${randomBytes(4).toString('hex')}`;
        await r.makeBootDisk(`${instance}-root`);
        await r.storage.ensureBlankDisk({ disk: `${instance}-data`, sizeBytes: 16 * 1024 * 1024 });
        await r.compute.ensureDomain({
          instance,
          name: 'acpi',
          vcpus: 1,
          memoryMb: 128,
          disks: [{ disk: `${instance}-root`, bus: 'virtio', device: 'disk', boot: true }],
          interfaces: [],
          configDrive: { metaData: {} },
        });
        try {
          await r.compute.start(instance);
          await waitFor(
            () => r.compute.consoleLog(instance),
            (l) => l.data.includes('KUMO-GUEST-READY'),
            90_000,
            'the READY line',
          );
          const plugged = await r.compute.attachDisk(instance, {
            disk: `${instance}-data`,
            bus: 'virtio',
            device: 'disk',
          });
          expect(plugged.disks.map((d) => d.disk)).toContain(`${instance}-data`);
          const unplugged = await r.compute.detachDisk(instance, `${instance}-data`);
          expect(unplugged.disks.map((d) => d.disk)).toEqual([`${instance}-root`]);
          const t0 = Date.now();
          const stopped = await r.compute.stop(instance, { timeoutMs: 60_000 });
          expect(stopped.power).toBe('shutoff');
          // Well under the timeout: the guest itself shut down on the ACPI button.
          expect(Date.now() - t0).toBeLessThan(30_000);
        } finally {
          await r.compute.destroy(instance);
          await r.storage.deleteDisk(`${instance}-root`);
          await r.storage.deleteDisk(`${instance}-data`);
        }
      },
      240_000,
    );
  });
}

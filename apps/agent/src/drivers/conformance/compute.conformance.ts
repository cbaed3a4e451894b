import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ComputeDriver, DomainSpec } from '../compute.js';
import type { DiskId } from '../ids.js';
import type { StorageDriver } from '../storage.js';
import { computeDeviceTests } from './compute-devices.conformance.js';
import { computeEventTests } from './compute-events.conformance.js';
import { BAD_IDS, expectKind, MiB, randomMac, testId } from './helpers.js';

export interface ComputeFixture {
  compute: ComputeDriver;
  /** The storage driver the compute driver resolves disks with; test disks are made here. */
  storage: StorageDriver;
  /** A bridge interfaces may plug into (for a real driver it must exist). */
  bridge: string;
  /** Make a root disk that boots to the READY line (needed when `bootsGuest`); default: a blank disk. */
  makeBootDisk?(disk: DiskId): Promise<void>;
  cleanup?(): Promise<void>;
}

export interface ComputeConformanceOptions {
  /** The guest really boots and prints `readyLine` with its config-drive hostname (default true). */
  bootsGuest?: boolean;
  /** The line a booted guest prints on its serial console (default /READY/). */
  readyLine?: RegExp;
  /** How long a guest may take to print `readyLine` (default 5 s). */
  bootTimeoutMs?: number;
  /** How long to wait for an event or a device change to show (default 5 s). */
  eventTimeoutMs?: number;
  /** timeoutMs given to graceful stops (default 500 ms); a stop must end within it plus `stopSlackMs` (default 10 s). */
  stopTimeoutMs?: number;
  stopSlackMs?: number;
  /** vitest timeout of each test (default 30 s). */
  testTimeoutMs?: number;
  /** Live detach needs the guest's help (ACPI hot-unplug); false skips those checks (default true). */
  liveDetach?: boolean;
  /** Wait this long after subscribing to events before acting (an event source that starts asynchronously). */
  eventsSettleMs?: number;
  /** Prefix of every id the suite makes (default 'conf'). */
  idPrefix?: string;
  vcpus?: number;
  memoryMb?: number;
  machine?: DomainSpec['machine'];
}

/** What the device and event test groups share with the main suite. */
export interface ComputeSuite {
  fx(): ComputeFixture;
  opts: Required<Omit<ComputeConformanceOptions, 'machine'>> & { machine?: DomainSpec['machine'] };
  /** A spec for a fresh instance with a blank (or bootable) root disk, cleaned up after the test. */
  newSpec(tag: string, o?: { interfaces?: number; boot?: boolean }): Promise<DomainSpec>;
  /** A blank disk, deleted after the test. */
  newDisk(tag: string): Promise<DiskId>;
}

/**
 * The compute driver contract as vitest tests: idempotent ensure/start/stop/
 * pause/resume/destroy, not_found and invalid errors, devices in status,
 * console and events. Run it against the fake and against every real driver.
 */
export function computeConformance(
  name: string,
  makeFixture: () => Promise<ComputeFixture>,
  options: ComputeConformanceOptions = {},
): void {
  const opts: ComputeSuite['opts'] = {
    bootsGuest: true,
    readyLine: /READY/,
    bootTimeoutMs: 5_000,
    eventTimeoutMs: 5_000,
    stopTimeoutMs: 500,
    stopSlackMs: 10_000,
    testTimeoutMs: 30_000,
    liveDetach: true,
    eventsSettleMs: 0,
    idPrefix: 'conf',
    vcpus: 1,
    memoryMb: 128,
    ...options,
  };
  const T = opts.testTimeoutMs;

  describe(`compute driver conformance: ${name}`, () => {
    let fixture: ComputeFixture | undefined;
    const instances = new Set<string>();
    const disks = new Set<string>();
    const fx = () => {
      if (!fixture) throw new Error('fixture not ready');
      return fixture;
    };

    const suite: ComputeSuite = {
      fx,
      opts,
      async newDisk(tag) {
        const disk = testId(opts.idPrefix, tag);
        await fx().storage.ensureBlankDisk({ disk, sizeBytes: 64 * MiB });
        disks.add(disk);
        return disk;
      },
      async newSpec(tag, o = {}) {
        const instance = testId(opts.idPrefix, tag);
        const root = `${instance}-root`;
        if (o.boot && fx().makeBootDisk) await fx().makeBootDisk?.(root);
        else await fx().storage.ensureBlankDisk({ disk: root, sizeBytes: 64 * MiB });
        disks.add(root);
        instances.add(instance);
        const spec: DomainSpec = {
          instance,
          name: `${opts.idPrefix}-${tag}`,
          vcpus: opts.vcpus,
          memoryMb: opts.memoryMb,
          disks: [{ disk: root, bus: 'virtio', device: 'disk', boot: true }],
          interfaces: Array.from({ length: o.interfaces ?? 0 }, (_, i) => ({
            vif: `${instance}-vif${i}`,
            mac: randomMac(),
            bridge: fx().bridge,
            model: 'virtio' as const,
          })),
        };
        if (opts.machine) spec.machine = opts.machine;
        return spec;
      },
    };

    beforeAll(async () => {
      fixture = await makeFixture();
    }, 120_000);

    afterEach(async () => {
      if (!fixture) return;
      for (const i of instances) await fixture.compute.destroy(i).catch(() => undefined);
      for (const d of disks) await fixture.storage.deleteDisk(d).catch(() => undefined);
      instances.clear();
      disks.clear();
    }, 120_000);

    afterAll(async () => {
      await fixture?.cleanup?.();
    }, 120_000);

    describe('host', () => {
      it('reports capabilities and host info that agree', async () => {
        const { compute } = fx();
        const caps = compute.capabilities;
        expect(['kvm', 'qemu', 'fake']).toContain(caps.hypervisor);
        const h = await compute.hostInfo();
        expect(h.hostname.length).toBeGreaterThan(0);
        expect(h.arch).toBe(caps.arch);
        expect(h.hypervisor).toBe(caps.hypervisor);
        if (h.kvmProved) expect(h.hypervisor).toBe('kvm');
        expect(h.cpus).toBeGreaterThanOrEqual(1);
        expect(h.memoryMb).toBeGreaterThan(0);
        expect(h.numaCells.length).toBeGreaterThanOrEqual(1);
        expect(h.diskTotalBytes).toBeGreaterThanOrEqual(h.diskFreeBytes);
        expect(h.diskFreeBytes).toBeGreaterThanOrEqual(0);
      });
    });

    describe('define', () => {
      it(
        'ensureDomain defines a shut-off domain; the same ensure again returns the same',
        async () => {
          const { compute } = fx();
          const spec = await suite.newSpec('def', { interfaces: 1 });
          const s1 = await compute.ensureDomain(spec);
          expect(s1).toMatchObject({ instance: spec.instance, power: 'shutoff', vcpus: spec.vcpus });
          expect(s1.memoryMb).toBe(spec.memoryMb);
          expect(s1.disks.map((d) => d.disk)).toEqual([spec.disks[0]?.disk]);
          expect(s1.disks[0]?.target).toMatch(/^vd[a-z]+$/);
          expect(s1.interfaces.map((i) => [i.vif, i.mac.toLowerCase()])).toEqual(
            spec.interfaces.map((i) => [i.vif, i.mac]),
          );
          expect(await compute.ensureDomain(spec)).toEqual(s1);
          expect(await compute.status(spec.instance)).toEqual(s1);
          const listed = (await compute.list()).filter((s) => s.instance === spec.instance);
          expect(listed).toEqual([s1]);
        },
        T,
      );

      it(
        'a changed spec redefines a shut-off domain and is a conflict while it runs',
        async () => {
          const { compute } = fx();
          const spec = await suite.newSpec('redef');
          await compute.ensureDomain(spec);
          const bigger = { ...spec, memoryMb: spec.memoryMb + 64 };
          expect((await compute.ensureDomain(bigger)).memoryMb).toBe(bigger.memoryMb);
          await compute.start(spec.instance);
          await expectKind(compute.ensureDomain(spec), 'conflict', 'redefining a running domain');
          const s = await compute.ensureDomain(bigger);
          expect(s).toMatchObject({ power: 'running', memoryMb: bigger.memoryMb });
        },
        T,
      );

      it(
        'refuses malformed specs as invalid and defines nothing',
        async () => {
          const { compute } = fx();
          const spec = await suite.newSpec('bad', { interfaces: 1 });
          const disk0 = spec.disks[0]!;
          const if0 = spec.interfaces[0]!;
          const otherArch = compute.capabilities.arch === 'x86_64' ? 'aarch64' : 'x86_64';
          const bad: [string, unknown][] = [
            ['vcpus 0', { ...spec, vcpus: 0 }],
            ['vcpus -1', { ...spec, vcpus: -1 }],
            ['vcpus 1.5', { ...spec, vcpus: 1.5 }],
            ['memoryMb 0', { ...spec, memoryMb: 0 }],
            ['memoryMb -128', { ...spec, memoryMb: -128 }],
            ['empty name', { ...spec, name: '' }],
            ['instance ../x', { ...spec, instance: '../x' }],
            ['disk ../x', { ...spec, disks: [{ ...disk0, disk: '../x' }] }],
            ['disk bus floppy', { ...spec, disks: [{ ...disk0, bus: 'floppy' }] }],
            ['the same disk twice', { ...spec, disks: [disk0, disk0] }],
            ['vif ../x', { ...spec, interfaces: [{ ...if0, vif: '../x' }] }],
            ['mac zz', { ...spec, interfaces: [{ ...if0, mac: 'zz:zz:zz:zz:zz:zz' }] }],
            ['multicast mac', { ...spec, interfaces: [{ ...if0, mac: '01:00:5e:00:00:01' }] }],
            ['bridge ../br', { ...spec, interfaces: [{ ...if0, bridge: '../br' }] }],
            ['another arch', { ...spec, arch: otherArch }],
            ['disks not a list', { ...spec, disks: 'vda' }],
            ['no spec', undefined],
          ];
          for (const [what, s] of bad)
            await expectKind(compute.ensureDomain(s as DomainSpec), 'invalid', what);
          await expectKind(compute.status(spec.instance), 'not_found', 'status after refused specs');
        },
        T,
      );

      it(
        'a disk the storage driver does not have is not_found',
        async () => {
          const { compute } = fx();
          const spec = await suite.newSpec('nodisk');
          const missing = { ...spec, disks: [{ ...spec.disks[0]!, disk: `${spec.instance}-missing` }] };
          await expectKind(compute.ensureDomain(missing), 'not_found', 'ensureDomain with a missing disk');
        },
        T,
      );
    });

    describe('ids', () => {
      it(
        'path tricks and malformed ids are invalid for every verb',
        async () => {
          const { compute } = fx();
          const disk = { disk: 'd1', bus: 'virtio', device: 'disk' } as const;
          const iface = { vif: 'v1', mac: randomMac(), bridge: fx().bridge };
          for (const id of BAD_IDS) {
            const i = id as string;
            const verbs: [string, () => Promise<unknown>][] = [
              ['start', () => compute.start(i)],
              ['stop', () => compute.stop(i, { force: true })],
              ['reboot', () => compute.reboot(i)],
              ['pause', () => compute.pause(i)],
              ['resume', () => compute.resume(i)],
              ['destroy', () => compute.destroy(i)],
              ['status', () => compute.status(i)],
              ['consoleLog', () => compute.consoleLog(i)],
              ['attachDisk', () => compute.attachDisk(i, disk)],
              ['detachDisk', () => compute.detachDisk(i, 'd1')],
              ['attachInterface', () => compute.attachInterface(i, iface)],
              ['detachInterface', () => compute.detachInterface(i, 'v1')],
            ];
            for (const [verb, call] of verbs)
              await expectKind(call(), 'invalid', `${verb}(${JSON.stringify(id)})`);
          }
          const spec = await suite.newSpec('ids');
          await compute.ensureDomain(spec);
          await expectKind(compute.detachDisk(spec.instance, '../x'), 'invalid', 'detachDisk(../x)');
          await expectKind(
            compute.detachInterface(spec.instance, '../x'),
            'invalid',
            'detachInterface(../x)',
          );
          await expectKind(
            compute.attachDisk(spec.instance, { ...disk, disk: '../x' }),
            'invalid',
            'attach ../x',
          );
          await expectKind(compute.stop(spec.instance, { timeoutMs: -1 }), 'invalid', 'stop timeoutMs -1');
          await expectKind(compute.consoleLog(spec.instance, { offset: -1 }), 'invalid', 'console offset -1');
        },
        T,
      );

      it(
        'unknown instances are not_found; destroying one is a no-op',
        async () => {
          const { compute } = fx();
          const i = testId(opts.idPrefix, 'ghost');
          const disk = { disk: 'd1', bus: 'virtio', device: 'disk' } as const;
          const verbs: [string, () => Promise<unknown>][] = [
            ['start', () => compute.start(i)],
            ['stop', () => compute.stop(i)],
            ['reboot', () => compute.reboot(i, { hard: true })],
            ['pause', () => compute.pause(i)],
            ['resume', () => compute.resume(i)],
            ['status', () => compute.status(i)],
            ['consoleLog', () => compute.consoleLog(i)],
            ['attachDisk', () => compute.attachDisk(i, disk)],
            ['detachDisk', () => compute.detachDisk(i, 'd1')],
            [
              'attachInterface',
              () => compute.attachInterface(i, { vif: 'v1', mac: randomMac(), bridge: fx().bridge }),
            ],
            ['detachInterface', () => compute.detachInterface(i, 'v1')],
          ];
          for (const [verb, call] of verbs) await expectKind(call(), 'not_found', `${verb}(unknown)`);
          await compute.destroy(i);
          expect((await compute.list()).some((s) => s.instance === i)).toBe(false);
        },
        T,
      );
    });

    describe('power', () => {
      it(
        'start and stop, each twice; a graceful stop ends within its timeout',
        async () => {
          const { compute } = fx();
          const spec = await suite.newSpec('power');
          await compute.ensureDomain(spec);
          expect((await compute.start(spec.instance)).power).toBe('running');
          expect((await compute.start(spec.instance)).power).toBe('running');
          const t0 = Date.now();
          expect((await compute.stop(spec.instance, { timeoutMs: opts.stopTimeoutMs })).power).toBe(
            'shutoff',
          );
          expect(Date.now() - t0).toBeLessThan(opts.stopTimeoutMs + opts.stopSlackMs);
          expect((await compute.stop(spec.instance, { timeoutMs: opts.stopTimeoutMs })).power).toBe(
            'shutoff',
          );
          expect((await compute.start(spec.instance)).power).toBe('running');
          expect((await compute.stop(spec.instance, { force: true })).power).toBe('shutoff');
          expect((await compute.status(spec.instance)).power).toBe('shutoff');
        },
        T,
      );

      it(
        'pause and resume, each twice; both are conflicts on a shut-off domain, start on a paused one too',
        async () => {
          const { compute } = fx();
          const spec = await suite.newSpec('pause');
          await compute.ensureDomain(spec);
          await expectKind(compute.pause(spec.instance), 'conflict', 'pause while shut off');
          await expectKind(compute.resume(spec.instance), 'conflict', 'resume while shut off');
          await compute.start(spec.instance);
          expect((await compute.pause(spec.instance)).power).toBe('paused');
          expect((await compute.pause(spec.instance)).power).toBe('paused');
          await expectKind(compute.start(spec.instance), 'conflict', 'start while paused');
          expect((await compute.resume(spec.instance)).power).toBe('running');
          expect((await compute.resume(spec.instance)).power).toBe('running');
          await compute.pause(spec.instance);
          expect((await compute.stop(spec.instance, { force: true })).power).toBe('shutoff');
        },
        T,
      );

      it(
        'a soft reboot needs a running domain; a hard reboot works from shut off and leaves it running',
        async () => {
          const { compute } = fx();
          const spec = await suite.newSpec('reboot');
          await compute.ensureDomain(spec);
          await expectKind(compute.reboot(spec.instance), 'conflict', 'soft reboot while shut off');
          expect((await compute.reboot(spec.instance, { hard: true })).power).toBe('running');
          expect((await compute.reboot(spec.instance)).power).toBe('running');
          expect((await compute.reboot(spec.instance, { hard: true })).power).toBe('running');
        },
        T,
      );

      it(
        'destroy stops and undefines; again is a no-op; the id can be reused with an empty console',
        async () => {
          const { compute } = fx();
          const spec = await suite.newSpec('destroy');
          await compute.ensureDomain(spec);
          await compute.start(spec.instance);
          await compute.destroy(spec.instance);
          await expectKind(compute.status(spec.instance), 'not_found', 'status after destroy');
          expect((await compute.list()).some((s) => s.instance === spec.instance)).toBe(false);
          await compute.destroy(spec.instance);
          expect((await compute.ensureDomain(spec)).power).toBe('shutoff');
          expect((await compute.consoleLog(spec.instance)).data).toBe('');
        },
        T,
      );
    });

    computeDeviceTests(suite);
    computeEventTests(suite);
  });
}

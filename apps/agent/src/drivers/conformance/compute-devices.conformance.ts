import { describe, expect, it } from 'vitest';
import type { DomainDisk, DomainInterface } from '../compute.js';
import type { ComputeSuite } from './compute.conformance.js';
import { expectKind, randomMac, testId, waitFor } from './helpers.js';

/** Disk and interface attach/detach, cold and hot. */
export function computeDeviceTests(suite: ComputeSuite): void {
  const { opts } = suite;
  const T = opts.testTimeoutMs;

  describe('devices', () => {
    it(
      'attach and detach a disk while shut off, each twice; status reports it',
      async () => {
        const { compute } = suite.fx();
        const spec = await suite.newSpec('cold-disk');
        await compute.ensureDomain(spec);
        const disk: DomainDisk = { disk: await suite.newDisk('data'), bus: 'virtio', device: 'disk' };
        const s1 = await compute.attachDisk(spec.instance, disk);
        const entry = s1.disks.find((d) => d.disk === disk.disk);
        expect(entry?.target).toMatch(/^vd[a-z]+$/);
        expect(new Set(s1.disks.map((d) => d.target)).size).toBe(s1.disks.length);
        expect(await compute.attachDisk(spec.instance, disk)).toEqual(s1);
        expect(await compute.status(spec.instance)).toEqual(s1);
        await expectKind(
          compute.attachDisk(spec.instance, { ...disk, readOnly: true }),
          'conflict',
          'the same disk attached differently',
        );
        await expectKind(
          compute.attachDisk(spec.instance, { ...disk, disk: testId(opts.idPrefix, 'nodisk') }),
          'not_found',
          'attaching a disk the storage does not have',
        );
        const s2 = await compute.detachDisk(spec.instance, disk.disk);
        expect(s2.disks.map((d) => d.disk)).toEqual([spec.disks[0]?.disk]);
        expect(await compute.detachDisk(spec.instance, disk.disk)).toEqual(s2);
        expect((await compute.start(spec.instance)).disks).toEqual(s2.disks);
      },
      T,
    );

    it(
      'hot-plugs a disk into a running domain and reports it',
      async () => {
        const { compute } = suite.fx();
        if (!compute.capabilities.hotplugDisk) return;
        const spec = await suite.newSpec('hot-disk');
        await compute.ensureDomain(spec);
        await compute.start(spec.instance);
        const disk: DomainDisk = { disk: await suite.newDisk('hot'), bus: 'virtio', device: 'disk' };
        const s1 = await compute.attachDisk(spec.instance, disk);
        expect(s1.power).toBe('running');
        expect(s1.disks.map((d) => d.disk)).toContain(disk.disk);
        expect(await compute.attachDisk(spec.instance, disk)).toEqual(s1);
        if (!opts.liveDetach) return;
        await compute.detachDisk(spec.instance, disk.disk);
        await waitFor(
          () => compute.status(spec.instance),
          (s) => !s.disks.some((d) => d.disk === disk.disk),
          opts.eventTimeoutMs,
          'the hot-unplugged disk to leave the status',
        );
      },
      T,
    );

    it(
      'attach and detach an interface while shut off, each twice; status reports it',
      async () => {
        const { compute } = suite.fx();
        const spec = await suite.newSpec('cold-if');
        await compute.ensureDomain(spec);
        const iface: DomainInterface = {
          vif: testId(opts.idPrefix, 'vif'),
          mac: randomMac(),
          bridge: suite.fx().bridge,
          model: 'virtio',
        };
        const s1 = await compute.attachInterface(spec.instance, iface);
        expect(s1.interfaces.map((i) => [i.vif, i.mac.toLowerCase()])).toEqual([[iface.vif, iface.mac]]);
        expect(await compute.attachInterface(spec.instance, iface)).toEqual(s1);
        await expectKind(
          compute.attachInterface(spec.instance, { ...iface, mac: randomMac() }),
          'conflict',
          'the same vif with another mac',
        );
        const s2 = await compute.detachInterface(spec.instance, iface.vif);
        expect(s2.interfaces).toEqual([]);
        expect(await compute.detachInterface(spec.instance, iface.vif)).toEqual(s2);
      },
      T,
    );

    it(
      'hot-plugs an interface into a running domain and reports it',
      async () => {
        const { compute } = suite.fx();
        if (!compute.capabilities.hotplugInterface) return;
        const spec = await suite.newSpec('hot-if');
        await compute.ensureDomain(spec);
        await compute.start(spec.instance);
        const iface: DomainInterface = {
          vif: testId(opts.idPrefix, 'hvif'),
          mac: randomMac(),
          bridge: suite.fx().bridge,
        };
        const s1 = await compute.attachInterface(spec.instance, iface);
        expect(s1.interfaces.map((i) => i.vif)).toEqual([iface.vif]);
        expect(await compute.attachInterface(spec.instance, iface)).toEqual(s1);
        if (!opts.liveDetach) return;
        await compute.detachInterface(spec.instance, iface.vif);
        await waitFor(
          () => compute.status(spec.instance),
          (s) => s.interfaces.length === 0,
          opts.eventTimeoutMs,
          'the hot-unplugged interface to leave the status',
        );
      },
      T,
    );
  });

  describe('console', () => {
    it(
      'a fresh domain has an empty console; reads page by byte offset',
      async () => {
        const { compute } = suite.fx();
        const spec = await suite.newSpec('console');
        await compute.ensureDomain(spec);
        const empty = await compute.consoleLog(spec.instance);
        expect(empty).toEqual({ data: '', nextOffset: 0 });
        await compute.start(spec.instance);
        const all = await compute.consoleLog(spec.instance);
        expect(all.nextOffset).toBe(Buffer.byteLength(all.data));
        if (all.nextOffset >= 8) {
          const head = await compute.consoleLog(spec.instance, { offset: 0, limit: 8 });
          expect(head.nextOffset).toBe(8);
          const rest = await compute.consoleLog(spec.instance, { offset: 8, limit: all.nextOffset - 8 });
          expect(head.data + rest.data).toBe(all.data);
        }
        const tail = await compute.consoleLog(spec.instance, { offset: all.nextOffset + 1_000_000 });
        expect(tail.data).toBe('');
      },
      T,
    );

    it.runIf(opts.bootsGuest)(
      'a started guest prints its READY line with the config-drive hostname',
      async () => {
        const { compute } = suite.fx();
        const spec = await suite.newSpec('boot', { boot: true, interfaces: 1 });
        const hostname = `${opts.idPrefix}-host-${spec.instance.slice(-8)}`;
        spec.configDrive = {
          metaData: { uuid: spec.instance, hostname, name: spec.name },
          userData: '#!/bin/sh\necho hello\n',
        };
        await compute.ensureDomain(spec);
        await compute.start(spec.instance);
        const log = await waitFor(
          () => compute.consoleLog(spec.instance),
          (l) => l.data.split('\n').some((line) => opts.readyLine.test(line) && line.includes(hostname)),
          opts.bootTimeoutMs,
          `a console line matching ${opts.readyLine} with ${hostname}`,
        );
        expect(log.data).toContain(hostname);
        const more = await compute.consoleLog(spec.instance, { offset: log.nextOffset });
        expect(more.nextOffset).toBeGreaterThanOrEqual(log.nextOffset);
      },
      Math.max(T, opts.bootTimeoutMs + 30_000),
    );
  });
}

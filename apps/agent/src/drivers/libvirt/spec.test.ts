import { describe, expect, it } from 'vitest';
import type { DomainSpec } from '../compute.js';
import { DriverError } from '../ids.js';
import { checkDisk, checkInterface, checkSpec } from './spec.js';

const ok: DomainSpec = {
  instance: 'i-1',
  name: 'vm',
  vcpus: 1,
  memoryMb: 128,
  disks: [{ disk: 'd1', bus: 'virtio', device: 'disk' }],
  interfaces: [{ vif: 'v1', mac: '52:54:00:00:00:01', bridge: 'br0' }],
};

function invalid(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).kind).toBe('invalid');
    return (err as Error).message;
  }
  throw new Error('expected DriverError(invalid)');
}

describe('checkSpec', () => {
  it('fills in arch and machine per host', () => {
    expect(checkSpec(ok, 'x86_64')).toMatchObject({ arch: 'x86_64', machine: 'q35' });
    expect(checkSpec(ok, 'aarch64')).toMatchObject({ arch: 'aarch64', machine: 'virt' });
    expect(checkSpec({ ...ok, machine: 'pc' }, 'x86_64').machine).toBe('pc');
  });

  it('refuses path tricks in every id', () => {
    expect(invalid(() => checkSpec({ ...ok, instance: '../etc' }, 'x86_64'))).toMatch(/instance/);
    invalid(() =>
      checkSpec({ ...ok, disks: [{ disk: '../../x', bus: 'virtio', device: 'disk' }] }, 'x86_64'),
    );
    invalid(() => checkSpec({ ...ok, interfaces: [{ ...ok.interfaces[0]!, vif: 'a/b' }] }, 'x86_64'));
  });

  it('refuses bad numbers, MACs, bridges and duplicates', () => {
    invalid(() => checkSpec({ ...ok, vcpus: 0 }, 'x86_64'));
    invalid(() => checkSpec({ ...ok, vcpus: 1.5 }, 'x86_64'));
    invalid(() => checkSpec({ ...ok, memoryMb: -1 }, 'x86_64'));
    invalid(() => checkSpec({ ...ok, interfaces: [{ ...ok.interfaces[0]!, mac: 'zz' }] }, 'x86_64'));
    invalid(() =>
      checkSpec({ ...ok, interfaces: [{ ...ok.interfaces[0]!, mac: '01:00:5e:00:00:01' }] }, 'x86_64'),
    );
    invalid(() => checkSpec({ ...ok, interfaces: [{ ...ok.interfaces[0]!, bridge: "br0'/>" }] }, 'x86_64'));
    invalid(() => checkSpec({ ...ok, disks: [ok.disks[0]!, ok.disks[0]!] }, 'x86_64'));
    invalid(() =>
      checkSpec({ ...ok, interfaces: [ok.interfaces[0]!, { ...ok.interfaces[0]!, vif: 'v2' }] }, 'x86_64'),
    );
    invalid(() =>
      checkSpec(
        { ...ok, disks: [{ ...ok.disks[0]!, qos: { readBytesSec: -5 } }] } as unknown as DomainSpec,
        'x86_64',
      ),
    );
  });

  it('refuses machines and buses the arch does not have', () => {
    expect(invalid(() => checkSpec({ ...ok, machine: 'virt' }, 'x86_64'))).toMatch(/virt/);
    invalid(() => checkSpec({ ...ok, arch: 'aarch64' }, 'x86_64'));
    invalid(() => checkSpec({ ...ok, machine: 'q35' }, 'aarch64'));
    expect(invalid(() => checkDisk({ disk: 'd', bus: 'ide', device: 'cdrom' }, 'q35'))).toMatch(/ide/);
    invalid(() => checkDisk({ disk: 'd', bus: 'sata', device: 'disk' }, 'virt'));
    invalid(() => checkDisk({ disk: 'd', bus: 'virtio', device: 'cdrom' }, 'q35'));
    expect(checkDisk({ disk: 'd', bus: 'ide', device: 'cdrom' }, 'pc').bus).toBe('ide');
  });

  it('normalises MACs to lower case', () => {
    expect(checkInterface({ vif: 'v', mac: '52:54:00:AA:BB:CC', bridge: 'br0' }).mac).toBe(
      '52:54:00:aa:bb:cc',
    );
  });
});

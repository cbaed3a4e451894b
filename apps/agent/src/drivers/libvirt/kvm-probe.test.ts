import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aarch64ProbeImage, probeKvm, x86ProbeImage } from './kvm-probe.js';

const haveTool = (tool: string) =>
  new Promise<boolean>((resolve) =>
    execFile('sh', ['-c', 'command -v "$1"', 'sh', tool], (err) => resolve(!err)),
  );

describe('KVM probe payloads', () => {
  it('x86: a 512-byte boot sector with the boot signature', () => {
    const img = x86ProbeImage();
    expect(img.length).toBe(512);
    expect(img.subarray(510)).toEqual(Buffer.from([0x55, 0xaa]));
    expect(img.includes(Buffer.from('KUMO-KVM-PROBE-OK'))).toBe(true);
  });

  it('aarch64: whole A64 words ending in PSCI SYSTEM_OFF (hvc) and a branch-to-self', () => {
    const img = aarch64ProbeImage();
    expect(img.length % 4).toBe(0);
    expect(img.readUInt32LE(img.length - 8)).toBe(0xd4000002);
    expect(img.readUInt32LE(img.length - 4)).toBe(0x14000000);
  });
});

describe('KVM probe', async () => {
  const qemu = await haveTool('qemu-system-x86_64');
  const qemuArm = await haveTool('qemu-system-aarch64');

  it.skipIf(!qemu)('the x86 payload runs to its marker under TCG (so a KVM failure means KVM)', async () => {
    const r = await probeKvm({ arch: 'x86_64', accel: 'tcg', timeoutMs: 10_000 });
    expect(r).toMatchObject({ proved: true });
  });

  it.skipIf(!qemuArm)('the aarch64 payload runs to its marker under TCG', async () => {
    const r = await probeKvm({ arch: 'aarch64', accel: 'tcg', timeoutMs: 10_000 });
    expect(r).toMatchObject({ proved: true });
  });

  it('without a usable /dev/kvm nothing is proved', async () => {
    const r = await probeKvm({ arch: 'x86_64', kvmDevice: '/nonexistent/kvm' });
    expect(r.proved).toBe(false);
    expect(r.reason).toMatch(/not usable/);
  });

  // kvm_pvm (this kind of machine): /dev/kvm exists, libvirt lists kvm, but guests hang or crawl.
  it.skipIf(!qemu || !existsSync('/sys/module/kvm_pvm'))('fails on a kvm_pvm host', async () => {
    const r = await probeKvm({ arch: 'x86_64' });
    expect(r.proved).toBe(false);
    expect(r.reason).toMatch(/did not finish under kvm/);
  });
});

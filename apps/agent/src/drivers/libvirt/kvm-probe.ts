import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Arch } from '../compute.js';
import { ExecError, run } from './exec.js';

/**
 * "KVM works" is proved by booting something under `-accel kvm` with a time
 * limit, never inferred from /dev/kvm: on some hosts (kvm_pvm, nested setups)
 * /dev/kvm exists and libvirt lists kvm, yet normal guests hang.
 *
 * Two stages: a tiny payload (x86: a boot sector that enters long mode, touches
 * 62 MiB and prints a marker on COM1 — source in kvm-probe-x86.S; aarch64: a raw
 * image that prints on the PL011 and powers off through PSCI) must finish within
 * `timeoutMs` (a working KVM does it in a few hundred ms, TCG too); then, when
 * a Linux kernel is given, it must boot under KVM to its "cannot mount root"
 * panic within `kernelTimeoutMs`.
 */

export const PROBE_MARKER = 'KUMO-KVM-PROBE-OK';

const X86_BOOT_SECTOR_HEX =
  'fa31c08ed88ec08ed0bc007cbaf803b031eebf0010b9001831c0f3ab66c70600100320000066c706002003300000bf00' +
  '3066b883000000b9000266890566050000200083c708e2f20f20e06683c8200f22e066b8001000000f22d866b9800000' +
  'c00f32660d000100000f300f0116087d0f20c0660d010000800f22c066ea847c0000080066b810008ed88ed066baf803' +
  'b032ee48c7c30000200048c70334120000488b034881c3000010004881fb0000000472e6b033ee0f20d80f22d8b034ee' +
  '488d351500000048c7c112000000aceee2fc66baf40030c0eef4ebfd4b554d4f2d4b564d2d50524f42452d4f4b0a6690' +
  '0000000000000000ffff0000009aaf00ffff00000092cf001700f07c';

/** The x86 payload: a 512-byte boot sector. */
export function x86ProbeImage(): Buffer {
  const img = Buffer.alloc(512);
  Buffer.from(X86_BOOT_SECTOR_HEX, 'hex').copy(img);
  img[510] = 0x55;
  img[511] = 0xaa;
  return img;
}

/** The aarch64 payload: raw A64 code loaded by QEMU's `virt` board as a kernel. */
export function aarch64ProbeImage(): Buffer {
  const words: number[] = [0xd2a12001]; // movz x1, #0x0900, lsl #16   (PL011 at 0x09000000)
  for (const ch of `${PROBE_MARKER}\n`) {
    words.push(0x52800000 | (ch.charCodeAt(0) << 5)); // movz w0, #ch
    words.push(0x39000020); // strb w0, [x1]
  }
  words.push(0x52800100); // movz w0, #0x0008
  words.push(0x72b08000); // movk w0, #0x8400, lsl #16   (PSCI SYSTEM_OFF)
  words.push(0xd4000002); // hvc #0
  words.push(0x14000000); // b .
  const buf = Buffer.alloc(words.length * 4);
  for (const [i, w] of words.entries()) buf.writeUInt32LE(w >>> 0, i * 4);
  return buf;
}

export interface KvmProbeOptions {
  arch: Arch;
  /** 'kvm' for the real probe; 'tcg' checks the payload itself (tests). */
  accel?: 'kvm' | 'tcg';
  /** Limit for the payload run, QEMU start included. Default 2000 ms. */
  timeoutMs?: number;
  /** A Linux kernel (vmlinuz) to boot as a second stage. */
  kernel?: string;
  kernelTimeoutMs?: number;
  /** QEMU binary (default qemu-system-x86_64 / qemu-system-aarch64). */
  qemu?: string;
  /** The KVM device (default /dev/kvm). */
  kvmDevice?: string;
}

export interface KvmProbeResult {
  proved: boolean;
  reason: string;
  elapsedMs: number;
}

function qemuArgs(opts: KvmProbeOptions, payload: string, kernelStage: boolean): string[] {
  const accel = opts.accel ?? 'kvm';
  const common = ['-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-no-reboot'];
  const kernelArgs = (console: string) =>
    opts.kernel ? ['-kernel', opts.kernel, '-append', `console=${console} panic=-1 loglevel=4`] : [];
  if (opts.arch === 'aarch64') {
    const machine = accel === 'kvm' ? 'virt,gic-version=host' : 'virt,gic-version=max';
    const cpu = accel === 'kvm' ? 'host' : 'max';
    const boot = kernelStage ? kernelArgs('ttyAMA0') : ['-kernel', payload];
    return ['-accel', accel, '-M', machine, '-cpu', cpu, '-m', '256', ...common, ...boot];
  }
  const cpu = accel === 'kvm' ? ['-cpu', 'host'] : [];
  const boot = kernelStage
    ? kernelArgs('ttyS0')
    : ['-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-drive', `file=${payload},format=raw,if=floppy`];
  return ['-accel', accel, ...cpu, '-M', 'pc', '-m', '256', ...common, ...boot];
}

async function runStage(
  qemu: string,
  args: string[],
  timeoutMs: number,
  success: RegExp,
): Promise<{ ok: boolean; output: string }> {
  try {
    const r = await run(qemu, args, { timeoutMs });
    return { ok: success.test(r.stdout), output: r.stdout + r.stderr };
  } catch (err) {
    // isa-debug-exit ends QEMU with a non-zero status: judge by the output.
    if (err instanceof ExecError) {
      const timedOut = /^timeout/.test(String(err.code));
      return { ok: !timedOut && success.test(err.stdout), output: `${err.stdout}${err.stderr}` };
    }
    return { ok: false, output: String(err) };
  }
}

export async function probeKvm(opts: KvmProbeOptions): Promise<KvmProbeResult> {
  const t0 = Date.now();
  const done = (proved: boolean, reason: string): KvmProbeResult => ({
    proved,
    reason,
    elapsedMs: Date.now() - t0,
  });
  const accel = opts.accel ?? 'kvm';
  if (accel === 'kvm') {
    try {
      await access(opts.kvmDevice ?? '/dev/kvm', constants.R_OK | constants.W_OK);
    } catch {
      return done(false, `${opts.kvmDevice ?? '/dev/kvm'} is not usable`);
    }
  }
  const qemu = opts.qemu ?? (opts.arch === 'aarch64' ? 'qemu-system-aarch64' : 'qemu-system-x86_64');
  const dir = await mkdtemp(join(tmpdir(), 'kumo-kvm-probe-'));
  try {
    const payload = join(dir, 'probe.img');
    await writeFile(payload, opts.arch === 'aarch64' ? aarch64ProbeImage() : x86ProbeImage());
    const timeoutMs = opts.timeoutMs ?? 2000;
    const first = await runStage(qemu, qemuArgs(opts, payload, false), timeoutMs, new RegExp(PROBE_MARKER));
    if (!first.ok) {
      const why = first.output.trim().split('\n').slice(-2).join(' ').slice(0, 300);
      return done(
        false,
        `probe payload did not finish under ${accel} within ${timeoutMs} ms${why ? `: ${why}` : ''}`,
      );
    }
    if (opts.kernel) {
      const limit = opts.kernelTimeoutMs ?? 15_000;
      const second = await runStage(
        qemu,
        qemuArgs(opts, payload, true),
        limit,
        /Unable to mount root fs|Kernel panic|Run \/init/,
      );
      if (!second.ok) return done(false, `a Linux kernel did not boot under ${accel} within ${limit} ms`);
      return done(true, `probe payload and a Linux kernel ran under ${accel}`);
    }
    return done(true, `probe payload ran under ${accel}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

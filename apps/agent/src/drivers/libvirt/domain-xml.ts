import type { Arch, DomainDisk, DomainInterface } from '../compute.js';
import type { DiskInfo } from '../storage.js';
import type { CheckedSpec, Machine } from './spec.js';
import { configDriveBus } from './spec.js';
import { esc } from './xml.js';

/**
 * Domain XML, generated here and nowhere else: pure functions of a checked
 * spec plus what the driver resolved (disk sources, paths, domain type).
 */

export const KUMO_XMLNS = 'https://kumo.dev/xmlns/libvirt/1';
export const DISK_ALIAS_PREFIX = 'ua-disk-';
export const VIF_ALIAS_PREFIX = 'ua-vif-';
export const CONFIG_DRIVE_ALIAS = 'ua-config-drive';

export interface FirmwarePair {
  code: string;
  vars: string;
}

/** UEFI firmware: always on aarch64, on x86_64 when the image asks (hw_firmware_type=uefi). */
export type FirmwarePaths = Record<Arch, FirmwarePair>;

export const DEFAULT_FIRMWARE: FirmwarePaths = {
  x86_64: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' },
  aarch64: { code: '/usr/share/AAVMF/AAVMF_CODE.fd', vars: '/usr/share/AAVMF/AAVMF_VARS.fd' },
};

/** Where RBD disks live: monitors and the cephx user whose key is a libvirt secret. */
export interface RbdConfig {
  hosts: { name: string; port?: number }[];
  user?: string;
  secretUuid?: string;
}

export type DiskSource = DiskInfo['source'];

/** A disk with its backing resolved and its target name chosen. */
export interface PlacedDisk {
  disk: DomainDisk;
  source: DiskSource;
  format: DiskInfo['format'];
  target: string;
}

export interface DomainXmlInput {
  spec: CheckedSpec;
  type: 'kvm' | 'qemu';
  name: string;
  uuid: string;
  disks: PlacedDisk[];
  /** The config-drive ISO, already placed (see placeDisks). */
  configDrive?: { path: string; target: string; bus: DomainDisk['bus'] };
  consoleLog: string;
  /** The per-domain UEFI variable store (used when UEFI). */
  nvram: string;
  firmware: FirmwarePaths;
  rbd?: RbdConfig;
  diskCache: 'none' | 'writeback' | 'writethrough' | 'directsync' | 'unsafe';
  /** Spare PCIe root ports for hot-plug on q35/virt. */
  hotplugPorts: number;
  specHash: string;
}

const PREFIX: Record<DomainDisk['bus'], string> = { virtio: 'vd', sata: 'sd', scsi: 'sd', ide: 'hd' };

/** 'a', 'b', …, 'z', 'aa', 'ab', … as libvirt names disks. */
export function diskLetters(index: number): string {
  let s = '';
  let n = index;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return s;
}

/** The first free target name on `bus` (vda, sdb, hdc, …) not in `used`. */
export function nextTarget(bus: DomainDisk['bus'], used: Iterable<string>): string {
  const taken = new Set(used);
  const limit = bus === 'ide' ? 4 : 26 * 27;
  for (let i = 0; i < limit; i++) {
    const t = PREFIX[bus] + diskLetters(i);
    if (!taken.has(t)) return t;
  }
  throw new Error(`no free ${bus} target`);
}

/** Give every disk a target, in spec order; the config drive comes last. */
export function placeDisks(
  spec: CheckedSpec,
  resolved: Map<string, DiskInfo>,
  configDrivePath?: string,
): { disks: PlacedDisk[]; configDrive?: DomainXmlInput['configDrive'] } {
  const used: string[] = [];
  const disks = spec.disks.map((disk) => {
    const info = resolved.get(disk.disk);
    if (!info) throw new Error(`disk ${disk.disk} was not resolved`);
    const target = nextTarget(disk.bus, used);
    used.push(target);
    return { disk, source: info.source, format: info.format, target };
  });
  if (!configDrivePath) return { disks };
  const bus = configDriveBus(spec.machine);
  return { disks, configDrive: { path: configDrivePath, bus, target: nextTarget(bus, used) } };
}

/** The `<disk>` element of one disk (also used for hot-plug). */
export function diskXml(
  d: PlacedDisk,
  opts: { cache: DomainXmlInput['diskCache']; rbd?: RbdConfig; bootOrder?: number },
): string {
  const { disk, source } = d;
  const lines: string[] = [];
  const cache = disk.device === 'cdrom' ? '' : ` cache='${esc(opts.cache)}'`;
  const discard = disk.device === 'disk' && !disk.readOnly ? ` discard='unmap'` : '';
  if (source.type === 'file') {
    lines.push(`<disk type='file' device='${disk.device}'>`);
    lines.push(`  <driver name='qemu' type='${d.format}'${cache}${discard}/>`);
    lines.push(`  <source file='${esc(source.path)}'/>`);
  } else {
    lines.push(`<disk type='network' device='${disk.device}'>`);
    lines.push(`  <driver name='qemu' type='raw'${cache}${discard}/>`);
    const rbd = opts.rbd;
    if (rbd?.user && rbd.secretUuid) {
      lines.push(`  <auth username='${esc(rbd.user)}'>`);
      lines.push(`    <secret type='ceph' uuid='${esc(rbd.secretUuid)}'/>`);
      lines.push('  </auth>');
    }
    const hosts = rbd?.hosts ?? [];
    const name = esc(`${source.pool}/${source.image}`);
    if (hosts.length === 0) {
      lines.push(`  <source protocol='rbd' name='${name}'/>`);
    } else {
      lines.push(`  <source protocol='rbd' name='${name}'>`);
      for (const h of hosts) {
        const port = h.port ? ` port='${h.port}'` : '';
        lines.push(`    <host name='${esc(h.name)}'${port}/>`);
      }
      lines.push('  </source>');
    }
  }
  lines.push(`  <target dev='${d.target}' bus='${disk.bus}'/>`);
  const q = disk.qos;
  if (q && Object.values(q).some((v) => v !== undefined && v > 0)) {
    lines.push('  <iotune>');
    if (q.readBytesSec) lines.push(`    <read_bytes_sec>${q.readBytesSec}</read_bytes_sec>`);
    if (q.writeBytesSec) lines.push(`    <write_bytes_sec>${q.writeBytesSec}</write_bytes_sec>`);
    if (q.readIopsSec) lines.push(`    <read_iops_sec>${q.readIopsSec}</read_iops_sec>`);
    if (q.writeIopsSec) lines.push(`    <write_iops_sec>${q.writeIopsSec}</write_iops_sec>`);
    lines.push('  </iotune>');
  }
  if (opts.bootOrder) lines.push(`  <boot order='${opts.bootOrder}'/>`);
  if (disk.readOnly || disk.device === 'cdrom') lines.push('  <readonly/>');
  if (disk.bus === 'virtio') lines.push(`  <serial>${esc(disk.disk)}</serial>`);
  lines.push(`  <alias name='${DISK_ALIAS_PREFIX}${disk.disk}'/>`);
  lines.push('</disk>');
  return lines.join('\n');
}

/**
 * The `<interface>` element of one vif (also used for hot-plug). With `targetDev` the network
 * driver made the tap already (ovn: a port of br-int with iface-id = the vif): libvirt opens it
 * as is (type='ethernet', managed='no') and leaves it in place when the guest goes; a virtio
 * guest's checksum offload is off (see below). Otherwise libvirt makes a tap and plugs it into
 * the Linux bridge.
 */
export function interfaceXml(iface: DomainInterface): string {
  const plug = iface.targetDev
    ? [`<interface type='ethernet'>`, `  <mac address='${esc(iface.mac)}'/>`]
    : [
        `<interface type='bridge'>`,
        `  <mac address='${esc(iface.mac)}'/>`,
        `  <source bridge='${esc(iface.bridge)}'/>`,
      ];
  if (iface.targetDev) {
    plug.push(`  <target dev='${esc(iface.targetDev)}' managed='no'/>`);
    // The guest computes its own checksums: OVS's userspace datapath reads the tap without vnet
    // headers and would forward the guest's partial checksums unfinished (ICMP and DHCP work, TCP
    // does not). Costs guest TSO on kernel-datapath hosts; a per-binding setting can lift it later.
    if ((iface.model ?? 'virtio') === 'virtio')
      plug.push(
        `  <driver name='qemu'><host csum='off' gso='off' tso4='off' tso6='off' ecn='off' ufo='off'/></driver>`,
      );
  }
  return [
    ...plug,
    `  <model type='${iface.model ?? 'virtio'}'/>`,
    `  <alias name='${VIF_ALIAS_PREFIX}${iface.vif}'/>`,
    '</interface>',
  ].join('\n');
}

function configDriveXml(cd: NonNullable<DomainXmlInput['configDrive']>): string {
  return [
    `<disk type='file' device='cdrom'>`,
    `  <driver name='qemu' type='raw'/>`,
    `  <source file='${esc(cd.path)}'/>`,
    `  <target dev='${cd.target}' bus='${cd.bus}'/>`,
    '  <readonly/>',
    `  <alias name='${CONFIG_DRIVE_ALIAS}'/>`,
    '</disk>',
  ].join('\n');
}

function indent(block: string, by: string): string {
  return block
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

export function usesUefi(spec: CheckedSpec): boolean {
  return spec.arch === 'aarch64' || spec.properties?.hw_firmware_type === 'uefi';
}

function osXml(input: DomainXmlInput): string[] {
  const { spec } = input;
  const lines = ['  <os>', `    <type arch='${spec.arch}' machine='${spec.machine}'>hvm</type>`];
  if (usesUefi(spec)) {
    const fw = input.firmware[spec.arch];
    lines.push(`    <loader readonly='yes' type='pflash'>${esc(fw.code)}</loader>`);
    lines.push(`    <nvram template='${esc(fw.vars)}'>${esc(input.nvram)}</nvram>`);
  }
  lines.push('  </os>');
  return lines;
}

function cpuXml(input: DomainXmlInput): string {
  // KVM: the host CPU as is. TCG: the richest CPU the emulator offers
  // (aarch64 `virt` would otherwise default to a 32-bit Cortex-A15).
  return input.type === 'kvm'
    ? `  <cpu mode='host-passthrough' check='none' migratable='on'/>`
    : `  <cpu mode='maximum' check='none'/>`;
}

function featuresXml(spec: CheckedSpec, type: DomainXmlInput['type']): string[] {
  if (spec.arch === 'aarch64') {
    return [
      '  <features>',
      '    <acpi/>',
      `    <gic version='${type === 'kvm' ? 'host' : '3'}'/>`,
      '  </features>',
    ];
  }
  return ['  <features>', '    <acpi/>', '    <apic/>', '  </features>'];
}

/** PCIe machines need root ports to hot-plug into: one per device plus spares. */
function rootPorts(input: DomainXmlInput): number {
  if (input.spec.machine === 'pc') return 0;
  const virtio = input.disks.filter((d) => d.disk.bus === 'virtio').length;
  const scsi = input.disks.some((d) => d.disk.bus === 'scsi') || input.configDrive?.bus === 'scsi' ? 1 : 0;
  const usb = input.spec.arch === 'aarch64' ? 1 : 0;
  const video = input.spec.arch === 'aarch64' ? 1 : 0;
  // + rng + memballoon (+ guest agent serial controller)
  const fixed = 2 + (input.spec.properties?.hw_qemu_guest_agent === 'yes' ? 1 : 0);
  return virtio + input.spec.interfaces.length + scsi + usb + video + fixed + input.hotplugPorts;
}

function metadataXml(input: DomainXmlInput): string[] {
  return [
    '  <metadata>',
    `    <kumo:instance xmlns:kumo='${KUMO_XMLNS}'>`,
    `      <kumo:id>${esc(input.spec.instance)}</kumo:id>`,
    `      <kumo:name>${esc(input.spec.name)}</kumo:name>`,
    `      <kumo:spec-hash>${esc(input.specHash)}</kumo:spec-hash>`,
    '    </kumo:instance>',
    '  </metadata>',
  ];
}

function devicesXml(input: DomainXmlInput): string[] {
  const { spec } = input;
  const lines: string[] = ['  <devices>'];
  const bootIndex = input.disks.findIndex((d) => d.disk.boot);
  const boot = bootIndex >= 0 ? bootIndex : input.disks.findIndex((d) => d.disk.device === 'disk');
  input.disks.forEach((d, i) => {
    const xml = diskXml(d, { cache: input.diskCache, rbd: input.rbd, bootOrder: i === boot ? 1 : undefined });
    lines.push(indent(xml, '    '));
  });
  if (input.configDrive) lines.push(indent(configDriveXml(input.configDrive), '    '));
  for (const iface of spec.interfaces) lines.push(indent(interfaceXml(iface), '    '));
  const usesScsi = input.disks.some((d) => d.disk.bus === 'scsi') || input.configDrive?.bus === 'scsi';
  if (usesScsi) lines.push(`    <controller type='scsi' index='0' model='virtio-scsi'/>`);
  const ports = rootPorts(input);
  if (ports > 0) lines.push(`    <controller type='pci' index='0' model='pcie-root'/>`);
  for (let i = 0; i < ports; i++) lines.push(`    <controller type='pci' model='pcie-root-port'/>`);
  const log = esc(input.consoleLog);
  lines.push(
    `    <serial type='file'>`,
    `      <source path='${log}' append='on'/>`,
    `      <target port='0'/>`,
    '    </serial>',
    `    <console type='file'>`,
    `      <source path='${log}' append='on'/>`,
    `      <target type='serial' port='0'/>`,
    '    </console>',
  );
  if (spec.properties?.hw_qemu_guest_agent === 'yes') {
    lines.push(
      `    <channel type='unix'>`,
      `      <target type='virtio' name='org.qemu.guest_agent.0'/>`,
      '    </channel>',
    );
  }
  if (spec.arch === 'aarch64') {
    lines.push(
      `    <controller type='usb' model='qemu-xhci'/>`,
      `    <input type='keyboard' bus='usb'/>`,
      `    <input type='tablet' bus='usb'/>`,
    );
  } else {
    lines.push(`    <controller type='usb' model='none'/>`);
  }
  lines.push(
    `    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'>`,
    `      <listen type='address' address='127.0.0.1'/>`,
    '    </graphics>',
    '    <video>',
    `      <model type='${spec.arch === 'aarch64' ? 'virtio' : 'vga'}' heads='1' primary='yes'/>`,
    '    </video>',
    `    <memballoon model='virtio'/>`,
    `    <rng model='virtio'>`,
    `      <backend model='random'>/dev/urandom</backend>`,
    '    </rng>',
    '  </devices>',
  );
  return lines;
}

/** The whole domain definition. */
export function domainXml(input: DomainXmlInput): string {
  const { spec } = input;
  const lines = [
    `<domain type='${input.type}'>`,
    `  <name>${esc(input.name)}</name>`,
    `  <uuid>${esc(input.uuid)}</uuid>`,
    `  <title>${esc(spec.name.replace(/[\r\n]+/g, ' '))}</title>`,
    ...metadataXml(input),
    `  <memory unit='MiB'>${spec.memoryMb}</memory>`,
    `  <currentMemory unit='MiB'>${spec.memoryMb}</currentMemory>`,
    `  <vcpu placement='static'>${spec.vcpus}</vcpu>`,
    ...osXml(input),
    ...featuresXml(spec, input.type),
    cpuXml(input),
    `  <clock offset='utc'/>`,
    '  <on_poweroff>destroy</on_poweroff>',
    '  <on_reboot>restart</on_reboot>',
    '  <on_crash>destroy</on_crash>',
    ...devicesXml(input),
    '</domain>',
  ];
  return `${lines.join('\n')}\n`;
}

export type { Machine };

import type { DomainStatus, PowerState } from '../compute.js';
import { CONFIG_DRIVE_ALIAS, DISK_ALIAS_PREFIX, VIF_ALIAS_PREFIX } from './domain-xml.js';
import type { Machine } from './spec.js';
import type { VirshState } from './virsh.js';
import { child, children, parseXml } from './xml.js';

/** What the driver reads back from `virsh dumpxml`. */
export interface ParsedDomain {
  name: string;
  uuid: string;
  instance?: string;
  /** The display name kept in Kumo's metadata. */
  displayName?: string;
  specHash?: string;
  vcpus: number;
  memoryMb: number;
  /** Our machine kind, from `<type machine=…>` (pc-q35-7.2 → q35, pc-i440fx-7.2 → pc). */
  machine: Machine;
  disks: { disk: string; target: string; bus: string; device: string; readOnly: boolean; boot: boolean }[];
  configDrive?: { target: string };
  /** `targetDev` only for type='ethernet' (a tap the network driver made); bridge only for type='bridge'. */
  interfaces: { vif: string; mac: string; bridge?: string; model?: string; targetDev?: string }[];
  vnc?: { host: string; port: number };
  /** Every disk target in use (Kumo disks, the config drive, anything else). */
  targets: string[];
}

const UNIT_TO_MIB: Record<string, number> = {
  b: 1 / 1048576,
  bytes: 1 / 1048576,
  k: 1 / 1024,
  kib: 1 / 1024,
  kb: 1000 / 1048576,
  m: 1,
  mib: 1,
  mb: 1e6 / 1048576,
  g: 1024,
  gib: 1024,
  gb: 1e9 / 1048576,
};

function mib(value: string | undefined, unit = 'KiB'): number {
  const n = Number(value ?? 0);
  return Math.round(n * (UNIT_TO_MIB[unit.toLowerCase()] ?? 1 / 1024));
}

export function machineKind(machine: string | undefined, arch: string | undefined): Machine {
  if (arch === 'aarch64' || machine?.startsWith('virt')) return 'virt';
  if (machine === 'q35' || machine?.includes('q35')) return 'q35';
  return 'pc';
}

export function parseDomainXml(xml: string): ParsedDomain {
  const dom = parseXml(xml);
  const meta = child(dom, 'metadata/kumo:instance');
  const devices = child(dom, 'devices');
  const disks: ParsedDomain['disks'] = [];
  const targets: string[] = [];
  let configDrive: ParsedDomain['configDrive'];
  for (const d of children(devices, 'disk')) {
    const target = child(d, 'target')?.attrs.dev;
    if (!target) continue;
    targets.push(target);
    const alias = child(d, 'alias')?.attrs.name ?? '';
    if (alias === CONFIG_DRIVE_ALIAS) configDrive = { target };
    else if (alias.startsWith(DISK_ALIAS_PREFIX)) {
      disks.push({
        disk: alias.slice(DISK_ALIAS_PREFIX.length),
        target,
        bus: child(d, 'target')?.attrs.bus ?? '',
        device: d.attrs.device ?? 'disk',
        readOnly: child(d, 'readonly') !== undefined,
        boot: child(d, 'boot') !== undefined,
      });
    }
  }
  const interfaces: ParsedDomain['interfaces'] = [];
  for (const i of children(devices, 'interface')) {
    const alias = child(i, 'alias')?.attrs.name ?? '';
    const mac = child(i, 'mac')?.attrs.address;
    if (!alias.startsWith(VIF_ALIAS_PREFIX) || !mac) continue;
    const ethernet = i.attrs.type === 'ethernet';
    interfaces.push({
      vif: alias.slice(VIF_ALIAS_PREFIX.length),
      mac,
      bridge: ethernet ? undefined : child(i, 'source')?.attrs.bridge,
      model: child(i, 'model')?.attrs.type,
      ...(ethernet ? { targetDev: child(i, 'target')?.attrs.dev } : {}),
    });
  }
  let vnc: ParsedDomain['vnc'];
  const g = children(devices, 'graphics').find((x) => x.attrs.type === 'vnc');
  const port = Number(g?.attrs.port ?? -1);
  if (g && port > 0) vnc = { host: g.attrs.listen ?? child(g, 'listen')?.attrs.address ?? '127.0.0.1', port };
  const memory = child(dom, 'currentMemory') ?? child(dom, 'memory');
  return {
    name: child(dom, 'name')?.text.trim() ?? '',
    uuid: child(dom, 'uuid')?.text.trim() ?? '',
    instance: child(meta, 'kumo:id')?.text.trim() || undefined,
    displayName: child(meta, 'kumo:name')?.text,
    specHash: child(meta, 'kumo:spec-hash')?.text.trim() || undefined,
    vcpus: Number(child(dom, 'vcpu')?.text.trim() ?? 0),
    machine: machineKind(child(dom, 'os/type')?.attrs.machine, child(dom, 'os/type')?.attrs.arch),
    memoryMb: mib(memory?.text.trim(), memory?.attrs.unit),
    disks,
    configDrive,
    interfaces,
    vnc,
    targets,
  };
}

/** Where an interface plugs in, comparable between a spec and a parsed domain. */
export function interfacePlug(i: { bridge?: string; targetDev?: string }): string {
  return i.targetDev ? `tap:${i.targetDev}` : `bridge:${i.bridge}`;
}

export function powerState(state: VirshState | undefined): PowerState {
  switch (state) {
    case 'running':
    case 'idle':
    case 'in shutdown':
      return 'running';
    case 'paused':
    case 'pmsuspended':
      return 'paused';
    case 'shut off':
      return 'shutoff';
    case 'crashed':
      return 'crashed';
    default:
      return 'nostate';
  }
}

export function toStatus(instance: string, state: VirshState | undefined, d: ParsedDomain): DomainStatus {
  const power = powerState(state);
  const status: DomainStatus = {
    instance,
    power,
    vcpus: d.vcpus,
    memoryMb: d.memoryMb,
    disks: d.disks.map(({ disk, target }) => ({ disk, target })),
    interfaces: d.interfaces.map(({ vif, mac }) => ({ vif, mac })),
  };
  if (d.vnc && (power === 'running' || power === 'paused')) status.vnc = d.vnc;
  return status;
}

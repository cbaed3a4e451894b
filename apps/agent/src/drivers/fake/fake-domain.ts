import type { DomainDisk, DomainSpec } from '../compute.js';
import type { DiskId } from '../ids.js';

const PREFIX: Record<DomainDisk['bus'], string> = { virtio: 'vd', sata: 'sd', scsi: 'sd', ide: 'hd' };

/** Target device name for index i: a…z, aa…zz (as libvirt names them). */
export function targetName(prefix: string, i: number): string {
  const letter = (n: number) => String.fromCharCode(97 + n);
  return i < 26 ? prefix + letter(i) : prefix + letter(Math.floor(i / 26) - 1) + letter(i % 26);
}

/**
 * Targets (vda, vdb, sda, hdc…) for a disk list: a disk keeps the target it
 * had; a new one takes the first free name of its bus prefix.
 */
export function assignTargets(disks: DomainDisk[], previous: Map<DiskId, string>): Map<DiskId, string> {
  const out = new Map<DiskId, string>();
  const used = new Set<string>();
  for (const d of disks) {
    const t = previous.get(d.disk);
    if (t?.startsWith(PREFIX[d.bus])) {
      out.set(d.disk, t);
      used.add(t);
    }
  }
  for (const d of disks) {
    if (out.has(d.disk)) continue;
    let i = 0;
    while (used.has(targetName(PREFIX[d.bus], i))) i++;
    const t = targetName(PREFIX[d.bus], i);
    out.set(d.disk, t);
    used.add(t);
  }
  return out;
}

/** JSON equality with object keys in any order (specs, disks, interfaces). */
export function sameJson(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * The line the fake guest prints once booted — the same facts the real guest
 * image prints: hostname (from the config drive, else the domain name),
 * instance uuid and IP.
 */
export function readyLine(spec: DomainSpec): string {
  const meta = spec.configDrive?.metaData ?? {};
  const hostname = typeof meta.hostname === 'string' ? meta.hostname : spec.name;
  const ip = spec.interfaces.length ? '10.0.0.2' : 'none';
  return `KUMO-GUEST READY hostname=${hostname} uuid=${spec.instance} ip=${ip}\r\n`;
}

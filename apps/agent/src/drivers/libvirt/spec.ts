import type { Arch, DomainDisk, DomainInterface, DomainSpec } from '../compute.js';
import { checkDomainDisk, checkDomainInterface, checkDomainSpec } from '../fake/spec-checks.js';
import { DriverError } from '../ids.js';

/**
 * Validation of what the libvirt driver is asked to build. The shared checks
 * (the same every driver applies) come first; then what libvirt adds: which
 * buses a machine type has. Everything that reaches domain XML or a command
 * line passed through here, so bad input is DriverError('invalid').
 */

export type Machine = 'q35' | 'pc' | 'virt';

/** A spec after validation, with arch and machine filled in. */
export type CheckedSpec = DomainSpec & { arch: Arch; machine: Machine };

function invalid(message: string): DriverError {
  return new DriverError('invalid', message);
}

/** Which buses a machine type can carry. */
export function busesFor(machine: Machine): readonly DomainDisk['bus'][] {
  if (machine === 'q35') return ['virtio', 'sata', 'scsi'];
  if (machine === 'pc') return ['virtio', 'sata', 'ide', 'scsi'];
  return ['virtio', 'scsi'];
}

/** The bus the config drive cdrom goes on: sata on q35, ide on pc, scsi on ARM virt. */
export function configDriveBus(machine: Machine): DomainDisk['bus'] {
  return machine === 'q35' ? 'sata' : machine === 'pc' ? 'ide' : 'scsi';
}

export function checkDisk(disk: unknown, machine: Machine): DomainDisk {
  const d = checkDomainDisk(disk);
  if (!busesFor(machine).includes(d.bus)) {
    throw invalid(`disk ${d.disk}: bus ${d.bus} is not available on machine ${machine}`);
  }
  if (d.device === 'cdrom' && d.bus === 'virtio')
    throw invalid(`disk ${d.disk}: a cdrom cannot be on the virtio bus`);
  return d;
}

export function checkInterface(iface: unknown): DomainInterface {
  return checkDomainInterface(iface);
}

/** Validate a spec for a host of `hostArch`; throws DriverError('invalid'). */
export function checkSpec(spec: unknown, hostArch: Arch): CheckedSpec {
  const s = checkDomainSpec(spec, hostArch);
  const arch = s.arch ?? hostArch;
  const machine: Machine = s.machine ?? (arch === 'aarch64' ? 'virt' : 'q35');
  const disks = s.disks.map((d) => checkDisk(d, machine));
  const ide = disks.filter((d) => d.bus === 'ide').length + (s.configDrive && machine === 'pc' ? 1 : 0);
  if (ide > 4) throw invalid('at most 4 IDE devices (config drive included)');
  return { ...s, arch, machine, disks };
}

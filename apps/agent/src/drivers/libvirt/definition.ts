import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { DiskId } from '../ids.js';
import type { DiskInfo } from '../storage.js';
import { configDriveFiles, writeConfigDrive } from './config-drive.js';
import { interfacePlug, type ParsedDomain } from './domain-status.js';
import {
  type DomainXmlInput,
  domainXml,
  type FirmwarePaths,
  placeDisks,
  type RbdConfig,
} from './domain-xml.js';
import { domainName, domainUuid, type InstancePaths, instancePaths } from './naming.js';
import type { CheckedSpec } from './spec.js';

/**
 * A domain's definition: its XML (disks resolved through the storage driver)
 * and a hash of everything that shapes it, kept in the domain's metadata so
 * that ensuring the same spec again is recognised without a diff.
 */

export interface DefinitionOptions {
  instancesDir: string;
  hypervisor: 'kvm' | 'qemu';
  firmware: FirmwarePaths;
  rbd?: RbdConfig;
  diskCache: DomainXmlInput['diskCache'];
  hotplugPorts: number;
  resolveDisk: (disk: DiskId) => Promise<DiskInfo>;
}

export interface Definition {
  spec: CheckedSpec;
  name: string;
  paths: InstancePaths;
  xml: string;
  hash: string;
}

export async function planDefinition(spec: CheckedSpec, o: DefinitionOptions): Promise<Definition> {
  const paths = instancePaths(o.instancesDir, spec.instance);
  const resolved = new Map<string, DiskInfo>();
  for (const d of spec.disks) resolved.set(d.disk, await o.resolveDisk(d.disk));
  const input: DomainXmlInput = {
    spec,
    type: o.hypervisor,
    name: domainName(spec.instance),
    uuid: domainUuid(spec.instance),
    ...placeDisks(spec, resolved, spec.configDrive ? paths.configDrive : undefined),
    consoleLog: paths.consoleLog,
    nvram: paths.nvram,
    firmware: o.firmware,
    rbd: o.rbd,
    diskCache: o.diskCache,
    hotplugPorts: o.hotplugPorts,
    specHash: '',
  };
  const hash = createHash('sha256')
    .update(domainXml(input))
    .update(JSON.stringify(spec.configDrive ?? null))
    .digest('hex');
  return { spec, name: input.name, paths, xml: domainXml({ ...input, specHash: hash }), hash };
}

/** The instance directory, the config drive (or its absence) and domain.xml, ready for `virsh define`. */
export async function writeDefinitionFiles(def: Definition, genisoimage?: string): Promise<void> {
  const { spec, paths } = def;
  await mkdir(paths.dir, { recursive: true, mode: 0o755 });
  if (spec.configDrive) {
    const files = configDriveFiles(spec.instance, spec.name, spec.configDrive);
    await writeConfigDrive(paths.configDrive, files, { genisoimage });
  } else {
    await rm(paths.configDrive, { force: true });
  }
  await writeFile(paths.domainXml, def.xml);
}

/** Whether a live domain already is what the spec asks (so ensuring it while it runs is a no-op). */
export function sameShape(live: ParsedDomain, s: CheckedSpec): boolean {
  const disks = (xs: { disk: string; bus: string; device: string; readOnly?: boolean }[]) =>
    xs.map((x) => `${x.disk}/${x.bus}/${x.device}/${x.readOnly === true}`).sort();
  const vifs = (xs: { vif: string; mac: string; bridge?: string; model?: string; targetDev?: string }[]) =>
    xs.map((x) => `${x.vif}/${x.mac.toLowerCase()}/${interfacePlug(x)}/${x.model ?? 'virtio'}`).sort();
  return (
    live.vcpus === s.vcpus &&
    live.memoryMb === s.memoryMb &&
    live.displayName === s.name &&
    JSON.stringify(disks(live.disks)) === JSON.stringify(disks(s.disks)) &&
    JSON.stringify(vifs(live.interfaces)) === JSON.stringify(vifs(s.interfaces))
  );
}

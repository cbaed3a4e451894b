import { createHash } from 'node:crypto';
import * as P from '@kumo/agent-proto';
import type { ServerRow } from '../db/worker.repo.js';
import type { FlavorSnapshot } from '../domain/server-record.js';
import { type GuestNic, networkData } from './network-data.js';

/** A server's NICs as the domain plugs them and the config drive describes them (guest order). */
export interface GuestNetwork {
  interfaces: P.DomainInterface[];
  nics: GuestNic[];
}

export const NO_NETWORK: GuestNetwork = { interfaces: [], nics: [] };

/** The fields of a Glance v2 image the sagas read; custom properties are top-level keys. */
export interface GlanceImage {
  id: string;
  status?: string;
  size?: number | null;
  virtual_size?: number | null;
  os_hash_algo?: string | null;
  os_hash_value?: string | null;
  min_disk?: number;
  [key: string]: unknown;
}

export const GiB = 1024 ** 3;
export const rootDiskId = (serverId: string) => `${serverId}-root`;

/** Image properties that shape the guest or the placement (hw_*, architecture, img_*, hypervisor_type). */
export function imageProperties(image: GlanceImage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(image)) {
    if (typeof v !== 'string' || v.length > 4096) continue;
    if (k.startsWith('hw_') || k.startsWith('img_') || k === 'architecture' || k === 'hypervisor_type')
      out[k] = v;
  }
  return out;
}

/** Placement resources of a flavor (Nova: root + ephemeral + swap rounded up to GB). */
export function flavorResources(f: FlavorSnapshot): { VCPU: number; MEMORY_MB: number; DISK_GB: number } {
  return {
    VCPU: f.vcpus,
    MEMORY_MB: f.ramMb,
    DISK_GB: f.diskGb + f.ephemeralGb + Math.ceil(f.swapMb / 1024),
  };
}

/** Root disk size: the flavor's disk, or the image's virtual size when the flavor says 0. */
export function rootDiskBytes(f: FlavorSnapshot, image: GlanceImage, cachedVirtual?: number): number {
  if (f.diskGb > 0) return f.diskGb * GiB;
  const min = Math.max(Number(image.virtual_size ?? 0), Number(image.size ?? 0), cachedVirtual ?? 0, 512);
  return Math.ceil(min / 512) * 512;
}

/**
 * 512 bytes of seed, derived from the server's own ids so the spec is the
 * same on every retry (ensureDomain must stay idempotent).
 */
function seedOf(s: ServerRow): string {
  const parts = Array.from({ length: 8 }, (_, i) =>
    createHash('sha512').update(`${i}:${s.id}:${s.reservationId}:${s.createdAt.getTime()}`).digest(),
  );
  return Buffer.concat(parts).toString('base64');
}

function decodeUserData(b64: string | null): string | undefined {
  if (!b64) return undefined;
  return Buffer.from(b64, 'base64').toString('utf8');
}

/**
 * The config drive: always attached (like Nova's force_config_drive), so a
 * guest finds its hostname, keys and user data without a metadata service.
 */
export function configDrive(
  s: ServerRow,
  meta: Record<string, string>,
  net: GuestNetwork = NO_NETWORK,
): P.ConfigDrive {
  const metaData = {
    uuid: s.id,
    name: s.name,
    hostname: s.hostname,
    availability_zone: s.availabilityZone ?? 'nova',
    launch_index: s.launchIndex,
    project_id: s.projectId,
    public_keys: s.keyName && s.keyData ? { [s.keyName]: s.keyData } : {},
    ...(s.keyName && s.keyData ? { keys: [{ name: s.keyName, type: 'ssh', data: s.keyData }] } : {}),
    meta,
    devices: devicesOf(net),
    random_seed: seedOf(s),
  };
  return {
    metaDataJson: JSON.stringify(metaData),
    userData: decodeUserData(s.userData),
    networkDataJson: JSON.stringify(networkData(net.nics)),
  };
}

const archOf: Record<string, P.Arch> = {
  x86_64: P.Arch.X86_64,
  amd64: P.Arch.X86_64,
  aarch64: P.Arch.AARCH64,
  arm64: P.Arch.AARCH64,
};

/** Device tags of the NICs (meta_data.json `devices`): the ones requested with a `tag`. */
function devicesOf(net: GuestNetwork): Record<string, unknown>[] {
  return net.nics.flatMap((nic) =>
    nic.tag ? [{ type: 'nic', bus: 'pci', mac: nic.port.mac_address, tags: [nic.tag] }] : [],
  );
}

/** The agent's DomainSpec for a server with `flavor`: root disk, its NICs and the config drive. */
export function domainSpec(
  s: ServerRow,
  flavor: FlavorSnapshot,
  props: Record<string, string>,
  meta: Record<string, string>,
  net: GuestNetwork = NO_NETWORK,
): P.DomainSpec {
  const arch = props.hw_architecture ?? props.architecture;
  const properties = Object.fromEntries(Object.entries(props).filter(([k]) => k.startsWith('hw_')));
  return {
    instanceId: s.id,
    name: s.name.slice(0, 255) || s.id,
    vcpus: flavor.vcpus,
    memoryMb: flavor.ramMb,
    arch: (arch && archOf[arch]) || P.Arch.UNSPECIFIED,
    machine: P.Machine.UNSPECIFIED,
    disks: [
      {
        diskId: rootDiskId(s.id),
        bus: P.DiskBus.VIRTIO,
        device: P.DiskDevice.DISK,
        readOnly: false,
        boot: true,
      },
    ],
    interfaces: net.interfaces,
    configDrive: configDrive(s, meta, net),
    properties,
  };
}

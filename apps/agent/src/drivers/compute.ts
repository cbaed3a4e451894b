import type { DiskId, ImageId, InstanceId, VifId } from './ids.js';

export type Arch = 'x86_64' | 'aarch64';
export type PowerState = 'running' | 'paused' | 'shutoff' | 'crashed' | 'nostate';

export interface ComputeCapabilities {
  /** 'kvm' only where a boot probe proved it works, else 'qemu' (TCG). */
  hypervisor: 'kvm' | 'qemu' | 'fake';
  arch: Arch;
  hotplugDisk: boolean;
  hotplugInterface: boolean;
  pause: boolean;
  configDrive: boolean;
  serialConsoleLog: boolean;
}

export interface HostInfo {
  hostname: string;
  arch: Arch;
  cpuModel: string;
  cpus: number;
  numaCells: { id: number; cpus: number[]; memoryMb: number }[];
  memoryMb: number;
  /** Bytes free and total under the storage root. */
  diskTotalBytes: number;
  diskFreeBytes: number;
  hypervisor: 'kvm' | 'qemu' | 'fake';
  kvmProved: boolean;
}

/** A disk as the domain sees it; the storage driver resolves `disk` to its backing. */
export interface DomainDisk {
  disk: DiskId;
  bus: 'virtio' | 'sata' | 'ide' | 'scsi';
  device: 'disk' | 'cdrom';
  readOnly?: boolean;
  boot?: boolean;
  /** Bytes per second / IOPS limits (disk QoS hook), optional. */
  qos?: { readBytesSec?: number; writeBytesSec?: number; readIopsSec?: number; writeIopsSec?: number };
}

export interface DomainInterface {
  vif: VifId;
  mac: string;
  /** The bridge to plug into (Linux bridge backend); informational when `targetDev` is set. */
  bridge: string;
  model?: 'virtio' | 'e1000';
  /**
   * An existing tap the network driver prepared (VifBinding.targetDev, e.g. the ovn backend's
   * tap in br-int): the guest uses it as is instead of plugging into `bridge`.
   */
  targetDev?: string;
}

export interface ConfigDrive {
  /** OpenStack metadata (openstack/latest/meta_data.json). */
  metaData: Record<string, unknown>;
  userData?: string;
  networkData?: Record<string, unknown>;
  vendorData?: Record<string, unknown>;
}

export interface DomainSpec {
  instance: InstanceId;
  name: string;
  vcpus: number;
  memoryMb: number;
  arch?: Arch;
  machine?: 'q35' | 'pc' | 'virt';
  disks: DomainDisk[];
  interfaces: DomainInterface[];
  configDrive?: ConfigDrive;
  /** Extra image properties that shape the guest (e.g. hw_firmware_type: uefi). */
  properties?: Record<string, string>;
}

export interface DomainStatus {
  instance: InstanceId;
  power: PowerState;
  vcpus: number;
  memoryMb: number;
  disks: { disk: DiskId; target: string }[];
  interfaces: { vif: VifId; mac: string }[];
  /** VNC on localhost, when the driver offers graphics. */
  vnc?: { host: string; port: number };
}

export type HostEvent =
  | {
      type: 'started' | 'stopped' | 'paused' | 'resumed' | 'crashed' | 'shutoff_by_guest';
      instance: InstanceId;
      at: number;
    }
  | { type: 'heartbeat'; at: number };

/**
 * The compute driver contract. Every verb is idempotent: `ensure*` on a domain
 * that already matches is a no-op; stop on a stopped domain, destroy on a gone
 * one, succeed. Unknown instances throw DriverError('not_found') where the verb
 * needs one.
 */
export interface ComputeDriver {
  readonly capabilities: ComputeCapabilities;
  hostInfo(): Promise<HostInfo>;
  /** Define (or redefine while shut off) the domain; does not start it. */
  ensureDomain(spec: DomainSpec): Promise<DomainStatus>;
  start(instance: InstanceId): Promise<DomainStatus>;
  /** Graceful (ACPI) with a timeout, then forced. */
  stop(instance: InstanceId, opts?: { timeoutMs?: number; force?: boolean }): Promise<DomainStatus>;
  reboot(instance: InstanceId, opts?: { hard?: boolean }): Promise<DomainStatus>;
  pause(instance: InstanceId): Promise<DomainStatus>;
  resume(instance: InstanceId): Promise<DomainStatus>;
  /** Stop (forced) and undefine; removes the domain's config-drive and console log. */
  destroy(instance: InstanceId): Promise<void>;
  status(instance: InstanceId): Promise<DomainStatus>;
  list(): Promise<DomainStatus[]>;
  attachDisk(instance: InstanceId, disk: DomainDisk): Promise<DomainStatus>;
  detachDisk(instance: InstanceId, disk: DiskId): Promise<DomainStatus>;
  attachInterface(instance: InstanceId, iface: DomainInterface): Promise<DomainStatus>;
  detachInterface(instance: InstanceId, vif: VifId): Promise<DomainStatus>;
  /** The serial console log from byte `offset` (at most `limit` bytes). */
  consoleLog(
    instance: InstanceId,
    opts?: { offset?: number; limit?: number },
  ): Promise<{ data: string; nextOffset: number }>;
  /** Lifecycle events until the signal aborts. */
  events(signal: AbortSignal): AsyncIterable<HostEvent>;
}

export type { ImageId };

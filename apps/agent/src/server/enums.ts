import {
  Arch,
  ChecksumAlgo,
  DiskBus,
  DiskDevice,
  DiskFormat,
  HostEventType,
  Hypervisor,
  Machine,
  NicModel,
  PowerState,
} from '@kumo/agent-proto';
import type * as C from '../drivers/compute.js';
import type * as S from '../drivers/storage.js';

/**
 * Wire enums ⇄ driver strings. `UNSPECIFIED` on input means "the default"
 * (undefined here); a number not in a map is bad input.
 */
type WireMap<V extends string> = Partial<Record<number, V | undefined>>;

export const archIn: WireMap<C.Arch> = {
  [Arch.UNSPECIFIED]: undefined,
  [Arch.X86_64]: 'x86_64',
  [Arch.AARCH64]: 'aarch64',
};
export const machineIn: WireMap<NonNullable<C.DomainSpec['machine']>> = {
  [Machine.UNSPECIFIED]: undefined,
  [Machine.Q35]: 'q35',
  [Machine.PC]: 'pc',
  [Machine.VIRT]: 'virt',
};
export const busIn: WireMap<C.DomainDisk['bus']> = {
  [DiskBus.UNSPECIFIED]: 'virtio',
  [DiskBus.VIRTIO]: 'virtio',
  [DiskBus.SATA]: 'sata',
  [DiskBus.IDE]: 'ide',
  [DiskBus.SCSI]: 'scsi',
};
export const deviceIn: WireMap<C.DomainDisk['device']> = {
  [DiskDevice.UNSPECIFIED]: 'disk',
  [DiskDevice.DISK]: 'disk',
  [DiskDevice.CDROM]: 'cdrom',
};
export const nicIn: WireMap<NonNullable<C.DomainInterface['model']>> = {
  [NicModel.UNSPECIFIED]: undefined,
  [NicModel.VIRTIO]: 'virtio',
  [NicModel.E1000]: 'e1000',
};
export const checksumIn: WireMap<S.CachedImage['checksumAlgo']> = {
  [ChecksumAlgo.UNSPECIFIED]: 'sha256',
  [ChecksumAlgo.SHA256]: 'sha256',
  [ChecksumAlgo.SHA512]: 'sha512',
  [ChecksumAlgo.MD5]: 'md5',
};
export const formatIn: WireMap<S.CachedImage['format']> = {
  [DiskFormat.UNSPECIFIED]: 'qcow2',
  [DiskFormat.QCOW2]: 'qcow2',
  [DiskFormat.RAW]: 'raw',
};

export const archOut: Record<C.Arch, Arch> = { x86_64: Arch.X86_64, aarch64: Arch.AARCH64 };
export const hypervisorOut: Record<C.HostInfo['hypervisor'], Hypervisor> = {
  kvm: Hypervisor.KVM,
  qemu: Hypervisor.QEMU,
  fake: Hypervisor.FAKE,
};
export const powerOut: Record<C.PowerState, PowerState> = {
  running: PowerState.RUNNING,
  paused: PowerState.PAUSED,
  shutoff: PowerState.SHUTOFF,
  crashed: PowerState.CRASHED,
  nostate: PowerState.NOSTATE,
};
export const eventOut: Record<C.HostEvent['type'], HostEventType> = {
  started: HostEventType.STARTED,
  stopped: HostEventType.STOPPED,
  paused: HostEventType.PAUSED,
  resumed: HostEventType.RESUMED,
  crashed: HostEventType.CRASHED,
  shutoff_by_guest: HostEventType.SHUTOFF_BY_GUEST,
  heartbeat: HostEventType.HEARTBEAT,
};
export const checksumOut: Record<S.CachedImage['checksumAlgo'], ChecksumAlgo> = {
  sha256: ChecksumAlgo.SHA256,
  sha512: ChecksumAlgo.SHA512,
  md5: ChecksumAlgo.MD5,
};
export const formatOut: Record<S.CachedImage['format'], DiskFormat> = {
  qcow2: DiskFormat.QCOW2,
  raw: DiskFormat.RAW,
};

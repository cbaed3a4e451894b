import type * as P from '@kumo/agent-proto';
import type { DomainStatus, HostEvent, HostInfo } from '../drivers/compute.js';
import type { VifBinding } from '../drivers/network.js';
import type { CachedImage, DiskExport, DiskInfo, StorageUsage } from '../drivers/storage.js';
import { archOut, checksumOut, eventOut, formatOut, hypervisorOut, powerOut } from './enums.js';

/** Driver results → wire messages. Host-side details (file paths, RBD names) stay behind. */

export function domainOut(d: DomainStatus): P.Domain {
  return {
    instanceId: d.instance,
    power: powerOut[d.power],
    vcpus: d.vcpus,
    memoryMb: d.memoryMb,
    disks: d.disks.map((x) => ({ diskId: x.disk, target: x.target })),
    interfaces: d.interfaces.map((x) => ({ vifId: x.vif, mac: x.mac })),
    vnc: d.vnc ? { host: d.vnc.host, port: d.vnc.port } : undefined,
  };
}

export function hostInfoOut(h: HostInfo): P.HostInfo {
  return {
    hostname: h.hostname,
    arch: archOut[h.arch],
    cpuModel: h.cpuModel,
    cpus: h.cpus,
    numaCells: h.numaCells.map((c) => ({ id: c.id, cpus: [...c.cpus], memoryMb: c.memoryMb })),
    memoryMb: h.memoryMb,
    diskTotalBytes: h.diskTotalBytes,
    diskFreeBytes: h.diskFreeBytes,
    hypervisor: hypervisorOut[h.hypervisor],
    kvmProved: h.kvmProved,
  };
}

export function usageOut(u: StorageUsage): P.StorageUsage {
  return {
    totalBytes: u.totalBytes,
    freeBytes: u.freeBytes,
    imagesBytes: u.imagesBytes,
    disksBytes: u.disksBytes,
  };
}

export function eventToWire(e: HostEvent): P.HostEvent {
  return { type: eventOut[e.type], instanceId: e.type === 'heartbeat' ? '' : e.instance, atMs: e.at };
}

export function imageOut(i: CachedImage): P.CachedImage {
  return {
    imageId: i.image,
    sizeBytes: i.sizeBytes,
    checksum: i.checksum,
    checksumAlgo: checksumOut[i.checksumAlgo],
    format: formatOut[i.format],
    virtualSizeBytes: i.virtualSizeBytes,
  };
}

export function diskOut(d: DiskInfo): P.Disk {
  return {
    diskId: d.disk,
    sizeBytes: d.sizeBytes,
    allocatedBytes: d.allocatedBytes,
    format: formatOut[d.format],
    backingImageId: d.backingImage,
  };
}

export function vifOut(b: VifBinding): P.VifBinding {
  return {
    vifId: b.vif,
    instanceId: b.instance,
    mac: b.mac,
    bridge: b.bridge,
    ...(b.targetDev ? { targetDev: b.targetDev } : {}),
  };
}

export function diskExportOut(e: DiskExport): P.ExportDiskResponse {
  return {
    sizeBytes: e.sizeBytes,
    checksum: e.checksum,
    checksumAlgo: checksumOut[e.checksumAlgo],
    format: formatOut[e.format],
    virtualSizeBytes: e.virtualSizeBytes,
  };
}

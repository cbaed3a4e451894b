export { DEFAULT_FIRMWARE, type FirmwarePaths, type RbdConfig } from './domain-xml.js';
export { type KvmProbeOptions, type KvmProbeResult, probeKvm } from './kvm-probe.js';
export { createLibvirtDriver, LibvirtComputeDriver, type LibvirtDriverOptions } from './libvirt.driver.js';

import { invalid } from '@kumo/service-kit';

/**
 * Microversion 2.86: flavor extra specs in a namespace Nova knows are
 * validated (name and value); keys without a namespace, or in a namespace
 * nobody registered (e.g. a custom scheduler filter's), pass untouched.
 * The table lists the extra specs Nova recognises, as data.
 */
type Rule =
  | { t: 'bool' }
  | { t: 'int'; min?: number; max?: number }
  | { t: 'str'; enum?: readonly string[]; pattern?: RegExp };

const B: Rule = { t: 'bool' };
const S: Rule = { t: 'str' };
const I = (min?: number, max?: number): Rule => ({ t: 'int', min, max });
const E = (...values: string[]): Rule => ({ t: 'str', enum: values });
const P = (re: string): Rule => ({ t: 'str', pattern: new RegExp(`^(?:${re})$`) });

const GROUP = '(?:[a-zA-Z0-9_-]{1,64})?';

const FIXED: Record<string, Rule> = {
  'hw:cpu_realtime': B,
  'hw:cpu_realtime_mask': P('(\\^)?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*'),
  'hw:hide_hypervisor_id': B,
  'hw:cpu_policy': E('dedicated', 'shared', 'mixed'),
  'hw:cpu_thread_policy': E('prefer', 'isolate', 'require'),
  'hw:emulator_threads_policy': E('isolate', 'share'),
  'hw:cpu_dedicated_mask': P('\\^?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*'),
  'hw:mem_page_size': P('(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)'),
  'hw:locked_memory': B,
  'hw:numa_nodes': I(1),
  'hw:pci_numa_affinity_policy': E('required', 'preferred', 'legacy', 'socket'),
  'hw:cpu_sockets': I(1),
  'hw:cpu_cores': I(1),
  'hw:cpu_threads': I(1),
  'hw:cpu_max_sockets': I(1),
  'hw:cpu_max_cores': I(1),
  'hw:cpu_max_threads': I(1),
  'hw:boot_menu': B,
  'hw:vif_multiqueue_enabled': B,
  'hw:mem_encryption': B,
  'hw:mem_encryption_model': E('amd-sev', 'amd-sev-es', 'amd-sev-snp'),
  'hw:pmem': P('([a-zA-Z0-9_]+(,)?)+'),
  'hw:pmu': B,
  'hw:serial_port_count': I(0),
  'hw:tpm_model': E('tpm-tis', 'tpm-crb'),
  'hw:tpm_version': E('1.2', '2.0'),
  'hw:tpm_secret_security': E('user', 'host', 'deployment'),
  'hw:watchdog_action': E('none', 'pause', 'poweroff', 'reset', 'disabled'),
  'hw:viommu_model': E('intel', 'smmuv3', 'virtio', 'auto'),
  'hw:virtio_packed_ring': B,
  'hw:sound_model': E('sb16', 'es1370', 'pcspk', 'ac97', 'ich6', 'ich9', 'usb', 'virtio'),
  'hw:usb_model': E('none', 'nec-xhci', 'qemu-xhci'),
  'hw:redirected_usb_ports': I(0, 15),
  'hw:ephemeral_encryption': B,
  'hw:ephemeral_encryption_format': E('plain', 'luks', 'luksv2'),
  'hw_rng:allowed': B,
  'hw_rng:rate_bytes': I(0),
  'hw_rng:rate_period': I(0),
  'hw_video:ram_max_mb': I(0),
  'os:secure_boot': E('disabled', 'required'),
  'quota:cpu_limit': I(0),
  'quota:cpu_reservation': I(),
  'quota:cpu_shares_level': E('custom', 'high', 'normal', 'low'),
  'quota:cpu_shares_share': I(0),
  'quota:memory_limit': I(0),
  'quota:memory_reservation': I(),
  'quota:memory_shares_level': E('custom', 'high', 'normal', 'low'),
  'quota:memory_shares_share': I(0),
  'quota:disk_io_limit': I(0),
  'quota:disk_io_reservation': I(),
  'quota:disk_io_shares_level': E('custom', 'high', 'normal', 'low'),
  'quota:disk_io_shares_share': I(0),
  'quota:vif_limit': I(0),
  'quota:vif_reservation': I(),
  'quota:vif_shares_level': E('custom', 'high', 'normal', 'low'),
  'quota:vif_shares_share': I(0),
  'quota:cpu_shares': I(0),
  'quota:cpu_period': I(0),
  'quota:cpu_quota': I(),
  'quota:disk_read_bytes_sec': I(0),
  'quota:disk_read_iops_sec': I(0),
  'quota:disk_write_bytes_sec': I(0),
  'quota:disk_write_iops_sec': I(0),
  'quota:disk_total_bytes_sec': I(0),
  'quota:disk_total_iops_sec': I(0),
  'quota:vif_inbound_average': I(0),
  'quota:vif_inbound_peak': I(0),
  'quota:vif_inbound_burst': I(0),
  'quota:vif_outbound_average': I(0),
  'quota:vif_outbound_peak': I(0),
  'quota:vif_outbound_burst': I(0),
  'capabilities:id': S,
  'capabilities:uuid': S,
  'capabilities:service_id': S,
  'capabilities:host': S,
  'capabilities:vcpus': S,
  'capabilities:memory_mb': S,
  'capabilities:local_gb': S,
  'capabilities:vcpus_used': S,
  'capabilities:memory_mb_used': S,
  'capabilities:local_gb_used': S,
  'capabilities:hypervisor_type': S,
  'capabilities:hypervisor_version': S,
  'capabilities:hypervisor_hostname': S,
  'capabilities:free_ram_mb': S,
  'capabilities:free_disk_gb': S,
  'capabilities:current_workload': S,
  'capabilities:running_vms': S,
  'capabilities:disk_available_least': S,
  'capabilities:host_ip': S,
  'capabilities:mapped': S,
  'capabilities:cpu_allocation_ratio': S,
  'capabilities:ram_allocation_ratio': S,
  'capabilities:disk_allocation_ratio': S,
  'capabilities:total_usable_ram_mb': S,
  'capabilities:total_usable_disk_gb': S,
  'capabilities:disk_mb_used': S,
  'capabilities:free_disk_mb': S,
  'capabilities:vcpus_total': S,
  'capabilities:num_instances': S,
  'capabilities:num_io_ops': S,
  'capabilities:failed_builds': S,
  'capabilities:aggregates': S,
  'capabilities:cell_uuid': S,
  'capabilities:updated': S,
  'accel:device_profile': S,
  'pci_passthrough:alias': P('[^:]+:\\d+(?:\\s*,\\s*[^:]+:\\d+)*'),
  'vmware:hw_version': S,
  'vmware:storage_policy': S,
  hide_hypervisor_id: B,
  group_policy: E('isolate', 'none'),
};

const PARAMETERIZED: [RegExp, Rule][] = [
  [/^hw:numa_cpus\.(?:\d+)$/, P('\\^?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*')],
  [/^hw:numa_mem\.(?:\d+)$/, I(1)],
  [/^aggregate_instance_extra_specs:(?:.+)$/, S],
  [/^capabilities:cpu_info(?:(:\w+)*)$/, S],
  [/^capabilities:metrics(?:(:\w+)*)$/, S],
  [/^capabilities:stats(?:(:\w+)*)$/, S],
  [/^capabilities:numa_topology(?:(:\w+)*)$/, S],
  [/^capabilities:supported_hv_specs(?:(:\w+)*)$/, S],
  [/^capabilities:pci_device_pools(?:(:\w+)*)$/, S],
  [/^capabilities:nodename(?:(:\w+)*)$/, S],
  [/^capabilities:pci_stats(?:(:\w+)*)$/, S],
  [/^capabilities:supported_instances(?:(:\w+)*)$/, S],
  [/^capabilities:limits(?:(:\w+)*)$/, S],
  [/^capabilities:instances(?:(:\w+)*)$/, S],
  // placement resource classes and traits (standard or CUSTOM_), optionally in a request group
  [new RegExp(`^resources${GROUP}:[A-Z][A-Z0-9_]*$`), I()],
  [new RegExp(`^trait${GROUP}:[A-Z][A-Z0-9_]*$`), E('required', 'forbidden')],
];

/** Namespaces (the part before the first ':') whose unknown keys are refused. */
const NAMESPACES = [
  /^(?:accel|aggregate_instance_extra_specs|capabilities|hw|hw_rng|hw_video|os|pci_passthrough|quota|vmware)$/,
  new RegExp(`^resources${GROUP}$`),
  new RegExp(`^trait${GROUP}$`),
];

const TRUE_FALSE = new Set(['1', 't', 'true', 'on', 'y', 'yes', '0', 'f', 'false', 'off', 'n', 'no']);

const failed = (why: string) => invalid(`Validation failed; ${why}`);

function checkValue(name: string, value: string, r: Rule): void {
  if (r.t === 'bool') {
    if (!TRUE_FALSE.has(value.trim().toLowerCase()))
      throw failed(`'${value}' is not a valid boolean-like value (extra spec '${name}').`);
    return;
  }
  if (r.t === 'int') {
    if (!/^\s*[+-]?\d+\s*$/.test(value))
      throw failed(`'${value}' is not a valid integer value (extra spec '${name}').`);
    const n = Number(value);
    if (r.max !== undefined && n > r.max)
      throw failed(`'${value}' is greater than the max value of '${r.max}' (extra spec '${name}').`);
    if (r.min !== undefined && n < r.min)
      throw failed(`'${value}' is less than the min value of '${r.min}' (extra spec '${name}').`);
    return;
  }
  if (r.pattern && !r.pattern.test(value))
    throw failed(
      `'${value}' is not of the format '${r.pattern.source.slice(4, -2)}' (extra spec '${name}').`,
    );
  if (!r.pattern && r.enum && !r.enum.includes(value))
    throw failed(`'${value}' is not one of: ${r.enum.join(', ')} (extra spec '${name}').`);
}

/** Validates one extra spec as Nova does from 2.86; throws a 400 naming the key or value. */
export function validateExtraSpec(name: string, value: string): void {
  const rule = Object.hasOwn(FIXED, name) ? FIXED[name] : PARAMETERIZED.find(([re]) => re.test(name))?.[1];
  if (rule) {
    checkValue(name, value, rule);
    return;
  }
  const colon = name.indexOf(':');
  if (colon < 0) return;
  const ns = name.slice(0, colon);
  if (NAMESPACES.some((re) => re.test(ns)))
    throw failed(`extra spec '${name}' does not appear to be a valid extra spec.`);
}

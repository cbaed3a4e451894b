/**
 * Nova's three state axes. `vm_state` is the stable state the server rests in,
 * `task_state` the operation in flight (null when none), `power_state` what the
 * hypervisor last reported. The API checks vm_state/task_state before an action
 * and moves task_state with a compare-and-swap (`UPDATE … WHERE task_state IS
 * NOT DISTINCT FROM expected`); the task worker moves vm_state when it is done.
 */
export const VM_STATES = [
  'building',
  'active',
  'stopped',
  'paused',
  'suspended',
  'resized',
  'error',
  'deleted',
  'soft_deleted',
] as const;
export type VmState = (typeof VM_STATES)[number];

export const TASK_STATES = [
  'scheduling',
  'block_device_mapping',
  'networking',
  'spawning',
  'rebooting',
  'rebooting_hard',
  'powering_off',
  'powering_on',
  'pausing',
  'unpausing',
  'suspending',
  'resuming',
  'rebuilding',
  'rebuild_spawning',
  'resize_prep',
  'resize_migrating',
  'resize_finish',
  'resize_reverting',
  'resize_confirming',
  'image_snapshot',
  'image_backup',
  'image_uploading',
  'deleting',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** Nova's power_state integers. */
export const POWER = {
  nostate: 0,
  running: 1,
  paused: 3,
  shutdown: 4,
  crashed: 6,
  suspended: 7,
} as const;
export type PowerStateCode = (typeof POWER)[keyof typeof POWER];

/** The agent's power state (drivers/compute.ts PowerState) as Nova's integer. */
export function powerCodeOf(p: 'running' | 'paused' | 'shutoff' | 'crashed' | 'nostate'): PowerStateCode {
  switch (p) {
    case 'running':
      return POWER.running;
    case 'paused':
      return POWER.paused;
    case 'shutoff':
      return POWER.shutdown;
    case 'crashed':
      return POWER.crashed;
    default:
      return POWER.nostate;
  }
}

const TASK_STATUS: Partial<Record<TaskState, string>> = {
  rebooting: 'REBOOT',
  rebooting_hard: 'HARD_REBOOT',
  rebuilding: 'REBUILD',
  rebuild_spawning: 'REBUILD',
  resize_prep: 'RESIZE',
  resize_migrating: 'RESIZE',
  resize_finish: 'RESIZE',
  resize_reverting: 'REVERT_RESIZE',
};

/** The API `status` of a server, as Nova's `nova/api/openstack/common.py` derives it. */
export function serverStatus(vm: VmState, task: TaskState | null): string {
  switch (vm) {
    case 'building':
      return 'BUILD';
    case 'active':
      return (task && TASK_STATUS[task]) ?? 'ACTIVE';
    case 'stopped':
      return task === 'rebuilding' || task === 'rebuild_spawning'
        ? 'REBUILD'
        : task && TASK_STATUS[task] === 'RESIZE'
          ? 'RESIZE'
          : 'SHUTOFF';
    case 'paused':
      return 'PAUSED';
    case 'suspended':
      return 'SUSPENDED';
    case 'resized':
      return task === 'resize_reverting' ? 'REVERT_RESIZE' : 'VERIFY_RESIZE';
    case 'error':
      return 'ERROR';
    case 'deleted':
      return 'DELETED';
    case 'soft_deleted':
      return 'SOFT_DELETED';
  }
}

import { KumoError } from '@kumo/service-kit';
import type { TaskState, VmState } from './states.js';
import type { ServerTaskKind } from './tasks.js';

/**
 * Which states each server action may start from and which task_state it
 * moves to, as Nova's `check_instance_state` decorators on compute/api.py.
 * `task: [null]` means no other operation may be in flight.
 */
export interface ActionRule {
  /** Name in the 409 message and the instance action record (Nova's names). */
  action: string;
  vm: readonly VmState[];
  task: readonly (TaskState | null)[];
  /** The task_state set when the action is accepted. */
  next: TaskState;
  kind: ServerTaskKind;
}

const NONE = [null] as const;

export const ACTION_RULES = {
  start: { action: 'start', vm: ['stopped'], task: NONE, next: 'powering_on', kind: 'start' },
  stop: { action: 'stop', vm: ['active', 'error'], task: NONE, next: 'powering_off', kind: 'stop' },
  rebootSoft: { action: 'reboot', vm: ['active'], task: NONE, next: 'rebooting', kind: 'reboot' },
  rebootHard: {
    action: 'reboot',
    vm: ['active', 'stopped', 'paused', 'suspended', 'error'],
    task: NONE,
    next: 'rebooting_hard',
    kind: 'reboot',
  },
  pause: { action: 'pause', vm: ['active'], task: NONE, next: 'pausing', kind: 'pause' },
  unpause: { action: 'unpause', vm: ['paused'], task: NONE, next: 'unpausing', kind: 'unpause' },
  suspend: { action: 'suspend', vm: ['active'], task: NONE, next: 'suspending', kind: 'suspend' },
  resume: { action: 'resume', vm: ['suspended'], task: NONE, next: 'resuming', kind: 'resume' },
  rebuild: {
    action: 'rebuild',
    vm: ['active', 'stopped', 'error'],
    task: NONE,
    next: 'rebuilding',
    kind: 'rebuild',
  },
  resize: { action: 'resize', vm: ['active', 'stopped'], task: NONE, next: 'resize_prep', kind: 'resize' },
  confirmResize: {
    action: 'confirmResize',
    vm: ['resized'],
    task: NONE,
    next: 'resize_confirming',
    kind: 'confirm_resize',
  },
  revertResize: {
    action: 'revertResize',
    vm: ['resized'],
    task: NONE,
    next: 'resize_reverting',
    kind: 'revert_resize',
  },
  createImage: {
    action: 'createImage',
    vm: ['active', 'stopped', 'paused', 'suspended'],
    task: NONE,
    next: 'image_snapshot',
    kind: 'create_image',
  },
  createBackup: {
    action: 'createBackup',
    vm: ['active', 'stopped', 'paused', 'suspended'],
    task: NONE,
    next: 'image_backup',
    kind: 'create_image',
  },
} as const satisfies Record<string, ActionRule>;

export type ActionName = keyof typeof ACTION_RULES;

/** What the guards need to know about a server. */
export interface GuardedServer {
  id: string;
  vmState: string;
  taskState: string | null;
  locked: boolean;
}

export const invalidState = (
  action: string,
  id: string,
  attr: 'vm_state' | 'task_state',
  state: string | null,
) => new KumoError('conflict', `Cannot '${action}' instance ${id} while it is in ${attr} ${state ?? 'None'}`);

export const lockedError = (id: string) => new KumoError('conflict', `Instance ${id} is locked`);

/** Nova's check_instance_lock: a locked server refuses every action of a non-admin. */
export function checkLock(s: GuardedServer, isAdmin: boolean): void {
  if (s.locked && !isAdmin) throw lockedError(s.id);
}

/** Nova's check_instance_state for one action rule (lock first, as Nova's decorator order). */
export function checkActionState(s: GuardedServer, rule: ActionRule, isAdmin: boolean): void {
  checkLock(s, isAdmin);
  if (!(rule.vm as readonly string[]).includes(s.vmState))
    throw invalidState(rule.action, s.id, 'vm_state', s.vmState);
  if (!(rule.task as readonly (string | null)[]).includes(s.taskState))
    throw invalidState(rule.action, s.id, 'task_state', s.taskState);
}

/** The API statuses a `status=` list filter maps to (vm_state, optionally with task_states). */
export function statusFilter(status: string): { vm?: VmState[]; task?: TaskState[] } | undefined {
  switch (status.toUpperCase()) {
    case 'ACTIVE':
      return { vm: ['active'] };
    case 'BUILD':
      return { vm: ['building'] };
    case 'SHUTOFF':
      return { vm: ['stopped'] };
    case 'PAUSED':
      return { vm: ['paused'] };
    case 'SUSPENDED':
      return { vm: ['suspended'] };
    case 'ERROR':
      return { vm: ['error'] };
    case 'VERIFY_RESIZE':
      return { vm: ['resized'] };
    case 'DELETED':
      return { vm: ['deleted'] };
    case 'SOFT_DELETED':
      return { vm: ['soft_deleted'] };
    case 'REBOOT':
      return { task: ['rebooting'] };
    case 'HARD_REBOOT':
      return { task: ['rebooting_hard'] };
    case 'REBUILD':
      return { task: ['rebuilding', 'rebuild_spawning'] };
    case 'RESIZE':
      return { task: ['resize_prep', 'resize_migrating', 'resize_finish'] };
    case 'REVERT_RESIZE':
      return { task: ['resize_reverting'] };
    default:
      return undefined;
  }
}

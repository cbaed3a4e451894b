import * as P from '@kumo/agent-proto';
import type { HostServer } from '../db/worker.repo.js';
import { POWER, type PowerStateCode, type VmState } from '../domain/states.js';

/** What the hypervisor says of a guest, or `missing` when it has no domain. */
export type Observed = 'running' | 'paused' | 'shutoff' | 'crashed' | 'missing';

export function observedOfWire(p: P.PowerState): Observed {
  switch (p) {
    case P.PowerState.RUNNING:
      return 'running';
    case P.PowerState.PAUSED:
      return 'paused';
    case P.PowerState.CRASHED:
      return 'crashed';
    case P.PowerState.SHUTOFF:
      return 'shutoff';
    default:
      return 'missing';
  }
}

/** A lifecycle event as the power state it implies (undefined: heartbeat or unknown). */
export function observedOfEvent(t: P.HostEventType): Observed | undefined {
  switch (t) {
    case P.HostEventType.STARTED:
    case P.HostEventType.RESUMED:
      return 'running';
    case P.HostEventType.PAUSED:
      return 'paused';
    case P.HostEventType.STOPPED:
    case P.HostEventType.SHUTOFF_BY_GUEST:
      return 'shutoff';
    case P.HostEventType.CRASHED:
      return 'crashed';
    default:
      return undefined;
  }
}

const STABLE: ReadonlySet<string> = new Set(['active', 'stopped', 'paused', 'suspended', 'resized', 'error']);

/**
 * Nova's power-state sync, level-based: given the server as stored and the
 * guest as observed, the state to write — or undefined when nothing changes.
 * A server with a task in flight is never touched (the task settles it), nor
 * one being built or deleted.
 */
export function reconcilePower(
  s: Pick<HostServer, 'vmState' | 'taskState' | 'powerState'>,
  seen: Observed,
): { vmState: VmState; powerState: PowerStateCode } | undefined {
  if (s.taskState !== null || !STABLE.has(s.vmState)) return undefined;
  const vm = s.vmState as VmState;
  let next: { vmState: VmState; powerState: PowerStateCode };
  switch (seen) {
    case 'shutoff':
      next = {
        vmState: vm === 'active' || vm === 'paused' || vm === 'suspended' ? 'stopped' : vm,
        powerState: POWER.shutdown,
      };
      break;
    case 'crashed':
      next = {
        vmState: vm === 'active' || vm === 'paused' || vm === 'suspended' ? 'stopped' : vm,
        powerState: POWER.crashed,
      };
      break;
    case 'running':
      next = {
        vmState: vm === 'stopped' || vm === 'paused' || vm === 'suspended' ? 'active' : vm,
        powerState: POWER.running,
      };
      break;
    case 'paused':
      // a suspended server is a paused domain (the suspend fallback)
      next =
        vm === 'suspended'
          ? { vmState: vm, powerState: POWER.suspended }
          : { vmState: vm === 'active' ? 'paused' : vm, powerState: POWER.paused };
      break;
    case 'missing':
      next = { vmState: vm, powerState: POWER.nostate };
      break;
  }
  if (vm === 'error') next = { vmState: 'error', powerState: next.powerState };
  return next.vmState === vm && next.powerState === s.powerState ? undefined : next;
}

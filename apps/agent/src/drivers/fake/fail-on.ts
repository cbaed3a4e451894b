import type { ComputeDriver } from '../compute.js';
import type { NetworkDriver } from '../network.js';
import type { StorageDriver } from '../storage.js';

/** Agent RPC (camelCase, as the gRPC clients name them) → the driver method that serves it. */
const RPC_METHODS = {
  getHostInfo: ['compute', 'hostInfo'],
  ensureDomain: ['compute', 'ensureDomain'],
  startDomain: ['compute', 'start'],
  stopDomain: ['compute', 'stop'],
  rebootDomain: ['compute', 'reboot'],
  pauseDomain: ['compute', 'pause'],
  resumeDomain: ['compute', 'resume'],
  destroyDomain: ['compute', 'destroy'],
  getDomain: ['compute', 'status'],
  listDomains: ['compute', 'list'],
  attachDisk: ['compute', 'attachDisk'],
  detachDisk: ['compute', 'detachDisk'],
  attachInterface: ['compute', 'attachInterface'],
  detachInterface: ['compute', 'detachInterface'],
  readConsoleLog: ['compute', 'consoleLog'],
  ensureImage: ['storage', 'ensureImage'],
  getImage: ['storage', 'getImage'],
  removeImage: ['storage', 'removeImage'],
  ensureDiskFromImage: ['storage', 'ensureDiskFromImage'],
  ensureBlankDisk: ['storage', 'ensureBlankDisk'],
  resizeDisk: ['storage', 'resizeDisk'],
  deleteDisk: ['storage', 'deleteDisk'],
  getDisk: ['storage', 'getDisk'],
  listDisks: ['storage', 'listDisks'],
  exportDisk: ['storage', 'exportDisk'],
  ensureVif: ['network', 'ensureVif'],
  removeVif: ['network', 'removeVif'],
  listVifs: ['network', 'listVifs'],
} as const;

export type FakeRpc = keyof typeof RPC_METHODS;

/**
 * An injected failure: an error thrown on every call, or a function of the
 * call's arguments returning the error to throw (undefined: let the call through).
 */
export type InjectedFailure = Error | ((args: unknown[]) => Error | undefined);

/**
 * Failures by agent RPC name (`startDomain`, `ensureImage`, …); `'*'` applies to
 * every RPC (a host that is down: `new DriverError('unavailable', …)`). The
 * record is read at each call, so a test can add or delete entries at any time.
 */
export type FailOn = Partial<Record<FakeRpc | '*', InjectedFailure>>;

export const FAKE_RPCS = Object.keys(RPC_METHODS) as FakeRpc[];

/**
 * Make the drivers' methods consult `failOn` before doing anything: an
 * injected failure throws and the call has no effect (the domain a failing
 * startDomain was asked to start stays shut off). Returns `failOn`.
 */
export function injectFailures(
  drivers: { compute: ComputeDriver; storage: StorageDriver; network: NetworkDriver },
  failOn: FailOn,
): FailOn {
  for (const rpc of FAKE_RPCS) {
    const [family, method] = RPC_METHODS[rpc];
    const target = drivers[family] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const original = target[method];
    if (typeof original !== 'function') continue;
    target[method] = async (...args: unknown[]) => {
      const f = failOn[rpc] ?? failOn['*'];
      const err = typeof f === 'function' ? f(args) : f;
      if (err) throw err;
      return original.apply(target, args);
    };
  }
  return failOn;
}

import { type FailOn, injectFailures } from './fail-on.js';
import { FakeComputeDriver, type FakeComputeOptions } from './fake-compute.driver.js';
import type { FakeHostOptions } from './fake-host.js';
import { FakeNetworkDriver, type FakeNetworkOptions } from './fake-network.driver.js';
import { FakeStorageDriver, type FakeStorageOptions } from './fake-storage.driver.js';

export interface FakeDrivers {
  compute: FakeComputeDriver;
  storage: FakeStorageDriver;
  network: FakeNetworkDriver;
  /** The live failure table (see FailOn): add or delete entries at any time. */
  failOn: FailOn;
}

/**
 * One fake host's three drivers, wired like a real agent's: the compute driver
 * checks disks in the storage driver and reports its space. `failOn` injects
 * failures by agent RPC name, e.g. a host whose starts fail:
 * `createFakeDrivers({ failOn: { startDomain: new DriverError('internal', 'boom') } })`.
 */
export function createFakeDrivers(
  opts: {
    host?: FakeHostOptions;
    compute?: Omit<FakeComputeOptions, keyof FakeHostOptions | 'storage'>;
    storage?: FakeStorageOptions;
    network?: FakeNetworkOptions;
    failOn?: FailOn;
  } = {},
): FakeDrivers {
  const storage = new FakeStorageDriver({ totalBytes: opts.host?.diskTotalBytes, ...opts.storage });
  const compute = new FakeComputeDriver({ ...opts.host, ...opts.compute, storage });
  const network = new FakeNetworkDriver(opts.network);
  const failOn = injectFailures({ compute, storage, network }, opts.failOn ?? {});
  return { storage, compute, network, failOn };
}

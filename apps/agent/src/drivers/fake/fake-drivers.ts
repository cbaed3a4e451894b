import { FakeComputeDriver, type FakeComputeOptions } from './fake-compute.driver.js';
import type { FakeHostOptions } from './fake-host.js';
import { FakeNetworkDriver, type FakeNetworkOptions } from './fake-network.driver.js';
import { FakeStorageDriver, type FakeStorageOptions } from './fake-storage.driver.js';

export interface FakeDrivers {
  compute: FakeComputeDriver;
  storage: FakeStorageDriver;
  network: FakeNetworkDriver;
}

/**
 * One fake host's three drivers, wired like a real agent's: the compute driver
 * checks disks in the storage driver and reports its space.
 */
export function createFakeDrivers(
  opts: {
    host?: FakeHostOptions;
    compute?: Omit<FakeComputeOptions, keyof FakeHostOptions | 'storage'>;
    storage?: FakeStorageOptions;
    network?: FakeNetworkOptions;
  } = {},
): FakeDrivers {
  const storage = new FakeStorageDriver({ totalBytes: opts.host?.diskTotalBytes, ...opts.storage });
  return {
    storage,
    compute: new FakeComputeDriver({ ...opts.host, ...opts.compute, storage }),
    network: new FakeNetworkDriver(opts.network),
  };
}

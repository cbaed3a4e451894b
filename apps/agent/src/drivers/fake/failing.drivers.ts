import { setTimeout as sleep } from 'node:timers/promises';
import { DriverError, type DriverErrorKind, type InstanceId } from '../ids.js';
import type { StorageUsage } from '../storage.js';
import { FakeComputeDriver, type FakeComputeOptions } from './fake-compute.driver.js';
import { FakeStorageDriver, type FakeStorageOptions } from './fake-storage.driver.js';

/** Every power-on (start, hard reboot) fails; the domain stays shut off. */
export class StartFailsComputeDriver extends FakeComputeDriver {
  constructor(
    opts: FakeComputeOptions = {},
    private readonly kind: DriverErrorKind = 'internal',
  ) {
    super(opts);
  }

  protected override async powerOn(instance: InstanceId): Promise<void> {
    throw new DriverError(this.kind, `injected failure: instance ${instance} failed to start`);
  }
}

/** destroy takes `destroyMs` before it does its work (a hypervisor slow to kill a guest). */
export class SlowDestroyComputeDriver extends FakeComputeDriver {
  constructor(opts: FakeComputeOptions & { destroyMs?: number } = {}) {
    super(opts);
  }

  override async destroy(instance: InstanceId): Promise<void> {
    await sleep((this.opts as { destroyMs?: number }).destroyMs ?? 2_000);
    await super.destroy(instance);
  }
}

/**
 * A full disk: nothing new fits (no_space) and free space reads 0, while
 * no-op ensures of what exists still answer. Set `full = false` to make
 * things first, then `full = true` (the disk filled up).
 */
export class DiskFullStorageDriver extends FakeStorageDriver {
  full = true;

  constructor(opts: FakeStorageOptions = {}) {
    super(opts);
  }

  protected override async reserve(bytes: number, what: string): Promise<void> {
    if (this.full) throw new DriverError('no_space', `injected failure: no space left for ${what}`);
    await super.reserve(bytes, what);
  }

  override async usage(): Promise<StorageUsage> {
    const u = await super.usage();
    return this.full ? { ...u, freeBytes: 0 } : u;
  }
}

import { mkdir, rm } from 'node:fs/promises';
import type {
  Arch,
  ComputeCapabilities,
  ComputeDriver,
  DomainDisk,
  DomainInterface,
  DomainSpec,
  DomainStatus,
  HostEvent,
  HostInfo,
} from '../compute.js';
import { KeyedLock } from '../fake/keyed-lock.js';
import { checkCount } from '../fake/spec-checks.js';
import type { DiskId, InstanceId, VifId } from '../ids.js';
import { checkId, DriverError } from '../ids.js';
import type { DiskInfo } from '../storage.js';
import { readConsoleLog } from './console-log.js';
import { planDefinition, sameShape, writeDefinitionFiles } from './definition.js';
import {
  ACTIVE,
  attachDisk,
  attachInterface,
  type DeviceContext,
  detachDisk,
  detachInterface,
} from './devices.js';
import { type ParsedDomain, parseDomainXml, powerState, toStatus } from './domain-status.js';
import { DEFAULT_FIRMWARE, type DomainXmlInput, type FirmwarePaths, type RbdConfig } from './domain-xml.js';
import { eventStream } from './event-stream.js';
import { EventMapper } from './events.js';
import { hostArch, readHostInfo } from './host-info.js';
import { type KvmProbeOptions, type KvmProbeResult, probeKvm } from './kvm-probe.js';
import { domainName, instanceOf, instancePaths } from './naming.js';
import { checkSpec } from './spec.js';
import { Virsh, type VirshState } from './virsh.js';

export interface LibvirtDriverOptions {
  /** Libvirt connection (default qemu:///system). */
  uri?: string;
  /** Per-instance files: console log, config drive, UEFI vars, last domain XML. */
  instancesDir: string;
  /** Where disks live; its filesystem is reported in hostInfo. */
  storageRoot: string;
  /** The storage driver's view of a disk (only `source` and `format` are used). */
  resolveDisk: (disk: DiskId) => Promise<DiskInfo>;
  /** Skip the KVM probe and use this domain type. */
  hypervisor?: 'kvm' | 'qemu';
  probe?: Omit<KvmProbeOptions, 'arch' | 'accel'>;
  arch?: Arch;
  firmware?: Partial<FirmwarePaths>;
  rbd?: RbdConfig;
  diskCache?: DomainXmlInput['diskCache'];
  /** Spare PCIe root ports per domain for hot-plug (default 8). */
  hotplugPorts?: number;
  virshPath?: string;
  genisoimagePath?: string;
  /** Graceful stop: how long to wait for the guest before forcing (default 60 s). */
  stopTimeoutMs?: number;
  stopPollMs?: number;
  /** Soft reboot: how long the graceful part may take (default stopTimeoutMs). */
  rebootTimeoutMs?: number;
  /** How long a live detach may take before the call gives up (default 10 s). */
  detachTimeoutMs?: number;
  /** Heartbeat events in the event stream (default 30 s; 0 for none). */
  heartbeatMs?: number;
  onError?: (message: string) => void;
}

/** Run the KVM probe (unless a hypervisor is forced) and build the driver. */
export async function createLibvirtDriver(opts: LibvirtDriverOptions): Promise<LibvirtComputeDriver> {
  const arch = opts.arch ?? hostArch();
  if (opts.hypervisor) return new LibvirtComputeDriver(opts, arch, opts.hypervisor);
  const probe = await probeKvm({ ...opts.probe, arch, accel: 'kvm' });
  return new LibvirtComputeDriver(opts, arch, probe.proved ? 'kvm' : 'qemu', probe);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LibvirtComputeDriver implements ComputeDriver {
  readonly capabilities: ComputeCapabilities;
  private readonly virsh: Virsh;
  private readonly firmware: FirmwarePaths;
  private readonly locks = new KeyedLock();
  /** Instances the driver itself is shutting down, until when (so their events read "stopped"). */
  private readonly hostStops = new Map<string, number>();

  constructor(
    private readonly opts: LibvirtDriverOptions,
    readonly arch: Arch,
    readonly hypervisor: 'kvm' | 'qemu',
    readonly kvmProbe?: KvmProbeResult,
  ) {
    this.virsh = new Virsh({ uri: opts.uri ?? 'qemu:///system', path: opts.virshPath });
    this.firmware = { ...DEFAULT_FIRMWARE, ...opts.firmware };
    this.capabilities = {
      hypervisor,
      arch,
      hotplugDisk: true,
      hotplugInterface: true,
      pause: true,
      configDrive: true,
      serialConsoleLog: true,
    };
  }

  /** Serialize work on one instance (retries and concurrent calls must not interleave). */
  private locked<T>(instance: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(instance, fn);
  }

  hostInfo(): Promise<HostInfo> {
    return readHostInfo({
      storageRoot: this.opts.storageRoot,
      hypervisor: this.hypervisor,
      kvmProved: this.kvmProbe?.proved ?? false,
    });
  }

  // ---- reading state -------------------------------------------------------

  private async read(instance: string): Promise<{ state: VirshState; live: ParsedDomain }> {
    const name = domainName(instance);
    const state = await this.virsh.state(name);
    if (state === undefined) throw new DriverError('not_found', `instance ${instance} has no domain`);
    return { state, live: parseDomainXml(await this.virsh.dumpxml(name)) };
  }

  async status(instance: InstanceId): Promise<DomainStatus> {
    const id = checkId('instance', instance);
    const { state, live } = await this.read(id);
    return toStatus(id, state, live);
  }

  async list(): Promise<DomainStatus[]> {
    const out: DomainStatus[] = [];
    for (const name of await this.virsh.names()) {
      const id = instanceOf(name);
      if (!id) continue;
      try {
        out.push(await this.status(id));
      } catch (err) {
        if (!(err instanceof DriverError && err.kind === 'not_found')) throw err;
      }
    }
    return out;
  }

  // ---- define ----------------------------------------------------------------

  async ensureDomain(spec: DomainSpec): Promise<DomainStatus> {
    const s = checkSpec(spec, this.arch);
    return this.locked(s.instance, async () => {
      const def = await planDefinition(s, {
        instancesDir: this.opts.instancesDir,
        hypervisor: this.hypervisor,
        firmware: this.firmware,
        rbd: this.opts.rbd,
        diskCache: this.opts.diskCache ?? 'none',
        hotplugPorts: this.opts.hotplugPorts ?? 8,
        resolveDisk: this.opts.resolveDisk,
      });
      const state = await this.virsh.state(def.name);
      if (state !== undefined) {
        const current = parseDomainXml(await this.virsh.dumpxml(def.name, true));
        if (current.specHash === def.hash) return this.status(s.instance);
        if (ACTIVE.has(state)) {
          // Running: fine if it already is what the spec asks (e.g. after hot-plugs), else a conflict.
          const live = parseDomainXml(await this.virsh.dumpxml(def.name));
          if (sameShape(live, s)) return toStatus(s.instance, state, live);
          throw new DriverError(
            'conflict',
            `instance ${s.instance} is ${powerState(state)}; stop it to redefine it`,
          );
        }
      }
      await writeDefinitionFiles(def, this.opts.genisoimagePath);
      await this.virsh.run(['define', def.paths.domainXml], `define ${def.name}`);
      return this.status(s.instance);
    });
  }

  // ---- power -----------------------------------------------------------------

  async start(instance: InstanceId): Promise<DomainStatus> {
    const id = checkId('instance', instance);
    return this.locked(id, () => this.startLocked(id));
  }

  private async startLocked(id: string): Promise<DomainStatus> {
    const name = domainName(id);
    const state = await this.virsh.state(name);
    if (state === undefined) throw new DriverError('not_found', `instance ${id} has no domain`);
    if (state === 'paused') throw new DriverError('conflict', `instance ${id} is paused; resume it`);
    if (!ACTIVE.has(state)) {
      await mkdir(instancePaths(this.opts.instancesDir, id).dir, { recursive: true, mode: 0o755 });
      await this.ignoring(/already active/i, ['start', name]);
    }
    return this.status(id);
  }

  async stop(
    instance: InstanceId,
    opts: { timeoutMs?: number; force?: boolean } = {},
  ): Promise<DomainStatus> {
    const id = checkId('instance', instance);
    const timeoutMs = checkCount('timeoutMs', opts.timeoutMs, { optional: true });
    return this.locked(id, () => this.stopLocked(id, { timeoutMs, force: opts.force === true }));
  }

  private async stopLocked(id: string, opts: { timeoutMs?: number; force?: boolean }): Promise<DomainStatus> {
    const name = domainName(id);
    const state = await this.virsh.state(name);
    if (state === undefined) throw new DriverError('not_found', `instance ${id} has no domain`);
    if (!ACTIVE.has(state)) return this.status(id);
    const timeoutMs = opts.timeoutMs ?? this.opts.stopTimeoutMs ?? 60_000;
    this.hostStops.set(id, Number.POSITIVE_INFINITY);
    try {
      // A paused guest cannot see the ACPI button: force it.
      if (!opts.force && state !== 'paused' && timeoutMs > 0) {
        await this.ignoring(/not running|domain is not running/i, ['shutdown', '--mode', 'acpi', name]);
        const deadline = Date.now() + timeoutMs;
        const poll = this.opts.stopPollMs ?? 250;
        while (Date.now() < deadline) {
          const now = await this.virsh.state(name);
          if (now === undefined || !ACTIVE.has(now)) return this.status(id);
          await sleep(Math.min(poll, Math.max(0, deadline - Date.now())));
        }
      }
      await this.ignoring(/not running|domain is not running/i, ['destroy', name]);
      return this.status(id);
    } finally {
      const now = Date.now();
      for (const [k, until] of this.hostStops) if (until < now) this.hostStops.delete(k);
      this.hostStops.set(id, now + 10_000);
    }
  }

  async reboot(instance: InstanceId, opts: { hard?: boolean } = {}): Promise<DomainStatus> {
    const id = checkId('instance', instance);
    return this.locked(id, async () => {
      const state = await this.virsh.state(domainName(id));
      if (state === undefined) throw new DriverError('not_found', `instance ${id} has no domain`);
      if (!opts.hard && (state === 'paused' || !ACTIVE.has(state))) {
        throw new DriverError(
          'conflict',
          `instance ${id} is ${powerState(state)}; a soft reboot needs it running`,
        );
      }
      // Soft: graceful stop (ACPI, forced after the reboot timeout), then start; hard: forced stop, then start.
      // Both pick up the persistent definition, as Nova's reboots do.
      const timeoutMs = this.opts.rebootTimeoutMs ?? this.opts.stopTimeoutMs ?? 60_000;
      await this.stopLocked(id, { force: opts.hard === true, timeoutMs });
      return this.startLocked(id);
    });
  }

  async pause(instance: InstanceId): Promise<DomainStatus> {
    const id = checkId('instance', instance);
    return this.locked(id, async () => {
      const name = domainName(id);
      const state = await this.virsh.state(name);
      if (state === undefined) throw new DriverError('not_found', `instance ${id} has no domain`);
      if (state === 'paused') return this.status(id);
      if (!ACTIVE.has(state)) throw new DriverError('conflict', `instance ${id} is not running`);
      await this.virsh.run(['suspend', name], `suspend ${name}`);
      return this.status(id);
    });
  }

  async resume(instance: InstanceId): Promise<DomainStatus> {
    const id = checkId('instance', instance);
    return this.locked(id, async () => {
      const name = domainName(id);
      const state = await this.virsh.state(name);
      if (state === undefined) throw new DriverError('not_found', `instance ${id} has no domain`);
      if (!ACTIVE.has(state)) throw new DriverError('conflict', `instance ${id} is not running`);
      if (state === 'paused') await this.ignoring(/not paused|not suspended/i, ['resume', name]);
      return this.status(id);
    });
  }

  async destroy(instance: InstanceId): Promise<void> {
    const id = checkId('instance', instance);
    await this.locked(id, async () => {
      const name = domainName(id);
      const state = await this.virsh.state(name);
      if (state !== undefined) {
        if (ACTIVE.has(state)) {
          this.hostStops.set(id, Date.now() + 10_000);
          await this.ignoring(/not running|domain is not running/i, ['destroy', name]);
        }
        await this.ignoring(/Domain not found|no domain with matching|failed to get domain/i, [
          'undefine',
          '--nvram',
          name,
        ]);
      }
      await rm(instancePaths(this.opts.instancesDir, id).dir, { recursive: true, force: true });
    });
  }

  // ---- hot-plug (devices.ts) ---------------------------------------------------

  private get devices(): DeviceContext {
    return {
      virsh: this.virsh,
      instancesDir: this.opts.instancesDir,
      resolveDisk: this.opts.resolveDisk,
      diskCache: this.opts.diskCache ?? 'none',
      rbd: this.opts.rbd,
      detachTimeoutMs: this.opts.detachTimeoutMs ?? 10_000,
    };
  }

  async attachDisk(instance: InstanceId, disk: DomainDisk): Promise<DomainStatus> {
    const id = checkId('instance', instance);
    return this.locked(id, async () => {
      await attachDisk(this.devices, id, disk);
      return this.status(id);
    });
  }

  async detachDisk(instance: InstanceId, disk: DiskId): Promise<DomainStatus> {
    const id = checkId('instance', instance);
    const diskId = checkId('disk', disk);
    return this.locked(id, async () => {
      await detachDisk(this.devices, id, diskId);
      return this.status(id);
    });
  }

  async attachInterface(instance: InstanceId, iface: DomainInterface): Promise<DomainStatus> {
    const id = checkId('instance', instance);
    return this.locked(id, async () => {
      await attachInterface(this.devices, id, iface);
      return this.status(id);
    });
  }

  async detachInterface(instance: InstanceId, vif: VifId): Promise<DomainStatus> {
    const id = checkId('instance', instance);
    const vifId = checkId('vif', vif);
    return this.locked(id, async () => {
      await detachInterface(this.devices, id, vifId);
      return this.status(id);
    });
  }

  // ---- console and events ------------------------------------------------------

  async consoleLog(
    instance: InstanceId,
    opts: { offset?: number; limit?: number } = {},
  ): Promise<{ data: string; nextOffset: number }> {
    const id = checkId('instance', instance);
    const offset = checkCount('offset', opts.offset, { optional: true }) ?? 0;
    const limit = Math.min(
      checkCount('limit', opts.limit, { optional: true }) ?? 1024 * 1024,
      4 * 1024 * 1024,
    );
    if ((await this.virsh.state(domainName(id))) === undefined) {
      throw new DriverError('not_found', `instance ${id} has no domain`);
    }
    return readConsoleLog(instancePaths(this.opts.instancesDir, id).consoleLog, offset, limit);
  }

  events(signal: AbortSignal): AsyncIterable<HostEvent> {
    const mapper = new EventMapper(instanceOf, (id) => (this.hostStops.get(id) ?? 0) > Date.now());
    return eventStream(
      {
        command: {
          file: this.virsh.binary,
          args: this.virsh.args(['event', '--all', '--loop', '--timestamp']),
        },
        mapper,
        heartbeatMs: this.opts.heartbeatMs ?? 30_000,
        onError: this.opts.onError,
        seed: async () => {
          for (const name of await this.virsh.names()) {
            if (!instanceOf(name)) continue;
            const p = powerState(await this.virsh.state(name));
            mapper.seed(name, p === 'running' ? 'running' : p === 'paused' ? 'paused' : 'stopped');
          }
        },
      },
      signal,
    );
  }

  /** Run a virsh command; an error whose text matches `benign` means "already so". */
  private async ignoring(benign: RegExp, args: string[]): Promise<void> {
    try {
      await this.virsh.run(args, `${args[0]} ${args[args.length - 1]}`);
    } catch (err) {
      if (err instanceof DriverError && benign.test(err.message)) return;
      throw err;
    }
  }
}

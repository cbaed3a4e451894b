import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ComputeCapabilities,
  ComputeDriver,
  DomainDisk,
  DomainInterface,
  DomainSpec,
  DomainStatus,
  HostEvent,
  HostInfo,
  PowerState,
} from '../compute.js';
import { checkId, type DiskId, DriverError, type InstanceId, type VifId } from '../ids.js';
import type { StorageDriver } from '../storage.js';
import { EventHub } from './event-hub.js';
import { assignTargets, readyLine, sameJson } from './fake-domain.js';
import { type FakeHostOptions, fakeHostInfo } from './fake-host.js';
import { checkCount, checkDomainDisk, checkDomainInterface, checkDomainSpec } from './spec-checks.js';

export interface FakeComputeOptions extends FakeHostOptions {
  /** When given, every disk a domain uses must exist there (else not_found), and the host's disk figures come from its usage. */
  storage?: StorageDriver;
  /** Milliseconds from start until the guest prints its READY line (default 0: at once). */
  bootMs?: number;
  /** The guest ignores ACPI: a graceful stop waits its whole timeout, then forces. */
  ignoresAcpi?: boolean;
  /** Emit a heartbeat event this often (ms); 0 or absent: never. */
  heartbeatMs?: number;
  /** Default timeout of a graceful stop (ms). */
  stopTimeoutMs?: number;
  now?: () => number;
}

interface FakeDomain {
  spec: DomainSpec;
  power: PowerState;
  targets: Map<DiskId, string>;
  console: Buffer;
  vncPort: number;
  bootTimer?: NodeJS.Timeout;
}

const ACTIVE: ReadonlySet<PowerState> = new Set(['running', 'paused']);
const HOTPLUG_BUSES: ReadonlySet<DomainDisk['bus']> = new Set(['virtio', 'scsi']);

/**
 * An in-memory hypervisor. It is also the reference for the semantics every
 * compute driver must have (the conformance suite checks them):
 *
 * - ensureDomain defines a new domain shut off; the same spec again is a no-op
 *   returning the same status; a different spec redefines a shut-off domain and
 *   is a conflict while it runs or is paused.
 * - start: shutoff/crashed → running ('started'); running → no-op; paused → conflict.
 * - stop: running/paused → shutoff ('stopped'), graceful (ACPI) up to timeoutMs then
 *   forced; force skips the wait; a stopped domain → no-op.
 * - pause/resume: running ⇄ paused ('paused'/'resumed'); repeating is a no-op; on a
 *   shut-off domain → conflict.
 * - reboot: soft needs a running domain (else conflict); hard works from any state
 *   and leaves it running.
 * - destroy: forced stop ('stopped' if it was active) and undefine, console log
 *   gone; an unknown domain → no-op.
 * - attach/detach disk and interface: while shut off always; while active only
 *   virtio/scsi disks (others → conflict); the same attachment again is a no-op,
 *   a different one with the same id is a conflict; detaching what is not
 *   attached is a no-op. Status reports every disk with its target (vda, sdb…).
 * - consoleLog: bytes from `offset`, at most `limit`; it survives stop/start and a
 *   READY line follows every boot.
 * - Unknown instances → not_found, malformed ids or specs → invalid.
 *
 * Test hooks (`guestPowerOff`, `guestCrash`, `guestPrint`) play the guest's part.
 */
export class FakeComputeDriver implements ComputeDriver {
  readonly capabilities: ComputeCapabilities;
  protected readonly domains = new Map<InstanceId, FakeDomain>();
  protected readonly hub = new EventHub<HostEvent>();
  private readonly host: HostInfo;
  private readonly now: () => number;
  private nextVnc = 5900;
  private heartbeat?: NodeJS.Timeout;

  constructor(protected readonly opts: FakeComputeOptions = {}) {
    this.host = fakeHostInfo(opts);
    this.now = opts.now ?? Date.now;
    this.capabilities = {
      hypervisor: 'fake',
      arch: this.host.arch,
      hotplugDisk: true,
      hotplugInterface: true,
      pause: true,
      configDrive: true,
      serialConsoleLog: true,
    };
  }

  async hostInfo(): Promise<HostInfo> {
    if (!this.opts.storage) return structuredClone(this.host);
    const u = await this.opts.storage.usage();
    return { ...structuredClone(this.host), diskTotalBytes: u.totalBytes, diskFreeBytes: u.freeBytes };
  }

  async ensureDomain(input: DomainSpec): Promise<DomainStatus> {
    const spec = checkDomainSpec(input, this.host.arch);
    await this.checkDisksExist(spec.disks.map((d) => d.disk));
    const d = this.domains.get(spec.instance);
    if (!d) {
      this.domains.set(spec.instance, {
        spec,
        power: 'shutoff',
        targets: assignTargets(spec.disks, new Map()),
        console: Buffer.alloc(0),
        vncPort: this.nextVnc++,
      });
    } else if (!sameJson(d.spec, spec)) {
      if (ACTIVE.has(d.power))
        throw new DriverError('conflict', `instance ${spec.instance} is ${d.power}; stop it to redefine it`);
      d.spec = spec;
      d.targets = assignTargets(spec.disks, d.targets);
    }
    return this.statusOf(spec.instance);
  }

  async start(instance: InstanceId): Promise<DomainStatus> {
    const d = this.get(instance);
    if (d.power === 'running') return this.statusOf(instance);
    if (d.power === 'paused') throw new DriverError('conflict', `instance ${instance} is paused; resume it`);
    await this.powerOn(instance, d);
    return this.statusOf(instance);
  }

  async stop(
    instance: InstanceId,
    opts: { timeoutMs?: number; force?: boolean } = {},
  ): Promise<DomainStatus> {
    const timeoutMs = checkCount('timeoutMs', opts.timeoutMs, { optional: true });
    const d = this.get(instance);
    if (!ACTIVE.has(d.power)) {
      if (d.power !== 'shutoff') d.power = 'shutoff';
      return this.statusOf(instance);
    }
    if (!opts.force && this.opts.ignoresAcpi) {
      await sleep(timeoutMs ?? this.opts.stopTimeoutMs ?? 30_000);
      if (this.domains.get(instance) !== d || !ACTIVE.has(d.power)) return this.statusOf(instance);
    }
    this.powerOff(instance, d, 'stopped');
    return this.statusOf(instance);
  }

  async reboot(instance: InstanceId, opts: { hard?: boolean } = {}): Promise<DomainStatus> {
    const d = this.get(instance);
    if (!opts.hard) {
      if (d.power !== 'running')
        throw new DriverError(
          'conflict',
          `instance ${instance} is ${d.power}; a soft reboot needs it running`,
        );
      this.print(d, 'reboot: Restarting system\r\n');
      this.boot(d);
      return this.statusOf(instance);
    }
    if (ACTIVE.has(d.power)) this.powerOff(instance, d, 'stopped');
    await this.powerOn(instance, d);
    return this.statusOf(instance);
  }

  async pause(instance: InstanceId): Promise<DomainStatus> {
    const d = this.get(instance);
    if (d.power === 'paused') return this.statusOf(instance);
    if (d.power !== 'running')
      throw new DriverError('conflict', `instance ${instance} is ${d.power}, not running`);
    d.power = 'paused';
    this.emit('paused', instance);
    return this.statusOf(instance);
  }

  async resume(instance: InstanceId): Promise<DomainStatus> {
    const d = this.get(instance);
    if (d.power === 'running') return this.statusOf(instance);
    if (d.power !== 'paused')
      throw new DriverError('conflict', `instance ${instance} is ${d.power}, not paused`);
    d.power = 'running';
    this.emit('resumed', instance);
    return this.statusOf(instance);
  }

  async destroy(instance: InstanceId): Promise<void> {
    checkId('instance', instance);
    const d = this.domains.get(instance);
    if (!d) return;
    if (ACTIVE.has(d.power)) this.powerOff(instance, d, 'stopped');
    clearTimeout(d.bootTimer);
    this.domains.delete(instance);
  }

  async status(instance: InstanceId): Promise<DomainStatus> {
    this.get(instance);
    return this.statusOf(instance);
  }

  async list(): Promise<DomainStatus[]> {
    return [...this.domains.keys()].map((id) => this.statusOf(id));
  }

  async attachDisk(instance: InstanceId, input: DomainDisk): Promise<DomainStatus> {
    const disk = checkDomainDisk(input);
    const d = this.get(instance);
    const existing = d.spec.disks.find((x) => x.disk === disk.disk);
    if (existing) {
      if (sameJson(existing, disk)) return this.statusOf(instance);
      throw new DriverError('conflict', `disk ${disk.disk} is attached to ${instance} differently`);
    }
    if (disk.boot && d.spec.disks.some((x) => x.boot))
      throw new DriverError('invalid', `instance ${instance} already has a boot disk`);
    if (ACTIVE.has(d.power) && !HOTPLUG_BUSES.has(disk.bus))
      throw new DriverError('conflict', `a ${disk.bus} disk cannot be hot-plugged; stop ${instance} first`);
    await this.checkDisksExist([disk.disk]);
    d.spec = { ...d.spec, disks: [...d.spec.disks, disk] };
    d.targets = assignTargets(d.spec.disks, d.targets);
    return this.statusOf(instance);
  }

  async detachDisk(instance: InstanceId, disk: DiskId): Promise<DomainStatus> {
    checkId('disk', disk);
    const d = this.get(instance);
    if (d.spec.disks.some((x) => x.disk === disk)) {
      d.spec = { ...d.spec, disks: d.spec.disks.filter((x) => x.disk !== disk) };
      d.targets.delete(disk);
    }
    return this.statusOf(instance);
  }

  async attachInterface(instance: InstanceId, input: DomainInterface): Promise<DomainStatus> {
    const iface = checkDomainInterface(input);
    const d = this.get(instance);
    const existing = d.spec.interfaces.find((x) => x.vif === iface.vif);
    if (existing) {
      if (sameJson(existing, iface)) return this.statusOf(instance);
      throw new DriverError('conflict', `vif ${iface.vif} is attached to ${instance} differently`);
    }
    if (d.spec.interfaces.some((x) => x.mac === iface.mac))
      throw new DriverError('conflict', `mac ${iface.mac} is already used by ${instance}`);
    d.spec = { ...d.spec, interfaces: [...d.spec.interfaces, iface] };
    return this.statusOf(instance);
  }

  async detachInterface(instance: InstanceId, vif: VifId): Promise<DomainStatus> {
    checkId('vif', vif);
    const d = this.get(instance);
    d.spec = { ...d.spec, interfaces: d.spec.interfaces.filter((x) => x.vif !== vif) };
    return this.statusOf(instance);
  }

  async consoleLog(
    instance: InstanceId,
    opts: { offset?: number; limit?: number } = {},
  ): Promise<{ data: string; nextOffset: number }> {
    const offset = checkCount('offset', opts.offset, { optional: true }) ?? 0;
    const limit = checkCount('limit', opts.limit, { optional: true }) ?? 1024 * 1024;
    const d = this.get(instance);
    if (offset >= d.console.length) return { data: '', nextOffset: d.console.length };
    const chunk = d.console.subarray(offset, offset + limit);
    return { data: chunk.toString('utf8'), nextOffset: offset + chunk.length };
  }

  events(signal: AbortSignal): AsyncIterable<HostEvent> {
    const it = this.hub.subscribe(signal);
    if (signal.aborted) return it;
    this.startHeartbeat();
    signal.addEventListener('abort', () => this.stopHeartbeatIfIdle(), { once: true });
    return it;
  }

  // --- test hooks: the guest's side -------------------------------------------------

  /** The guest shuts itself down: shutoff and a 'shutoff_by_guest' event. */
  guestPowerOff(instance: InstanceId): void {
    const d = this.get(instance);
    if (ACTIVE.has(d.power)) this.powerOff(instance, d, 'shutoff_by_guest');
  }

  /** The guest crashes: power 'crashed' and a 'crashed' event. */
  guestCrash(instance: InstanceId): void {
    const d = this.get(instance);
    if (!ACTIVE.has(d.power)) return;
    clearTimeout(d.bootTimer);
    d.power = 'crashed';
    this.emit('crashed', instance);
  }

  /** The guest writes to its serial console. */
  guestPrint(instance: InstanceId, text: string): void {
    this.print(this.get(instance), text);
  }

  /** Stop timers (heartbeat, pending boots); the driver stays usable. */
  close(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const d of this.domains.values()) clearTimeout(d.bootTimer);
  }

  // --- internals -----------------------------------------------------------------

  protected get(instance: InstanceId): FakeDomain {
    checkId('instance', instance);
    const d = this.domains.get(instance);
    if (!d) throw new DriverError('not_found', `instance ${instance} not found`);
    return d;
  }

  protected emit(type: Exclude<HostEvent['type'], 'heartbeat'>, instance: InstanceId): void {
    this.hub.emit({ type, instance, at: this.now() });
  }

  /** Overridable: subclasses inject failures here. */
  protected async powerOn(instance: InstanceId, d: FakeDomain): Promise<void> {
    await this.checkDisksExist(d.spec.disks.map((x) => x.disk));
    d.power = 'running';
    this.emit('started', instance);
    this.boot(d);
  }

  private powerOff(instance: InstanceId, d: FakeDomain, event: 'stopped' | 'shutoff_by_guest'): void {
    clearTimeout(d.bootTimer);
    d.power = 'shutoff';
    this.emit(event, instance);
  }

  private boot(d: FakeDomain): void {
    clearTimeout(d.bootTimer);
    this.print(d, 'SeaBIOS (version kumo-fake)\r\nBooting from Hard Disk...\r\n');
    const ready = () => {
      if (d.power === 'running' || d.power === 'paused') this.print(d, readyLine(d.spec));
    };
    const ms = this.opts.bootMs ?? 0;
    if (ms > 0) d.bootTimer = setTimeout(ready, ms).unref();
    else ready();
  }

  private print(d: FakeDomain, text: string): void {
    d.console = Buffer.concat([d.console, Buffer.from(text, 'utf8')]);
  }

  private statusOf(instance: InstanceId): DomainStatus {
    const d = this.domains.get(instance);
    if (!d) throw new DriverError('not_found', `instance ${instance} not found`);
    const s: DomainStatus = {
      instance,
      power: d.power,
      vcpus: d.spec.vcpus,
      memoryMb: d.spec.memoryMb,
      disks: d.spec.disks.map((x) => ({ disk: x.disk, target: d.targets.get(x.disk) ?? '' })),
      interfaces: d.spec.interfaces.map((x) => ({ vif: x.vif, mac: x.mac })),
    };
    if (ACTIVE.has(d.power)) s.vnc = { host: '127.0.0.1', port: d.vncPort };
    return s;
  }

  private async checkDisksExist(disks: DiskId[]): Promise<void> {
    const storage = this.opts.storage;
    if (!storage) return;
    for (const disk of disks) await storage.getDisk(disk);
  }

  private startHeartbeat(): void {
    const ms = this.opts.heartbeatMs ?? 0;
    if (ms <= 0 || this.heartbeat) return;
    this.heartbeat = setInterval(() => this.hub.emit({ type: 'heartbeat', at: this.now() }), ms).unref();
  }

  private stopHeartbeatIfIdle(): void {
    if (this.hub.readerCount > 0) return;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

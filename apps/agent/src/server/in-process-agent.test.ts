import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { status } from '@grpc/grpc-js';
import {
  Arch,
  DiskBus,
  DiskFormat,
  type DomainSpec,
  HostEventType,
  RebootType,
  type WatchEventsResponse,
} from '@kumo/agent-proto';
import { createLogger } from '@kumo/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExportTarget } from '../drivers/conformance/export-target.js';
import { createFakeDrivers, type FakeDrivers, SlowDestroyComputeDriver } from '../drivers/fake/index.js';
import { DriverError } from '../drivers/ids.js';
import { type AgentClients, createAgentClients } from './client.js';
import { createInProcessAgent, type InProcessAgent } from './in-process-agent.js';
import { type RunningAgent, startTestAgent, testPki } from './testing.js';

const IMAGE_URL = 'http://images.example/cirros.raw';
const image = Buffer.alloc(1024 * 1024, 7);
const sha256 = createHash('sha256').update(image).digest('hex');
const MiB = 1024 * 1024;

const spec = (over: Partial<DomainSpec> = {}): DomainSpec => ({
  instanceId: 'vm-1',
  name: 'web-1',
  vcpus: 1,
  memoryMb: 128,
  arch: Arch.UNSPECIFIED,
  machine: 0,
  disks: [{ diskId: 'root-1', bus: DiskBus.VIRTIO, device: 0, readOnly: false, boot: true }],
  interfaces: [{ vifId: 'vif-1', mac: '52:54:00:00:00:01', bridge: 'br-test', model: 0 }],
  configDrive: { metaDataJson: JSON.stringify({ hostname: 'web-1', uuid: 'vm-1' }) },
  properties: {},
  ...over,
});

type Port = Pick<AgentClients, 'host' | 'compute' | 'storage' | 'network'>;

/** The same calls, in order, against each agent: success values or gRPC status + details. */
const table: [string, (a: Port, exportBase: string) => Promise<unknown>][] = [
  ['getHostInfo', (a) => a.host.getHostInfo({})],
  [
    'ensureImage',
    (a) => a.storage.ensureImage({ imageId: 'img-1', url: IMAGE_URL, checksum: sha256, checksumAlgo: 0 }),
  ],
  [
    'ensureImage again',
    (a) => a.storage.ensureImage({ imageId: 'img-1', url: IMAGE_URL, checksum: sha256, checksumAlgo: 0 }),
  ],
  [
    'ensureDiskFromImage',
    (a) => a.storage.ensureDiskFromImage({ diskId: 'root-1', imageId: 'img-1', sizeBytes: 8 * MiB }),
  ],
  ['ensureDomain', (a) => a.compute.ensureDomain({ spec: spec() })],
  ['ensureDomain again', (a) => a.compute.ensureDomain({ spec: spec() })],
  ['startDomain', (a) => a.compute.startDomain({ instanceId: 'vm-1' })],
  ['readConsoleLog', (a) => a.compute.readConsoleLog({ instanceId: 'vm-1', offset: 0, limit: 0 })],
  ['pauseDomain', (a) => a.compute.pauseDomain({ instanceId: 'vm-1' })],
  ['startDomain while paused (conflict)', (a) => a.compute.startDomain({ instanceId: 'vm-1' })],
  ['resumeDomain', (a) => a.compute.resumeDomain({ instanceId: 'vm-1' })],
  ['rebootDomain hard', (a) => a.compute.rebootDomain({ instanceId: 'vm-1', type: RebootType.HARD })],
  [
    'ensureVif',
    (a) =>
      a.network.ensureVif({ vifId: 'vif-1', instanceId: 'vm-1', mac: '52:54:00:00:00:01', network: 'n1' }),
  ],
  ['listVifs', (a) => a.network.listVifs({})],
  [
    'exportDisk qcow2',
    (a, base) => a.storage.exportDisk({ diskId: 'root-1', url: `${base}/ok/x`, format: DiskFormat.QCOW2 }),
  ],
  [
    'exportDisk to a 400',
    (a, base) => a.storage.exportDisk({ diskId: 'root-1', url: `${base}/refuse`, format: 0 }),
  ],
  [
    'exportDisk file: url',
    (a) => a.storage.exportDisk({ diskId: 'root-1', url: 'file:///etc/passwd', format: 0 }),
  ],
  ['stopDomain (no force given)', (a) => a.compute.stopDomain({ instanceId: 'vm-1' } as never)],
  ['getDomain unknown', (a) => a.compute.getDomain({ instanceId: 'nope' })],
  ['getDisk path trick', (a) => a.storage.getDisk({ diskId: '../../etc' })],
  ['ensureBlankDisk negative', (a) => a.storage.ensureBlankDisk({ diskId: 'd-9', sizeBytes: -MiB })],
  ['ensureDomain without spec', (a) => a.compute.ensureDomain({})],
  ['removeImage in use (conflict)', (a) => a.storage.removeImage({ imageId: 'img-1' })],
  ['destroyDomain', (a) => a.compute.destroyDomain({ instanceId: 'vm-1' })],
  ['destroyDomain again', (a) => a.compute.destroyDomain({ instanceId: 'vm-1' })],
  ['listDomains', (a) => a.compute.listDomains({})],
  ['listDisks', (a) => a.storage.listDisks({})],
];

async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await p };
  } catch (err) {
    const e = err as { code: number; details: string };
    return { code: status[e.code], details: e.details };
  }
}

function fakes(): FakeDrivers {
  const d = createFakeDrivers();
  d.storage.serve(IMAGE_URL, image);
  return d;
}

describe('in-process agent: what the gRPC agent answers, without the network', () => {
  let pki: Awaited<ReturnType<typeof testPki>>;
  let remoteFakes: FakeDrivers;
  let localFakes: FakeDrivers;
  let remote: RunningAgent;
  let local: InProcessAgent;
  let target: Awaited<ReturnType<typeof startExportTarget>>;

  beforeAll(async () => {
    pki = await testPki('host-1');
    remoteFakes = fakes();
    localFakes = fakes();
    remote = await startTestAgent(pki, { drivers: remoteFakes });
    local = createInProcessAgent(localFakes, { hostId: 'host-1' });
    target = await startExportTarget();
  });
  afterAll(async () => {
    local.close();
    await remote.stop();
    remoteFakes.compute.close();
    localFakes.compute.close();
    await target.close();
  });

  it('the same calls give the same answers and the same errors, one by one', async () => {
    for (const [what, call] of table) {
      const viaGrpc = await outcome(call(remote.clients, target.base));
      const inProcess = await outcome(call(local, target.base));
      expect({ what, inProcess }).toEqual({ what, inProcess: viaGrpc });
    }
    expect(remoteFakes.storage.exports.length).toBe(1);
    expect(localFakes.storage.exports.length).toBe(1);
  });

  it('errors are grpc-js ServiceErrors: code, details, a "<code> <NAME>: <details>" message', async () => {
    const err = await local.compute.getDomain({ instanceId: 'ghost' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({
      code: status.NOT_FOUND,
      details: 'instance ghost not found',
      message: '5 NOT_FOUND: instance ghost not found',
    });
    const remoteErr = await remote.clients.compute
      .getDomain({ instanceId: 'ghost' })
      .catch((e: unknown) => e);
    expect((remoteErr as Error).message).toBe((err as Error).message);
  });

  it('injected failures (failOn) and deadlines look the same too', async () => {
    localFakes.failOn.startDomain = new DriverError('unavailable', 'injected: host unreachable');
    await expect(local.compute.startDomain({ instanceId: 'x' })).rejects.toMatchObject({
      code: status.UNAVAILABLE,
      details: 'injected: host unreachable',
    });
    delete localFakes.failOn.startDomain;
    const slow = createInProcessAgent({
      ...createFakeDrivers(),
      compute: new SlowDestroyComputeDriver({ destroyMs: 500 }),
    });
    await expect(slow.compute.destroyDomain({ instanceId: 'x' }, { deadlineMs: 20 })).rejects.toMatchObject({
      code: status.DEADLINE_EXCEEDED,
    });
  });

  it('logs each RPC with the request id the caller passed', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        cb();
      },
    });
    const a = createInProcessAgent(createFakeDrivers(), {
      hostId: 'h-log',
      logger: createLogger({ service: 'agent', destination: sink }),
    });
    const requestId = `req-${randomUUID()}`;
    await a.compute.getDomain({ instanceId: 'ghost' }, { requestId }).catch(() => undefined);
    expect(lines).toContainEqual(
      expect.objectContaining({ rpc: 'GetDomain', requestId, hostId: 'h-log', code: 'NOT_FOUND' }),
    );
  });

  it('watchEvents streams heartbeats and lifecycle events; cancel() ends it with CANCELLED, close() with end', async () => {
    const seen: WatchEventsResponse[] = [];
    const stream = local.watchEvents({ heartbeatIntervalMs: 100 });
    const errors: { code: number }[] = [];
    stream.on('data', (m: WatchEventsResponse) => seen.push(m));
    stream.on('error', (e: { code: number }) => errors.push(e));
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    expect(seen[0]?.event?.type).toBe(HostEventType.HEARTBEAT);
    await local.compute.ensureDomain({ spec: spec({ instanceId: 'vm-ev', disks: [], interfaces: [] }) });
    await local.compute.startDomain({ instanceId: 'vm-ev' });
    localFakes.compute.guestPowerOff('vm-ev');
    await expect
      .poll(() => seen.filter((m) => m.event?.type !== HostEventType.HEARTBEAT).map((m) => m.event?.type))
      .toEqual([HostEventType.STARTED, HostEventType.SHUTOFF_BY_GUEST]);
    stream.cancel();
    await expect.poll(() => errors.map((e) => e.code)).toEqual([status.CANCELLED]);

    const second = local.watchEvents();
    const ended = new Promise<void>((resolve) => second.on('end', () => resolve()));
    second.on('data', () => undefined);
    await new Promise((r) => setTimeout(r, 20));
    local.close();
    await ended;
    await local.compute.destroyDomain({ instanceId: 'vm-ev' });
  });
});

describe('in-process agent and remote clients share one type', () => {
  it('both fit AgentClients minus raw/close', () => {
    const port: Pick<AgentClients, 'host' | 'compute' | 'storage' | 'network' | 'watchEvents'> =
      createInProcessAgent(createFakeDrivers());
    expect(typeof port.watchEvents).toBe('function');
    expect(typeof createAgentClients).toBe('function');
  });
});

import { createHash, randomUUID } from 'node:crypto';
import { Metadata, status } from '@grpc/grpc-js';
import {
  Arch,
  ChecksumAlgo,
  DiskBus,
  DiskDevice,
  DiskFormat,
  type DomainSpec,
  HostEventType,
  Hypervisor,
  NicModel,
  PowerState,
  RebootType,
} from '@kumo/agent-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFakeDrivers,
  DiskFullStorageDriver,
  type FakeDrivers,
  StartFailsComputeDriver,
} from '../drivers/fake/index.js';
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

/** The gRPC status code a promise rejects with. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return status[(err as { code: number }).code] ?? String(err);
  }
}

describe('agent gRPC server over mTLS (fake drivers)', () => {
  let pki: Awaited<ReturnType<typeof testPki>>;
  let fakes: FakeDrivers;
  let agent: RunningAgent;

  beforeAll(async () => {
    pki = await testPki('host-1');
    fakes = createFakeDrivers();
    fakes.storage.serve(IMAGE_URL, image);
    agent = await startTestAgent(pki, { drivers: fakes, heartbeatMs: 100 });
  });
  afterAll(async () => {
    await agent.stop();
    fakes.compute.close();
  });

  it('GetHostInfo reports the inventory, capabilities and host id', async () => {
    const res = await agent.clients.host.getHostInfo({});
    expect(res.hostId).toBe('host-1');
    expect(res.host?.arch).toBe(Arch.X86_64);
    expect(res.host?.cpus).toBeGreaterThan(0);
    expect(res.host?.memoryMb).toBeGreaterThan(0);
    expect(res.host?.numaCells.length).toBeGreaterThan(0);
    expect(res.host?.hypervisor).toBe(Hypervisor.FAKE);
    expect(res.host?.kvmProved).toBe(false);
    expect(res.compute?.hotplugDisk).toBe(true);
    expect(res.storage?.backend).toBe('fake');
    expect(res.network?.backend).toBe('fake');
    expect(res.storageUsage?.totalBytes).toBeGreaterThan(0);
  });

  it('storage: image cache and disks, every ensure twice is a no-op', async () => {
    const s = agent.clients.storage;
    const req = {
      imageId: 'img-1',
      url: IMAGE_URL,
      sizeBytes: image.length,
      checksum: sha256,
      checksumAlgo: ChecksumAlgo.UNSPECIFIED,
    };
    const first = await s.ensureImage(req);
    expect(first.image).toMatchObject({ imageId: 'img-1', sizeBytes: image.length, format: DiskFormat.RAW });
    expect(first.image?.checksumAlgo).toBe(ChecksumAlgo.SHA256);
    expect(await s.ensureImage(req)).toEqual(first);
    expect(fakes.storage.fetches.get(IMAGE_URL)).toBe(1);
    expect((await s.getImage({ imageId: 'img-1' })).image).toEqual(first.image);

    const root = await s.ensureDiskFromImage({ diskId: 'root-1', imageId: 'img-1', sizeBytes: 8 * MiB });
    expect(root.disk).toMatchObject({ diskId: 'root-1', sizeBytes: 8 * MiB, backingImageId: 'img-1' });
    expect(await s.ensureDiskFromImage({ diskId: 'root-1', imageId: 'img-1', sizeBytes: 8 * MiB })).toEqual(
      root,
    );
    expect(JSON.stringify(root)).not.toContain('/var/lib'); // host paths stay inside

    const blank = await s.ensureBlankDisk({ diskId: 'data-1', sizeBytes: 4 * MiB });
    expect(blank.disk).toMatchObject({ diskId: 'data-1', sizeBytes: 4 * MiB, format: DiskFormat.QCOW2 });
    expect(await s.ensureBlankDisk({ diskId: 'data-1', sizeBytes: 4 * MiB })).toEqual(blank);
    expect((await s.resizeDisk({ diskId: 'data-1', sizeBytes: 6 * MiB })).disk?.sizeBytes).toBe(6 * MiB);
    expect((await s.getDisk({ diskId: 'data-1' })).disk?.sizeBytes).toBe(6 * MiB);
    expect((await s.listDisks({})).disks.map((d) => d.diskId).sort()).toEqual(['data-1', 'root-1']);

    await s.ensureBlankDisk({ diskId: 'tmp-1', sizeBytes: MiB });
    await s.deleteDisk({ diskId: 'tmp-1' });
    await s.deleteDisk({ diskId: 'tmp-1' });
    expect(await codeOf(s.getDisk({ diskId: 'tmp-1' }))).toBe('NOT_FOUND');
    expect(await codeOf(s.removeImage({ imageId: 'img-1' }))).toBe('FAILED_PRECONDITION'); // root-1 uses it
  });

  it('network: VIFs ensure (twice), list, remove', async () => {
    const n = agent.clients.network;
    const req = { vifId: 'vif-9', instanceId: 'vm-9', mac: '52:54:00:00:00:09', network: 'net-1' };
    const b = await n.ensureVif(req);
    expect(b.binding).toMatchObject({ vifId: 'vif-9', instanceId: 'vm-9', mac: '52:54:00:00:00:09' });
    expect(b.binding?.bridge).toMatch(/^kb/);
    expect(await n.ensureVif(req)).toEqual(b);
    expect((await n.listVifs({})).bindings.map((x) => x.vifId)).toContain('vif-9');
    await n.removeVif({ vifId: 'vif-9' });
    expect((await n.listVifs({})).bindings.map((x) => x.vifId)).not.toContain('vif-9');
  });

  it('compute: a domain through its whole life, every verb over gRPC', async () => {
    const c = agent.clients.compute;
    const made = await c.ensureDomain({ spec: spec() });
    expect(made.domain).toMatchObject({
      instanceId: 'vm-1',
      power: PowerState.SHUTOFF,
      vcpus: 1,
      memoryMb: 128,
    });
    expect(await c.ensureDomain({ spec: spec() })).toEqual(made); // second ensure: a no-op

    expect((await c.startDomain({ instanceId: 'vm-1' })).domain?.power).toBe(PowerState.RUNNING);
    expect((await c.startDomain({ instanceId: 'vm-1' })).domain?.power).toBe(PowerState.RUNNING);
    const got = await c.getDomain({ instanceId: 'vm-1' });
    expect(got.domain?.disks).toEqual([{ diskId: 'root-1', target: 'vda' }]);
    expect(got.domain?.interfaces).toEqual([{ vifId: 'vif-1', mac: '52:54:00:00:00:01' }]);
    expect(got.domain?.vnc?.port).toBeGreaterThan(0);

    const log = await c.readConsoleLog({ instanceId: 'vm-1', offset: 0, limit: 0 });
    expect(log.data).toContain('hostname=web-1');
    expect(log.nextOffset).toBe(Buffer.byteLength(log.data));
    const rest = await c.readConsoleLog({ instanceId: 'vm-1', offset: log.nextOffset, limit: 10 });
    expect(rest.data).toBe('');

    expect((await c.pauseDomain({ instanceId: 'vm-1' })).domain?.power).toBe(PowerState.PAUSED);
    expect((await c.resumeDomain({ instanceId: 'vm-1' })).domain?.power).toBe(PowerState.RUNNING);
    expect((await c.rebootDomain({ instanceId: 'vm-1', type: RebootType.SOFT })).domain?.power).toBe(
      PowerState.RUNNING,
    );
    expect((await c.rebootDomain({ instanceId: 'vm-1', type: RebootType.HARD })).domain?.power).toBe(
      PowerState.RUNNING,
    );

    const disk = {
      diskId: 'data-1',
      bus: DiskBus.VIRTIO,
      device: DiskDevice.DISK,
      readOnly: false,
      boot: false,
    };
    const plugged = await c.attachDisk({ instanceId: 'vm-1', disk });
    expect(plugged.domain?.disks.map((d) => d.diskId)).toEqual(['root-1', 'data-1']);
    expect(await c.attachDisk({ instanceId: 'vm-1', disk })).toEqual(plugged);
    const unplugged = await c.detachDisk({ instanceId: 'vm-1', diskId: 'data-1' });
    expect(unplugged.domain?.disks.map((d) => d.diskId)).toEqual(['root-1']);

    const nic = { vifId: 'vif-2', mac: '52:54:00:00:00:02', bridge: 'br-test', model: NicModel.VIRTIO };
    const withNic = await c.attachInterface({ instanceId: 'vm-1', interface: nic });
    expect(withNic.domain?.interfaces.map((i) => i.vifId)).toEqual(['vif-1', 'vif-2']);
    const noNic = await c.detachInterface({ instanceId: 'vm-1', vifId: 'vif-2' });
    expect(noNic.domain?.interfaces.map((i) => i.vifId)).toEqual(['vif-1']);

    expect((await c.listDomains({})).domains.map((d) => d.instanceId)).toEqual(['vm-1']);
    const stopped = await c.stopDomain({ instanceId: 'vm-1', timeoutMs: 1000, force: false });
    expect(stopped.domain?.power).toBe(PowerState.SHUTOFF);
    expect((await c.stopDomain({ instanceId: 'vm-1', force: true })).domain?.power).toBe(PowerState.SHUTOFF);

    await c.destroyDomain({ instanceId: 'vm-1' });
    await c.destroyDomain({ instanceId: 'vm-1' }); // gone already: still OK
    expect(await codeOf(c.getDomain({ instanceId: 'vm-1' }))).toBe('NOT_FOUND');
    expect((await c.listDomains({})).domains).toEqual([]);
  });

  it('unknown ids are NOT_FOUND', async () => {
    const { compute: c, storage: s } = agent.clients;
    expect(await codeOf(c.getDomain({ instanceId: 'nope' }))).toBe('NOT_FOUND');
    expect(await codeOf(c.startDomain({ instanceId: 'nope' }))).toBe('NOT_FOUND');
    expect(await codeOf(c.readConsoleLog({ instanceId: 'nope', offset: 0, limit: 0 }))).toBe('NOT_FOUND');
    expect(await codeOf(s.getDisk({ diskId: 'nope' }))).toBe('NOT_FOUND');
    expect(await codeOf(s.getImage({ imageId: 'nope' }))).toBe('NOT_FOUND');
    expect(await codeOf(s.resizeDisk({ diskId: 'nope', sizeBytes: MiB }))).toBe('NOT_FOUND');
    expect(await codeOf(s.ensureDiskFromImage({ diskId: 'd-x', imageId: 'nope', sizeBytes: MiB }))).toBe(
      'NOT_FOUND',
    );
  });

  it('malformed specs, negative sizes and path tricks are INVALID_ARGUMENT', async () => {
    const { compute: c, storage: s, network: n } = agent.clients;
    const bad: [string, Promise<unknown>][] = [
      ['path id', c.getDomain({ instanceId: '../etc/passwd' })],
      ['empty id', c.startDomain({ instanceId: '' })],
      ['path disk id', s.ensureBlankDisk({ diskId: '../../root', sizeBytes: MiB })],
      ['negative size', s.ensureBlankDisk({ diskId: 'neg-1', sizeBytes: -MiB })],
      ['zero size', s.ensureBlankDisk({ diskId: 'neg-1', sizeBytes: 0 })],
      ['shrink', s.resizeDisk({ diskId: 'root-1', sizeBytes: MiB })],
      ['no spec', c.ensureDomain({})],
      ['zero vcpus', c.ensureDomain({ spec: spec({ vcpus: 0 }) })],
      ['negative memory', c.ensureDomain({ spec: spec({ memoryMb: -1 }) })],
      [
        'bad mac',
        c.ensureDomain({ spec: spec({ interfaces: [{ vifId: 'v', mac: 'zz', bridge: 'br0', model: 0 }] }) }),
      ],
      [
        'bridge path',
        c.ensureDomain({
          spec: spec({ interfaces: [{ vifId: 'v', mac: '52:54:00:00:00:03', bridge: '../x', model: 0 }] }),
        }),
      ],
      ['meta not JSON', c.ensureDomain({ spec: spec({ configDrive: { metaDataJson: '{nope' } }) })],
      ['unknown enum', c.ensureDomain({ spec: spec({ machine: 99 as never }) })],
      [
        'disk path id',
        c.ensureDomain({
          spec: spec({ disks: [{ diskId: '../x', bus: 0, device: 0, readOnly: false, boot: false }] }),
        }),
      ],
      ['negative offset', c.readConsoleLog({ instanceId: 'vm-1', offset: -5, limit: 0 })],
      ['bad checksum', s.ensureImage({ imageId: 'img-2', url: IMAGE_URL, checksum: 'abc', checksumAlgo: 0 })],
      ['bad url', s.ensureImage({ imageId: 'img-2', url: 'gopher://x', checksum: sha256, checksumAlgo: 0 })],
      ['negative timeout', c.stopDomain({ instanceId: 'vm-1', timeoutMs: -1, force: false })],
      [
        'bad vif mac',
        n.ensureVif({ vifId: 'v-1', instanceId: 'vm-1', mac: 'ff:ff:ff:ff:ff:ff', network: 'n' }),
      ],
    ];
    for (const [what, p] of bad) expect([what, await codeOf(p)]).toEqual([what, 'INVALID_ARGUMENT']);
  });

  it('undecodable bytes are INVALID_ARGUMENT, and the agent keeps serving', async () => {
    const raw = agent.clients.raw.compute;
    const code = await new Promise<number>((resolve) => {
      raw.makeUnaryRequest(
        '/kumo.agent.v1.ComputeService/GetDomain',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), // a length far past the end
        (err) => resolve(err?.code ?? 0),
      );
    });
    expect(status[code]).toBe('INVALID_ARGUMENT');
    expect((await agent.clients.host.getHostInfo({})).hostId).toBe('host-1');
  });

  it('conflicts are FAILED_PRECONDITION', async () => {
    const { storage: s, compute: c } = agent.clients;
    await s.ensureBlankDisk({ diskId: 'c-1', sizeBytes: MiB });
    expect(await codeOf(s.ensureBlankDisk({ diskId: 'c-1', sizeBytes: 2 * MiB }))).toBe(
      'FAILED_PRECONDITION',
    );
    await s.deleteDisk({ diskId: 'c-1' });
    await c.ensureDomain({ spec: spec({ instanceId: 'vm-c', disks: [], interfaces: [] }) });
    expect(await codeOf(c.pauseDomain({ instanceId: 'vm-c' }))).toBe('FAILED_PRECONDITION'); // shut off
    await c.destroyDomain({ instanceId: 'vm-c' });
  });

  it('propagates x-openstack-request-id into the logs and back to the caller', async () => {
    const requestId = `req-${randomUUID()}`;
    await agent.clients.host.getHostInfo({}, { requestId });
    await codeOf(agent.clients.compute.getDomain({ instanceId: 'ghost' }, { requestId }));
    const lines = agent.logs.filter((l) => l.requestId === requestId);
    expect(lines.map((l) => l.rpc)).toEqual(['GetHostInfo', 'GetDomain']);
    expect(lines[1]).toMatchObject({ code: 'NOT_FOUND' });
    const echoed = await new Promise<string>((resolve) => {
      const md = new Metadata();
      md.set('x-openstack-request-id', requestId);
      const call = agent.clients.raw.host.getHostInfo({}, md, () => {});
      call.on('metadata', (m) => resolve(String(m.get('x-openstack-request-id')[0])));
    });
    expect(echoed).toBe(requestId);
  });

  it('WatchEvents streams start/stop events and heartbeats', async () => {
    const stream = agent.clients.watchEvents({ heartbeatIntervalMs: 100 });
    const seen: { type: number; instanceId: string }[] = [];
    const waitFor = (pred: () => boolean, ms = 5000) =>
      new Promise<void>((resolve, reject) => {
        const t0 = Date.now();
        const tick = () =>
          pred() ? resolve() : Date.now() - t0 > ms ? reject(new Error('timeout')) : setTimeout(tick, 10);
        tick();
      });
    stream.on('data', (m) => seen.push({ type: m.event.type, instanceId: m.event.instanceId }));
    stream.on('error', () => {});
    await waitFor(() => seen.some((e) => e.type === HostEventType.HEARTBEAT));

    const c = agent.clients.compute;
    await c.ensureDomain({ spec: spec({ instanceId: 'vm-ev', disks: [], interfaces: [] }) });
    await c.startDomain({ instanceId: 'vm-ev' });
    await c.stopDomain({ instanceId: 'vm-ev', force: true });
    await c.startDomain({ instanceId: 'vm-ev' });
    fakes.compute.guestPowerOff('vm-ev');
    await waitFor(() => seen.some((e) => e.type === HostEventType.SHUTOFF_BY_GUEST));
    await waitFor(() => seen.filter((e) => e.type === HostEventType.HEARTBEAT).length >= 3);
    const lifecycle = seen.filter((e) => e.type !== HostEventType.HEARTBEAT);
    expect(lifecycle).toEqual([
      { type: HostEventType.STARTED, instanceId: 'vm-ev' },
      { type: HostEventType.STOPPED, instanceId: 'vm-ev' },
      { type: HostEventType.STARTED, instanceId: 'vm-ev' },
      { type: HostEventType.SHUTOFF_BY_GUEST, instanceId: 'vm-ev' },
    ]);
    stream.cancel();
    await c.destroyDomain({ instanceId: 'vm-ev' });
  });
});

describe('agent gRPC server with failing drivers', () => {
  let agent: RunningAgent;
  beforeAll(async () => {
    const storage = new DiskFullStorageDriver();
    const compute = new StartFailsComputeDriver({ storage });
    agent = await startTestAgent(await testPki('host-2'), { drivers: { storage, compute } });
  });
  afterAll(() => agent.stop());

  it('a full disk is RESOURCE_EXHAUSTED, a failed start INTERNAL; the agent stays up', async () => {
    const { storage: s, compute: c } = agent.clients;
    expect(await codeOf(s.ensureBlankDisk({ diskId: 'd-1', sizeBytes: MiB }))).toBe('RESOURCE_EXHAUSTED');
    await c.ensureDomain({ spec: spec({ instanceId: 'vm-f', disks: [], interfaces: [] }) });
    expect(await codeOf(c.startDomain({ instanceId: 'vm-f' }))).toBe('INTERNAL');
    expect((await c.getDomain({ instanceId: 'vm-f' })).domain?.power).toBe(PowerState.SHUTOFF);
    expect((await agent.clients.host.getHostInfo({})).storageUsage?.freeBytes).toBe(0);
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DomainSpec } from '../compute.js';
import type { DiskInfo } from '../storage.js';
import { parseDomainXml } from './domain-status.js';
import {
  DEFAULT_FIRMWARE,
  type DomainXmlInput,
  diskLetters,
  diskXml,
  domainXml,
  interfaceXml,
  nextTarget,
  placeDisks,
} from './domain-xml.js';
import { checkSpec } from './spec.js';
import { child, children, parseXml } from './xml.js';

const INSTANCE = '6f2b1c3e-9a47-4d55-8a1e-2b7c4f0e9d11';

function disk(id: string, path = `/var/lib/kumo/disks/${id}.qcow2`): DiskInfo {
  return {
    disk: id,
    sizeBytes: 1 << 30,
    allocatedBytes: 1 << 20,
    format: 'qcow2',
    source: { type: 'file', path },
  };
}

function baseSpec(over: Partial<DomainSpec> = {}): DomainSpec {
  return {
    instance: INSTANCE,
    name: 'web <1> & "db"',
    vcpus: 2,
    memoryMb: 512,
    disks: [{ disk: 'root-disk', bus: 'virtio', device: 'disk', boot: true }],
    interfaces: [{ vif: 'vif-1', mac: '52:54:00:AB:CD:EF', bridge: 'kumobr0' }],
    configDrive: { metaData: { hostname: 'web-1' } },
    ...over,
  };
}

function build(spec: DomainSpec, arch: 'x86_64' | 'aarch64' = 'x86_64', over: Partial<DomainXmlInput> = {}) {
  const s = checkSpec(spec, arch);
  const resolved = new Map(s.disks.map((d) => [d.disk, disk(d.disk)] as const));
  const placed = placeDisks(
    s,
    resolved,
    s.configDrive ? `/var/lib/kumo/instances/${INSTANCE}/config-drive.iso` : undefined,
  );
  const xml = domainXml({
    spec: s,
    type: 'qemu',
    name: `kumo-${INSTANCE}`,
    uuid: INSTANCE,
    ...placed,
    consoleLog: `/var/lib/kumo/instances/${INSTANCE}/console.log`,
    nvram: `/var/lib/kumo/instances/${INSTANCE}/nvram.fd`,
    firmware: DEFAULT_FIRMWARE,
    diskCache: 'none',
    hotplugPorts: 4,
    specHash: 'h1',
    ...over,
  });
  return { xml, dom: parseXml(xml) };
}

const validated: string[] = [];
const scratch = mkdtemp(join(tmpdir(), 'kumo-domain-xml-'));
afterAll(async () => rm(await scratch, { recursive: true, force: true }));

/** libvirt's own schema check when virt-xml-validate is installed (skipped otherwise). */
async function validate(xml: string): Promise<void> {
  const file = join(await scratch, `d${validated.length}.xml`);
  await writeFile(file, xml);
  validated.push(file);
  const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
    execFile('virt-xml-validate', [file, 'domain'], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
  if (r.code === 127 || /ENOENT/.test(r.out) || (r.code !== 0 && r.out === '')) return;
  expect(r.out).toContain('validates');
}

describe('domain XML: x86_64', () => {
  it('q35 by default: TCG, virtio disk and net, config drive on SATA, console to a file, VNC on localhost', async () => {
    const { xml, dom } = build(baseSpec());
    expect(dom.attrs.type).toBe('qemu');
    expect(child(dom, 'name')?.text).toBe(`kumo-${INSTANCE}`);
    expect(child(dom, 'uuid')?.text).toBe(INSTANCE);
    expect(child(dom, 'os/type')?.attrs).toEqual({ arch: 'x86_64', machine: 'q35' });
    expect(child(dom, 'os/loader')).toBeUndefined();
    expect(child(dom, 'vcpu')?.text).toBe('2');
    expect(child(dom, 'memory')?.attrs.unit).toBe('MiB');
    expect(child(dom, 'memory')?.text).toBe('512');
    expect(child(dom, 'cpu')?.attrs.mode).toBe('maximum');
    expect(child(dom, 'features/apic')).toBeDefined();

    const devices = child(dom, 'devices');
    const disks = children(devices, 'disk');
    expect(disks).toHaveLength(2);
    const [root, cd] = disks;
    expect(child(root, 'target')?.attrs).toEqual({ dev: 'vda', bus: 'virtio' });
    expect(child(root, 'source')?.attrs.file).toBe('/var/lib/kumo/disks/root-disk.qcow2');
    expect(child(root, 'driver')?.attrs).toMatchObject({ type: 'qcow2', cache: 'none' });
    expect(child(root, 'boot')?.attrs.order).toBe('1');
    expect(child(root, 'alias')?.attrs.name).toBe('ua-disk-root-disk');
    expect(cd?.attrs.device).toBe('cdrom');
    expect(child(cd, 'target')?.attrs).toEqual({ dev: 'sda', bus: 'sata' });
    expect(child(cd, 'readonly')).toBeDefined();
    expect(child(cd, 'source')?.attrs.file).toMatch(/config-drive\.iso$/);

    const nic = child(devices, 'interface');
    expect(nic?.attrs.type).toBe('bridge');
    expect(child(nic, 'mac')?.attrs.address).toBe('52:54:00:ab:cd:ef');
    expect(child(nic, 'source')?.attrs.bridge).toBe('kumobr0');
    expect(child(nic, 'model')?.attrs.type).toBe('virtio');
    expect(child(nic, 'alias')?.attrs.name).toBe('ua-vif-vif-1');

    const serial = child(devices, 'serial');
    expect(serial?.attrs.type).toBe('file');
    expect(child(serial, 'source')?.attrs.path).toBe(`/var/lib/kumo/instances/${INSTANCE}/console.log`);
    expect(child(devices, 'console')?.attrs.type).toBe('file');
    const vnc = child(devices, 'graphics');
    expect(vnc?.attrs).toMatchObject({ type: 'vnc', autoport: 'yes', listen: '127.0.0.1' });
    expect(child(vnc, 'listen')?.attrs.address).toBe('127.0.0.1');

    // PCIe: a root complex and enough root ports to hot-plug into.
    const controllers = children(devices, 'controller');
    expect(controllers.filter((c) => c.attrs.model === 'pcie-root')).toHaveLength(1);
    expect(controllers.filter((c) => c.attrs.model === 'pcie-root-port').length).toBeGreaterThanOrEqual(
      4 + 3,
    );

    // Special characters are escaped, and the metadata reads back.
    expect(xml).toContain('<title>web &lt;1&gt; &amp; &quot;db&quot;</title>');
    const parsed = parseDomainXml(xml);
    expect(parsed).toMatchObject({
      instance: INSTANCE,
      specHash: 'h1',
      vcpus: 2,
      memoryMb: 512,
      machine: 'q35',
    });
    expect(parsed.disks).toEqual([
      { disk: 'root-disk', target: 'vda', bus: 'virtio', device: 'disk', readOnly: false, boot: true },
    ]);
    expect(parsed.configDrive).toEqual({ target: 'sda' });
    expect(parsed.interfaces).toEqual([
      { vif: 'vif-1', mac: '52:54:00:ab:cd:ef', bridge: 'kumobr0', model: 'virtio' },
    ]);
    await validate(xml);
  });

  it('pc: config drive on IDE, no PCIe root ports', async () => {
    const { xml, dom } = build(baseSpec({ machine: 'pc' }));
    expect(child(dom, 'os/type')?.attrs.machine).toBe('pc');
    const cd = children(child(dom, 'devices'), 'disk').find((d) => d.attrs.device === 'cdrom');
    expect(child(cd, 'target')?.attrs).toEqual({ dev: 'hda', bus: 'ide' });
    expect(xml).not.toContain('pcie-root');
    await validate(xml);
  });

  it('KVM: domain type kvm and the host CPU', async () => {
    const { dom, xml } = build(baseSpec(), 'x86_64', { type: 'kvm' });
    expect(dom.attrs.type).toBe('kvm');
    expect(child(dom, 'cpu')?.attrs.mode).toBe('host-passthrough');
    await validate(xml);
  });

  it('UEFI on x86_64 when the image asks for it (OVMF + per-domain vars)', async () => {
    const { dom, xml } = build(baseSpec({ properties: { hw_firmware_type: 'uefi' } }));
    expect(child(dom, 'os/loader')?.text).toBe('/usr/share/OVMF/OVMF_CODE_4M.fd');
    expect(child(dom, 'os/loader')?.attrs).toEqual({ readonly: 'yes', type: 'pflash' });
    expect(child(dom, 'os/nvram')?.attrs.template).toBe('/usr/share/OVMF/OVMF_VARS_4M.fd');
    expect(child(dom, 'os/nvram')?.text).toBe(`/var/lib/kumo/instances/${INSTANCE}/nvram.fd`);
    await validate(xml);
  });

  it('disk QoS becomes <iotune>; a data disk gets the next target; read-only and no cache for cdroms', async () => {
    const spec = baseSpec({
      configDrive: undefined,
      disks: [
        { disk: 'root-disk', bus: 'virtio', device: 'disk' },
        {
          disk: 'data',
          bus: 'virtio',
          device: 'disk',
          readOnly: true,
          qos: { readBytesSec: 10_000_000, writeBytesSec: 5_000_000, readIopsSec: 500, writeIopsSec: 0 },
        },
        { disk: 'iso', bus: 'sata', device: 'cdrom' },
      ],
    });
    const { dom, xml } = build(spec);
    const disks = children(child(dom, 'devices'), 'disk');
    expect(disks.map((d) => child(d, 'target')?.attrs.dev)).toEqual(['vda', 'vdb', 'sda']);
    // No disk marked boot: the first plain disk boots.
    expect(disks.map((d) => child(d, 'boot')?.attrs.order)).toEqual(['1', undefined, undefined]);
    const iotune = child(disks[1], 'iotune');
    expect(child(iotune, 'read_bytes_sec')?.text).toBe('10000000');
    expect(child(iotune, 'write_bytes_sec')?.text).toBe('5000000');
    expect(child(iotune, 'read_iops_sec')?.text).toBe('500');
    expect(child(iotune, 'write_iops_sec')).toBeUndefined();
    expect(child(disks[1], 'readonly')).toBeDefined();
    expect(child(disks[0], 'iotune')).toBeUndefined();
    expect(child(disks[2], 'driver')?.attrs.cache).toBeUndefined();
    await validate(xml);
  });

  it('RBD disks become network disks with monitors and a cephx secret', () => {
    const xml = diskXml(
      {
        disk: { disk: 'vol1', bus: 'virtio', device: 'disk' },
        source: { type: 'rbd', pool: 'volumes', image: 'volume-vol1' },
        format: 'raw',
        target: 'vdb',
      },
      {
        cache: 'writeback',
        rbd: { hosts: [{ name: '10.0.0.1', port: 6789 }], user: 'kumo', secretUuid: INSTANCE },
      },
    );
    const d = parseXml(xml);
    expect(d.attrs).toEqual({ type: 'network', device: 'disk' });
    expect(child(d, 'source')?.attrs).toEqual({ protocol: 'rbd', name: 'volumes/volume-vol1' });
    expect(child(d, 'source/host')?.attrs).toEqual({ name: '10.0.0.1', port: '6789' });
    expect(child(d, 'auth')?.attrs.username).toBe('kumo');
    expect(child(d, 'auth/secret')?.attrs).toEqual({ type: 'ceph', uuid: INSTANCE });
    expect(child(d, 'driver')?.attrs).toMatchObject({ type: 'raw', cache: 'writeback' });
  });

  it('interfaces may use e1000; hot-plug XML is the same element', () => {
    const i = parseXml(interfaceXml({ vif: 'v2', mac: '52:54:00:00:00:02', bridge: 'br-x', model: 'e1000' }));
    expect(child(i, 'model')?.attrs.type).toBe('e1000');
    expect(child(i, 'alias')?.attrs.name).toBe('ua-vif-v2');
  });

  it("a tap the network driver made (ovn) becomes type='ethernet' with target managed='no'", () => {
    const iface = { vif: 'p1', mac: '52:54:00:00:00:03', bridge: 'br-int', targetDev: 'tapp1' };
    const i = parseXml(interfaceXml(iface));
    expect(i.attrs.type).toBe('ethernet');
    expect(child(i, 'target')?.attrs).toEqual({ dev: 'tapp1', managed: 'no' });
    expect(child(i, 'source')).toBeUndefined();
    expect(child(i, 'model')?.attrs.type).toBe('virtio');
    // Parsed back: the tap, not a bridge; a bridge interface's auto-named target (vnetN) is not a tap.
    const dom = (x: string) => `<domain><devices>${x}</devices></domain>`;
    expect(parseDomainXml(dom(interfaceXml(iface))).interfaces).toEqual([
      { vif: 'p1', mac: '52:54:00:00:00:03', bridge: undefined, model: 'virtio', targetDev: 'tapp1' },
    ]);
    const live = interfaceXml({ vif: 'p2', mac: '52:54:00:00:00:04', bridge: 'br-x' }).replace(
      '<model',
      "<target dev='vnet3'/><model",
    );
    expect(parseDomainXml(dom(live)).interfaces[0]).toEqual({
      vif: 'p2',
      mac: '52:54:00:00:00:04',
      bridge: 'br-x',
      model: 'virtio',
    });
    expect(() =>
      checkSpec(baseSpec({ interfaces: [{ ...iface, targetDev: 'bad name' }] }), 'x86_64'),
    ).toThrow(/interface/);
  });
});

describe('domain XML: aarch64 (unit-tested only — cannot boot on this x86 host)', () => {
  it('virt machine, UEFI (AAVMF + nvram), GICv3 under TCG, config drive on SCSI, virtio video', async () => {
    const { dom, xml } = build(baseSpec(), 'aarch64');
    expect(dom.attrs.type).toBe('qemu');
    expect(child(dom, 'os/type')?.attrs).toEqual({ arch: 'aarch64', machine: 'virt' });
    expect(child(dom, 'os/loader')?.text).toBe('/usr/share/AAVMF/AAVMF_CODE.fd');
    expect(child(dom, 'os/loader')?.attrs).toEqual({ readonly: 'yes', type: 'pflash' });
    expect(child(dom, 'os/nvram')?.attrs.template).toBe('/usr/share/AAVMF/AAVMF_VARS.fd');
    expect(child(dom, 'os/nvram')?.text).toBe(`/var/lib/kumo/instances/${INSTANCE}/nvram.fd`);
    expect(child(dom, 'features/gic')?.attrs.version).toBe('3');
    expect(child(dom, 'features/apic')).toBeUndefined();
    expect(child(dom, 'cpu')?.attrs.mode).toBe('maximum');
    const devices = child(dom, 'devices');
    const cd = children(devices, 'disk').find((d) => d.attrs.device === 'cdrom');
    expect(child(cd, 'target')?.attrs).toEqual({ dev: 'sda', bus: 'scsi' });
    expect(children(devices, 'controller').some((c) => c.attrs.model === 'virtio-scsi')).toBe(true);
    expect(children(devices, 'controller').some((c) => c.attrs.model === 'pcie-root-port')).toBe(true);
    expect(child(devices, 'video/model')?.attrs.type).toBe('virtio');
    expect(children(devices, 'input').map((i) => i.attrs.type)).toEqual(['keyboard', 'tablet']);
    await validate(xml);
  });

  it('KVM on aarch64: gic version host, host CPU', async () => {
    const { dom, xml } = build(baseSpec(), 'aarch64', { type: 'kvm' });
    expect(dom.attrs.type).toBe('kvm');
    expect(child(dom, 'features/gic')?.attrs.version).toBe('host');
    expect(child(dom, 'cpu')?.attrs.mode).toBe('host-passthrough');
    await validate(xml);
  });

  it('custom firmware paths are used', () => {
    const { dom } = build(baseSpec(), 'aarch64', {
      firmware: { ...DEFAULT_FIRMWARE, aarch64: { code: '/fw/CODE.fd', vars: '/fw/VARS.fd' } },
    });
    expect(child(dom, 'os/loader')?.text).toBe('/fw/CODE.fd');
    expect(child(dom, 'os/nvram')?.attrs.template).toBe('/fw/VARS.fd');
  });
});

describe('disk targets', () => {
  it('names disks like libvirt', () => {
    expect([0, 1, 25, 26, 27, 51, 52].map(diskLetters)).toEqual(['a', 'b', 'z', 'aa', 'ab', 'az', 'ba']);
  });
  it('picks the first free target per bus; sata and scsi share sd*', () => {
    expect(nextTarget('virtio', [])).toBe('vda');
    expect(nextTarget('virtio', ['vda', 'vdc'])).toBe('vdb');
    expect(nextTarget('scsi', ['sda'])).toBe('sdb');
    expect(nextTarget('ide', ['hda', 'hdb', 'hdc'])).toBe('hdd');
    expect(() => nextTarget('ide', ['hda', 'hdb', 'hdc', 'hdd'])).toThrow(/no free ide/);
  });
});

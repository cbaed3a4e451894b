import { describe, expect, it } from 'vitest';
import type { ServerRow } from '../db/worker.repo.js';
import { domainSpec, flavorResources, imageProperties, rootDiskBytes } from './domain-spec.js';

const flavor = {
  id: '1',
  name: 'm1',
  vcpus: 2,
  ramMb: 1024,
  diskGb: 0,
  ephemeralGb: 1,
  swapMb: 512,
  extraSpecs: {},
};
const server = {
  id: '11111111-2222-4333-8444-555555555555',
  name: 'web',
  hostname: 'web',
  projectId: 'p',
  availabilityZone: null,
  launchIndex: 0,
  keyName: 'k',
  keyData: 'ssh-ed25519 AAAA',
  userData: Buffer.from('#cloud-config\n').toString('base64'),
  reservationId: 'r-1',
  createdAt: new Date(0),
} as unknown as ServerRow;

describe('domain spec', () => {
  it('always carries a config drive with OpenStack meta data, user data and empty network data', () => {
    const spec = domainSpec(
      server,
      flavor,
      { hw_architecture: 'aarch64', architecture: 'x' },
      { role: 'db' },
    );
    const meta = JSON.parse(spec.configDrive!.metaDataJson);
    expect(meta).toMatchObject({
      uuid: server.id,
      hostname: 'web',
      availability_zone: 'nova',
      public_keys: { k: 'ssh-ed25519 AAAA' },
      meta: { role: 'db' },
      devices: [],
    });
    expect(Buffer.from(meta.random_seed, 'base64')).toHaveLength(512);
    expect(spec.configDrive!.userData).toBe('#cloud-config\n');
    expect(JSON.parse(spec.configDrive!.networkDataJson!)).toEqual({ links: [], networks: [], services: [] });
    expect(spec.properties).toEqual({ hw_architecture: 'aarch64' });
    // the same server gives the same spec (ensureDomain stays idempotent)
    expect(domainSpec(server, flavor, {}, { role: 'db' }).configDrive).toEqual(spec.configDrive);
  });
  it('sizes: flavor resources with ephemeral and swap; a 0 GB root disk takes the image size', () => {
    expect(flavorResources(flavor)).toEqual({ VCPU: 2, MEMORY_MB: 1024, DISK_GB: 2 });
    expect(rootDiskBytes(flavor, { id: 'i', size: 1000, virtual_size: 5000 })).toBe(5120);
    expect(rootDiskBytes({ ...flavor, diskGb: 3 }, { id: 'i' })).toBe(3 * 1024 ** 3);
  });
  it('keeps only placement and guest properties of an image', () => {
    expect(
      imageProperties({ id: 'i', hw_disk_bus: 'virtio', os_distro: 'x', img_hv_type: 'kvm', size: 1 }),
    ).toEqual({
      hw_disk_bus: 'virtio',
      img_hv_type: 'kvm',
    });
  });
});

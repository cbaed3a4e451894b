import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configDriveFiles, genisoimageArgs, hostnameFrom, writeConfigDrive } from './config-drive.js';

const haveTool = (tool: string) =>
  new Promise<boolean>((resolve) =>
    execFile('sh', ['-c', 'command -v "$1"', 'sh', tool], (err) => resolve(!err)),
  );

function isoinfo(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('isoinfo', args, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('config drive contents', () => {
  it('writes meta_data.json, user_data, network_data.json and vendor_data.json in the OpenStack layout', () => {
    const files = configDriveFiles('i-1', 'Web Server #1', {
      metaData: { public_keys: { k: 'ssh-ed25519 AAAA' }, meta: { role: 'web' } },
      userData: '#!/bin/sh\necho hi\n',
      networkData: { links: [{ id: 'eth0' }], networks: [], services: [] },
    });
    const byPath = new Map(files.map((f) => [f.path, f.content]));
    expect([...byPath.keys()].sort()).toEqual([
      'openstack/2012-08-10/meta_data.json',
      'openstack/2012-08-10/user_data',
      'openstack/latest/meta_data.json',
      'openstack/latest/network_data.json',
      'openstack/latest/user_data',
      'openstack/latest/vendor_data.json',
    ]);
    const meta = JSON.parse(byPath.get('openstack/latest/meta_data.json') ?? '{}');
    expect(meta).toMatchObject({
      uuid: 'i-1',
      name: 'Web Server #1',
      hostname: 'web-server-1',
      public_keys: { k: 'ssh-ed25519 AAAA' },
      meta: { role: 'web' },
    });
    expect(byPath.get('openstack/latest/user_data')).toBe('#!/bin/sh\necho hi\n');
    expect(JSON.parse(byPath.get('openstack/latest/network_data.json') ?? '{}').links).toEqual([
      { id: 'eth0' },
    ]);
  });

  it('metaData wins over the defaults; no user_data file without user data', () => {
    const files = configDriveFiles('i-1', 'x', { metaData: { hostname: 'custom', uuid: 'i-1' } });
    expect(JSON.parse(files[0]?.content ?? '{}').hostname).toBe('custom');
    expect(files.some((f) => f.path.endsWith('user_data'))).toBe(false);
    expect(JSON.parse(files.find((f) => f.path.endsWith('network_data.json'))?.content ?? '{}')).toEqual({
      links: [],
      networks: [],
      services: [],
    });
  });

  it('hostnames from display names', () => {
    expect(hostnameFrom('My VM (prod)')).toBe('my-vm-prod');
    expect(hostnameFrom('***')).toBe('instance');
    expect(hostnameFrom('a'.repeat(100)).length).toBe(63);
  });

  it('genisoimage is asked for a config-2 volume with Joliet and Rock Ridge', () => {
    expect(genisoimageArgs('/x/cd.iso', '/stage')).toEqual([
      '-o',
      '/x/cd.iso',
      '-V',
      'config-2',
      '-J',
      '-R',
      '-quiet',
      '-input-charset',
      'utf-8',
      '/stage',
    ]);
  });
});

describe('config drive ISO', async () => {
  const available = (await haveTool('genisoimage')) && (await haveTool('isoinfo'));
  it.skipIf(!available)('is an ISO9660 labelled config-2 whose files read back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kumo-cd-'));
    dirs.push(dir);
    const iso = join(dir, 'sub', 'config-drive.iso');
    await writeConfigDrive(iso, configDriveFiles('i-9', 'vm9', { metaData: {}, userData: 'hello' }));
    expect(await isoinfo(['-d', '-i', iso])).toMatch(/Volume id:\s*config-2/);
    const meta = JSON.parse(await isoinfo(['-R', '-i', iso, '-x', '/openstack/latest/meta_data.json']));
    expect(meta).toMatchObject({ uuid: 'i-9', hostname: 'vm9' });
    expect(await isoinfo(['-J', '-i', iso, '-x', '/openstack/2012-08-10/user_data'])).toBe('hello');
    // Nothing left behind but the ISO.
    expect(await readdir(join(dir, 'sub'))).toEqual(['config-drive.iso']);
  });
});

import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ConfigDrive } from '../compute.js';
import { run } from './exec.js';

/**
 * The OpenStack config drive: an ISO9660 volume labelled `config-2` holding
 * openstack/<version>/{meta_data.json,user_data,network_data.json,vendor_data.json},
 * as Nova writes it and cloud-init / our guest image read it.
 */

export interface ConfigDriveFile {
  path: string;
  content: string;
}

const VERSIONS = ['latest', '2012-08-10'] as const;

/** A hostname from a display name: lower-case letters, digits and '-', at most 63. */
export function hostnameFrom(name: string): string {
  const h = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return h || 'instance';
}

/** The files of the drive, by path inside the ISO. Pure. */
export function configDriveFiles(instance: string, name: string, cd: ConfigDrive): ConfigDriveFile[] {
  const meta = {
    uuid: instance,
    name,
    hostname: hostnameFrom(name),
    launch_index: 0,
    availability_zone: 'nova',
    ...cd.metaData,
  };
  const json = (v: unknown) => `${JSON.stringify(v)}\n`;
  const files: ConfigDriveFile[] = [];
  for (const version of VERSIONS) {
    const dir = `openstack/${version}`;
    files.push({ path: `${dir}/meta_data.json`, content: json(meta) });
    if (cd.userData !== undefined) files.push({ path: `${dir}/user_data`, content: cd.userData });
    if (version === 'latest') {
      files.push({
        path: `${dir}/network_data.json`,
        content: json(cd.networkData ?? { links: [], networks: [], services: [] }),
      });
      files.push({ path: `${dir}/vendor_data.json`, content: json(cd.vendorData ?? {}) });
    }
  }
  return files;
}

/** genisoimage arguments for an ISO at `iso` from the tree in `dir`. */
export function genisoimageArgs(iso: string, dir: string): string[] {
  return ['-o', iso, '-V', 'config-2', '-J', '-R', '-quiet', '-input-charset', 'utf-8', dir];
}

/** Write the ISO atomically (a temporary tree and file, then rename). */
export async function writeConfigDrive(
  iso: string,
  files: ConfigDriveFile[],
  opts: { genisoimage?: string; timeoutMs?: number } = {},
): Promise<void> {
  const stage = await mkdtemp(join(tmpdir(), 'kumo-config-drive-'));
  const partial = `${iso}.partial`;
  try {
    for (const f of files) {
      const p = join(stage, f.path);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, f.content, { mode: 0o644 });
    }
    await mkdir(dirname(iso), { recursive: true });
    await run(opts.genisoimage ?? 'genisoimage', genisoimageArgs(partial, stage), {
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
    await rename(partial, iso);
  } finally {
    await rm(stage, { recursive: true, force: true });
    await rm(partial, { force: true });
  }
}

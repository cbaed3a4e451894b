import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { checkId, kumoId } from '../ids.js';

/** Libvirt names and per-instance files: these never leave the driver. */

export const DOMAIN_PREFIX = 'kumo-';

export function domainName(instance: string): string {
  return `${DOMAIN_PREFIX}${checkId('instance', instance)}`;
}

/** The instance id of a domain name, or undefined when the domain is not Kumo's. */
export function instanceOf(domain: string): string | undefined {
  if (!domain.startsWith(DOMAIN_PREFIX)) return undefined;
  const id = domain.slice(DOMAIN_PREFIX.length);
  return kumoId.safeParse(id).success ? id : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The domain UUID: the instance id when it is a UUID, else one derived from it (stable across redefinitions). */
export function domainUuid(instance: string): string {
  if (UUID.test(instance)) return instance.toLowerCase();
  const h = createHash('sha256').update(`kumo-instance:${instance}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export interface InstancePaths {
  dir: string;
  consoleLog: string;
  configDrive: string;
  nvram: string;
  domainXml: string;
  deviceXml: string;
}

export function instancePaths(instancesDir: string, instance: string): InstancePaths {
  const dir = join(instancesDir, checkId('instance', instance));
  return {
    dir,
    consoleLog: join(dir, 'console.log'),
    configDrive: join(dir, 'config-drive.iso'),
    nvram: join(dir, 'nvram.fd'),
    domainXml: join(dir, 'domain.xml'),
    deviceXml: join(dir, 'device.xml'),
  };
}

import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { DomainDisk, DomainInterface } from '../compute.js';
import type { DiskId } from '../ids.js';
import { DriverError } from '../ids.js';
import type { DiskInfo } from '../storage.js';
import { interfacePlug, type ParsedDomain, parseDomainXml } from './domain-status.js';
import {
  DISK_ALIAS_PREFIX,
  type DomainXmlInput,
  diskXml,
  interfaceXml,
  nextTarget,
  type RbdConfig,
  VIF_ALIAS_PREFIX,
} from './domain-xml.js';
import { domainName, instancePaths } from './naming.js';
import { checkDisk, checkInterface } from './spec.js';
import type { Virsh, VirshState } from './virsh.js';

/**
 * Disk and interface attach/detach. A device is in the persistent config, the
 * live domain, or both; each call brings both to the wanted state and only
 * does the missing half, so a retry after a partial failure finishes the job.
 */

export const ACTIVE: ReadonlySet<VirshState> = new Set([
  'running',
  'idle',
  'paused',
  'in shutdown',
  'pmsuspended',
]);

export interface DeviceContext {
  virsh: Virsh;
  instancesDir: string;
  resolveDisk: (disk: DiskId) => Promise<DiskInfo>;
  diskCache: DomainXmlInput['diskCache'];
  rbd?: RbdConfig;
  detachTimeoutMs: number;
}

interface Views {
  state: VirshState;
  active: boolean;
  config: ParsedDomain;
  live: ParsedDomain;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function views(ctx: DeviceContext, id: string): Promise<Views> {
  const name = domainName(id);
  const state = await ctx.virsh.state(name);
  if (state === undefined) throw new DriverError('not_found', `instance ${id} has no domain`);
  const config = parseDomainXml(await ctx.virsh.dumpxml(name, true));
  const active = ACTIVE.has(state);
  const live = active ? parseDomainXml(await ctx.virsh.dumpxml(name)) : config;
  return { state, active, config, live };
}

/** Attach `xml` to whichever of config and live lacks it. */
async function attachMissing(
  ctx: DeviceContext,
  id: string,
  xml: string,
  v: Views,
  inConfig: boolean,
  inLive: boolean,
) {
  const flags = v.active ? [...(inConfig ? [] : ['--config']), ...(inLive ? [] : ['--live'])] : ['--config'];
  const name = domainName(id);
  const paths = instancePaths(ctx.instancesDir, id);
  await mkdir(paths.dir, { recursive: true, mode: 0o755 });
  await writeFile(paths.deviceXml, xml);
  try {
    await ctx.virsh.run(['attach-device', name, paths.deviceXml, ...flags], `attach-device ${name}`);
  } finally {
    await rm(paths.deviceXml, { force: true });
  }
}

export async function attachDisk(ctx: DeviceContext, id: string, disk: DomainDisk): Promise<void> {
  const v = await views(ctx, id);
  const d = checkDisk(disk, v.config.machine);
  const existing = [...v.config.disks, ...v.live.disks].find((x) => x.disk === d.disk);
  if (existing) {
    const same =
      existing.bus === d.bus && existing.device === d.device && existing.readOnly === (d.readOnly === true);
    if (!same) throw new DriverError('conflict', `disk ${d.disk} is attached to ${id} differently`);
  }
  const inConfig = v.config.disks.some((x) => x.disk === d.disk);
  const inLive = v.live.disks.some((x) => x.disk === d.disk);
  if (inConfig && inLive) return;
  if (!existing && d.boot && v.config.disks.some((x) => x.boot)) {
    throw new DriverError('invalid', `instance ${id} already has a boot disk`);
  }
  if (v.active && !inLive && d.bus !== 'virtio' && d.bus !== 'scsi') {
    throw new DriverError('conflict', `a ${d.bus} disk cannot be hot-plugged; stop instance ${id} first`);
  }
  const info = await ctx.resolveDisk(d.disk);
  const target = existing?.target ?? nextTarget(d.bus, [...v.config.targets, ...v.live.targets]);
  const xml = diskXml(
    { disk: d, source: info.source, format: info.format, target },
    { cache: ctx.diskCache, rbd: ctx.rbd },
  );
  await attachMissing(ctx, id, xml, v, inConfig, inLive);
}

export async function attachInterface(ctx: DeviceContext, id: string, iface: DomainInterface): Promise<void> {
  const i = checkInterface(iface);
  const v = await views(ctx, id);
  const all = [...v.config.interfaces, ...v.live.interfaces];
  const existing = all.find((x) => x.vif === i.vif);
  if (existing) {
    const same =
      existing.mac.toLowerCase() === i.mac &&
      interfacePlug(existing) === interfacePlug(i) &&
      existing.model === (i.model ?? 'virtio');
    if (!same) throw new DriverError('conflict', `vif ${i.vif} is attached to ${id} differently`);
  }
  const clash = all.find((x) => x.mac.toLowerCase() === i.mac && x.vif !== i.vif);
  if (clash) throw new DriverError('conflict', `mac ${i.mac} is already used by ${id}`);
  const inConfig = v.config.interfaces.some((x) => x.vif === i.vif);
  const inLive = v.live.interfaces.some((x) => x.vif === i.vif);
  if (inConfig && inLive) return;
  await attachMissing(ctx, id, interfaceXml(i), v, inConfig, inLive);
}

export function detachDisk(ctx: DeviceContext, id: string, disk: string): Promise<void> {
  return detach(ctx, id, `${DISK_ALIAS_PREFIX}${disk}`, (p) => p.disks.some((x) => x.disk === disk));
}

export function detachInterface(ctx: DeviceContext, id: string, vif: string): Promise<void> {
  return detach(ctx, id, `${VIF_ALIAS_PREFIX}${vif}`, (p) => p.interfaces.some((x) => x.vif === vif));
}

/** Detach by alias from config and live; a live detach needs the guest's consent, so wait for it. */
async function detach(ctx: DeviceContext, id: string, alias: string, has: (p: ParsedDomain) => boolean) {
  const name = domainName(id);
  const v = await views(ctx, id);
  const inConfig = has(v.config);
  const inLive = v.active && has(v.live);
  if (!inConfig && !inLive) return;
  const flags = [...(inConfig ? ['--config'] : []), ...(inLive ? ['--live'] : [])];
  await ctx.virsh.run(['detach-device-alias', name, alias, ...flags], `detach ${alias}`);
  if (!inLive) return;
  const deadline = Date.now() + ctx.detachTimeoutMs;
  while (has(parseDomainXml(await ctx.virsh.dumpxml(name)))) {
    if (Date.now() >= deadline) {
      throw new DriverError('unavailable', `instance ${id}: the guest has not released ${alias} yet; retry`);
    }
    await sleep(200);
  }
}

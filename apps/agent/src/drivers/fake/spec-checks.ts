import { z } from 'zod';
import type { Arch, DomainDisk, DomainInterface, DomainSpec } from '../compute.js';
import { checkId, DriverError, type ImageId, kumoId } from '../ids.js';
import type { CachedImage } from '../storage.js';

/**
 * Input checks every driver applies the same way, so a malformed request is
 * DriverError('invalid') (INVALID_ARGUMENT over gRPC) and never reaches a
 * hypervisor or a file. Real drivers import these too.
 */

const MAX_SIZE = 2 ** 50; // 1 PiB: far above any disk, below Number.MAX_SAFE_INTEGER

/** A disk or image size: a positive whole number of 512-byte sectors. */
export function checkSize(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0)
    throw new DriverError('invalid', `${what} must be a positive whole number of bytes`);
  if (n % 512 !== 0) throw new DriverError('invalid', `${what} must be a multiple of 512 bytes`);
  if (n > MAX_SIZE) throw new DriverError('invalid', `${what} is larger than 1 PiB`);
  return n;
}

const macRe = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
export const macAddress = z
  .string()
  .regex(macRe, 'must be a MAC address like 52:54:00:12:34:56')
  .refine((m) => (Number.parseInt(m.slice(0, 2), 16) & 1) === 0, 'must be a unicast MAC address')
  .transform((m) => m.toLowerCase());

/** A Linux interface name (the placeholder bridge backend). */
export const bridgeName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/, 'must be a Linux interface name (at most 15 characters)');

/** A MAC address, lower-cased; invalid otherwise. */
export function checkMac(mac: unknown): string {
  const r = macAddress.safeParse(mac);
  if (!r.success) throw new DriverError('invalid', `mac ${r.error.issues[0]?.message ?? 'is invalid'}`);
  return r.data;
}

const count = (min: number, max: number) => z.number().int().min(min).max(max);

const qos = z
  .object({
    readBytesSec: count(0, MAX_SIZE).optional(),
    writeBytesSec: count(0, MAX_SIZE).optional(),
    readIopsSec: count(0, 10_000_000).optional(),
    writeIopsSec: count(0, 10_000_000).optional(),
  })
  .strict();

export const domainDiskSchema = z
  .object({
    disk: kumoId,
    bus: z.enum(['virtio', 'sata', 'ide', 'scsi']),
    device: z.enum(['disk', 'cdrom']),
    readOnly: z.boolean().optional(),
    boot: z.boolean().optional(),
    qos: qos.optional(),
  })
  .strict();

export const domainInterfaceSchema = z
  .object({
    vif: kumoId,
    mac: macAddress,
    bridge: bridgeName,
    model: z.enum(['virtio', 'e1000']).optional(),
    targetDev: bridgeName.optional(),
  })
  .strict();

const jsonObject = z.record(z.string(), z.unknown());

export const domainSpecSchema = z
  .object({
    instance: kumoId,
    name: z
      .string()
      .min(1)
      .max(255)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
      .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters'),
    vcpus: count(1, 512),
    memoryMb: count(16, 16 * 1024 * 1024),
    arch: z.enum(['x86_64', 'aarch64']).optional(),
    machine: z.enum(['q35', 'pc', 'virt']).optional(),
    disks: z.array(domainDiskSchema).max(64),
    interfaces: z.array(domainInterfaceSchema).max(32),
    configDrive: z
      .object({
        metaData: jsonObject,
        userData: z
          .string()
          .max(64 * 1024)
          .optional(),
        networkData: jsonObject.optional(),
        vendorData: jsonObject.optional(),
      })
      .strict()
      .optional(),
    properties: z.record(z.string().max(255), z.string().max(4096)).optional(),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, what: string, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const at = issue?.path.length ? `${what}.${issue.path.join('.')}` : what;
  throw new DriverError('invalid', `${at}: ${issue?.message ?? 'is invalid'}`);
}

function uniqueBy<T>(items: T[], key: (t: T) => string, what: string) {
  const seen = new Set<string>();
  for (const t of items) {
    const k = key(t);
    if (seen.has(k)) throw new DriverError('invalid', `${what} ${k} appears twice`);
    seen.add(k);
  }
}

export function checkDomainDisk(disk: unknown): DomainDisk {
  return parse(domainDiskSchema, 'disk', disk);
}

export function checkDomainInterface(iface: unknown): DomainInterface {
  return parse(domainInterfaceSchema, 'interface', iface);
}

/**
 * A whole DomainSpec checked against the host: ids, counts, unique disks,
 * vifs and MACs, at most one boot disk, an arch the host has and a machine
 * type that arch offers (x86_64: q35/pc, aarch64: virt). Returns a normalized
 * copy (MACs lower-cased).
 */
export function checkDomainSpec(spec: unknown, hostArch: Arch): DomainSpec {
  const s = parse(domainSpecSchema, 'spec', spec);
  uniqueBy(s.disks, (d) => d.disk, 'disk');
  uniqueBy(s.interfaces, (i) => i.vif, 'vif');
  uniqueBy(s.interfaces, (i) => i.mac, 'mac');
  if (s.disks.filter((d) => d.boot).length > 1) throw new DriverError('invalid', 'at most one disk may boot');
  const arch = s.arch ?? hostArch;
  if (arch !== hostArch) throw new DriverError('invalid', `this host runs ${hostArch} guests, not ${arch}`);
  if (s.machine) {
    const ok = arch === 'aarch64' ? s.machine === 'virt' : s.machine !== 'virt';
    if (!ok) throw new DriverError('invalid', `machine ${s.machine} is not available for ${arch}`);
  }
  return s as DomainSpec;
}

/** Options of stop/consoleLog: non-negative whole numbers when given. */
export function checkCount(what: string, n: unknown, opts: { optional: true }): number | undefined;
export function checkCount(what: string, n: unknown): number;
export function checkCount(what: string, n: unknown, opts?: { optional: true }): number | undefined {
  if (n === undefined && opts?.optional) return undefined;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new DriverError('invalid', `${what} must be a non-negative whole number`);
  return n;
}

const DIGEST_HEX: Record<CachedImage['checksumAlgo'], number> = { md5: 32, sha256: 64, sha512: 128 };
const IMAGE_SCHEMES = new Set(['http:', 'https:', 'file:']);

export interface ImageRequest {
  image: ImageId;
  url: URL;
  sizeBytes?: number;
  checksum: string;
  checksumAlgo: CachedImage['checksumAlgo'];
}

/**
 * An ensureImage request: a Kumo id, an http(s) or file URL, an optional
 * positive size and a hex digest of the algorithm's length (lower-cased).
 * `extraSchemes` lets a fake accept its own (e.g. 'data:').
 */
export function checkImageRequest(req: unknown, extraSchemes: string[] = []): ImageRequest {
  const r = (req ?? {}) as Record<string, unknown>;
  const image = checkId('image', r.image);
  const algo = r.checksumAlgo;
  if (algo !== 'md5' && algo !== 'sha256' && algo !== 'sha512')
    throw new DriverError('invalid', 'checksumAlgo must be md5, sha256 or sha512');
  const checksum = typeof r.checksum === 'string' ? r.checksum.toLowerCase() : '';
  if (!new RegExp(`^[0-9a-f]{${DIGEST_HEX[algo]}}$`).test(checksum))
    throw new DriverError('invalid', `checksum must be ${DIGEST_HEX[algo]} hex digits for ${algo}`);
  let url: URL;
  try {
    url = new URL(String(r.url));
  } catch {
    throw new DriverError('invalid', 'url is not a URL');
  }
  if (!IMAGE_SCHEMES.has(url.protocol) && !extraSchemes.includes(url.protocol))
    throw new DriverError('invalid', `url scheme ${url.protocol} is not supported (http, https, file)`);
  if (url.username || url.password) throw new DriverError('invalid', 'url must not carry credentials');
  let sizeBytes: number | undefined;
  if (r.sizeBytes !== undefined) {
    sizeBytes = checkCount('sizeBytes', r.sizeBytes);
    if (sizeBytes === 0) throw new DriverError('invalid', 'sizeBytes must be positive');
  }
  return { image, url, sizeBytes, checksum, checksumAlgo: algo };
}

/** An exportDisk request, validated: the disk id, an http(s) URL without credentials, the format. */
export function checkExportRequest(req: unknown): { disk: string; url: URL; format: 'qcow2' | 'raw' } {
  const r = (req ?? {}) as Record<string, unknown>;
  const disk = checkId('disk', r.disk);
  if (r.format !== 'qcow2' && r.format !== 'raw')
    throw new DriverError('invalid', 'format must be qcow2 or raw');
  let url: URL;
  try {
    url = new URL(String(r.url));
  } catch {
    throw new DriverError('invalid', 'url is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new DriverError(
      'invalid',
      `url scheme ${url.protocol} is not supported for an export (http, https)`,
    );
  if (url.username || url.password) throw new DriverError('invalid', 'url must not carry credentials');
  return { disk, url, format: r.format };
}

/** An ensureVif request, validated: ids, MAC and network (the network contract's input). */
export function checkVifRequest(
  req: { vif: unknown; instance: unknown; mac: unknown; network: unknown } | undefined,
): {
  vif: string;
  instance: string;
  mac: string;
  network: string;
} {
  return {
    vif: checkId('vif', req?.vif),
    instance: checkId('instance', req?.instance),
    mac: checkMac(req?.mac),
    network: checkId('network', req?.network),
  };
}

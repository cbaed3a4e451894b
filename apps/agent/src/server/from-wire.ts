import { z } from 'zod';
import type { DomainDisk, DomainInterface, DomainSpec } from '../drivers/compute.js';
import { bridgeName, macAddress } from '../drivers/fake/spec-checks.js';
import { DriverError, kumoId } from '../drivers/ids.js';
import type { CachedImage } from '../drivers/storage.js';
import { archIn, busIn, checksumIn, deviceIn, formatIn, machineIn, nicIn } from './enums.js';

/**
 * Wire requests → driver arguments, checked with zod at the gRPC boundary so
 * no malformed value reaches a driver (drivers check again; that is fine).
 * Any failure is DriverError('invalid') → INVALID_ARGUMENT.
 */

const MAX_BYTES = 2 ** 50; // 1 PiB, as the drivers
const size = z.number().int().positive().max(MAX_BYTES);
const nonNegative = z.number().int().min(0);

function wireEnum<V extends string>(name: string, map: Partial<Record<number, V | undefined>>) {
  return z
    .number()
    .int()
    .refine((v) => Object.hasOwn(map, v), `is not a known ${name}`)
    .transform((v) => map[v]);
}

const jsonObjectText = (name: string) =>
  z
    .string()
    .max(256 * 1024)
    .transform((text, ctx): Record<string, unknown> => {
      try {
        const v: unknown = JSON.parse(text);
        if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
      } catch {}
      ctx.addIssue({ code: 'custom', message: `${name} must be a JSON object` });
      return z.NEVER;
    });

/** Drop keys whose value is undefined, so the same request always makes the same driver argument. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const qosIn = z
  .object({
    readBytesSec: nonNegative.optional(),
    writeBytesSec: nonNegative.optional(),
    readIopsSec: nonNegative.optional(),
    writeIopsSec: nonNegative.optional(),
  })
  .transform((q) => {
    const c = compact(q);
    return Object.keys(c).length ? c : undefined;
  });

export const domainDiskIn = z
  .object({
    diskId: kumoId,
    bus: wireEnum('disk bus', busIn),
    device: wireEnum('disk device', deviceIn),
    readOnly: z.boolean(),
    boot: z.boolean(),
    qos: qosIn.optional(),
  })
  .transform(
    (d): DomainDisk =>
      compact({
        disk: d.diskId,
        bus: d.bus ?? 'virtio',
        device: d.device ?? 'disk',
        readOnly: d.readOnly || undefined,
        boot: d.boot || undefined,
        qos: d.qos,
      }),
  );

export const domainInterfaceIn = z
  .object({
    vifId: kumoId,
    mac: macAddress,
    bridge: bridgeName,
    model: wireEnum('NIC model', nicIn),
    // Empty on the wire = plug into the bridge (older control planes never send it).
    targetDev: z.union([z.literal(''), bridgeName]).optional(),
  })
  .transform(
    (i): DomainInterface =>
      compact({
        vif: i.vifId,
        mac: i.mac,
        bridge: i.bridge,
        model: i.model,
        targetDev: i.targetDev || undefined,
      }),
  );

const configDriveIn = z
  .object({
    metaDataJson: jsonObjectText('meta_data_json'),
    userData: z
      .string()
      .max(64 * 1024)
      .optional(),
    networkDataJson: jsonObjectText('network_data_json').optional(),
    vendorDataJson: jsonObjectText('vendor_data_json').optional(),
  })
  .transform((c) =>
    compact({
      metaData: c.metaDataJson,
      userData: c.userData,
      networkData: c.networkDataJson,
      vendorData: c.vendorDataJson,
    }),
  );

export const domainSpecIn = z
  .object({
    instanceId: kumoId,
    name: z.string().min(1).max(255),
    vcpus: z.number().int().min(1).max(512),
    memoryMb: z
      .number()
      .int()
      .min(16)
      .max(16 * 1024 * 1024),
    arch: wireEnum('arch', archIn),
    machine: wireEnum('machine type', machineIn),
    disks: z.array(domainDiskIn).max(64),
    interfaces: z.array(domainInterfaceIn).max(32),
    configDrive: configDriveIn.optional(),
    properties: z.record(z.string().min(1).max(255), z.string().max(4096)),
  })
  .transform(
    (s): DomainSpec =>
      compact({
        instance: s.instanceId,
        name: s.name,
        vcpus: s.vcpus,
        memoryMb: s.memoryMb,
        arch: s.arch,
        machine: s.machine,
        disks: s.disks,
        interfaces: s.interfaces,
        configDrive: s.configDrive,
        properties: Object.keys(s.properties).length ? s.properties : undefined,
      }),
  );

const required = <T extends z.ZodType>(t: T) => t.optional().refine((v) => v !== undefined, 'is required');

export const ensureDomainIn = z.object({ spec: required(domainSpecIn) });
export const instanceIn = z.object({ instanceId: kumoId });
export const stopDomainIn = z.object({
  instanceId: kumoId,
  timeoutMs: z.number().int().min(0).max(3_600_000).optional(),
  force: z.boolean(),
});
export const rebootDomainIn = z.object({
  instanceId: kumoId,
  type: z
    .number()
    .int()
    .refine((t) => t >= 0 && t <= 2, 'is not a known reboot type'),
});
export const attachDiskIn = z.object({ instanceId: kumoId, disk: required(domainDiskIn) });
export const detachDiskIn = z.object({ instanceId: kumoId, diskId: kumoId });
export const attachInterfaceIn = z.object({ instanceId: kumoId, interface: required(domainInterfaceIn) });
export const detachInterfaceIn = z.object({ instanceId: kumoId, vifId: kumoId });
export const consoleLogIn = z.object({
  instanceId: kumoId,
  offset: nonNegative,
  limit: z
    .number()
    .int()
    .min(0)
    .max(1024 * 1024)
    .transform((l) => l || 64 * 1024),
});
export const watchEventsIn = z.object({
  heartbeatIntervalMs: z
    .number()
    .int()
    .refine((n) => n === 0 || (n >= 100 && n <= 600_000), 'must be 0 or between 100 and 600000'),
});

const digestLength: Record<CachedImage['checksumAlgo'], number> = { md5: 32, sha256: 64, sha512: 128 };
export const ensureImageIn = z
  .object({
    imageId: kumoId,
    url: z.url({ protocol: /^(https?|file|data)$/ }).max(8192),
    sizeBytes: size.optional(),
    checksum: z.string().regex(/^[0-9a-fA-F]+$/, 'must be hex digits'),
    checksumAlgo: wireEnum('checksum algorithm', checksumIn),
  })
  .transform((r) => ({
    image: r.imageId,
    url: r.url,
    sizeBytes: r.sizeBytes,
    checksum: r.checksum.toLowerCase(),
    checksumAlgo: r.checksumAlgo ?? ('sha256' as const),
  }))
  .refine((r) => r.checksum.length === digestLength[r.checksumAlgo], {
    message: 'has the wrong length for its algorithm',
    path: ['checksum'],
  });
export const imageIn = z.object({ imageId: kumoId });
export const ensureDiskFromImageIn = z.object({ diskId: kumoId, imageId: kumoId, sizeBytes: size });
export const diskSizeIn = z.object({ diskId: kumoId, sizeBytes: size });
export const diskIn = z.object({ diskId: kumoId });
export const exportDiskIn = z
  .object({
    diskId: kumoId,
    url: z.url({ protocol: /^https?$/ }).max(8192),
    format: wireEnum('disk format', formatIn),
  })
  .transform((r) => ({ disk: r.diskId, url: r.url, format: r.format ?? ('qcow2' as const) }));
export const ensureVifIn = z.object({ vifId: kumoId, instanceId: kumoId, mac: macAddress, network: kumoId });
export const vifIn = z.object({ vifId: kumoId });

/** Parse or throw DriverError('invalid') naming the first bad field. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue?.path.map(String).join('.') || 'request';
  throw new DriverError('invalid', `${field}: ${issue?.message ?? 'is invalid'}`);
}

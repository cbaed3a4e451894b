import { hostIdSchema } from '@kumo/agent';
import { z } from 'zod';
import { TRAIT_RE } from '../domain/resources.js';

/** The REST bodies (snake_case); the client sends these too. */
const amount = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
export const resourcesBody = z.strictObject({
  VCPU: amount.optional(),
  MEMORY_MB: amount.optional(),
  DISK_GB: amount.optional(),
});
const consumerId = z.guid('must be a UUID');
const ownerId = z.string().min(1).max(64);
const hostName = z.string().min(1).max(255);
const trait = z.string().regex(TRAIT_RE, 'must be a trait name: A-Z, 0-9 and _, at most 255');
const traits = z.array(trait).max(256);

export const scheduleBody = z.strictObject({
  consumer_id: consumerId,
  project_id: ownerId,
  user_id: ownerId,
  resources: resourcesBody.refine((r) => Object.values(r).some((n) => (n ?? 0) > 0), {
    message: 'at least one of VCPU, MEMORY_MB, DISK_GB must be above 0',
  }),
  availability_zone: z.string().min(1).max(255).optional(),
  image_id: z.string().min(1).max(255).optional(),
  image_properties: z
    .record(z.string().max(255), z.union([z.string().max(65_535), z.number(), z.boolean()]))
    .optional(),
  required_traits: traits.optional(),
  forbidden_traits: traits.optional(),
  group: z
    .strictObject({
      id: z.guid('must be a UUID'),
      policy: z.enum(['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity']),
      max_server_per_host: z.number().int().min(1).max(10_000).optional(),
    })
    .optional(),
  force_host: hostName.optional(),
  ignore_hosts: z.array(hostName).max(10_000).optional(),
});
export type ScheduleBody = z.infer<typeof scheduleBody>;

export const claimBody = z.strictObject({
  host: hostIdSchema,
  resources: resourcesBody,
  project_id: ownerId,
  user_id: ownerId,
});
export type ClaimBody = z.infer<typeof claimBody>;

const perClass = <T extends z.ZodType>(t: T) =>
  z.strictObject({ VCPU: t.optional(), MEMORY_MB: t.optional(), DISK_GB: t.optional() });

export const hostPatchBody = z.strictObject({
  enabled: z.boolean().optional(),
  disabled_reason: z.string().max(255).nullable().optional(),
  availability_zone: z.string().min(1).max(255).optional(),
  reserved: perClass(amount).optional(),
  allocation_ratios: perClass(z.number().positive().max(1000)).optional(),
});
export type HostPatchBody = z.infer<typeof hostPatchBody>;

export const traitsBody = z.strictObject({ traits });

export const joinTokenBody = z.strictObject({
  host_id: hostIdSchema.optional(),
  ttl_seconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .optional(),
});

export const consumerParam = consumerId;
export const hostParam = hostIdSchema;

/** Validate a body (or a path value): a 400 naming the field and what is wrong. */
export { parseInput as parse } from '@kumo/service-kit';

import { z } from 'zod';

/** Nova's request schemas for flavors (additionalProperties: false, as Nova). */

const MAX_INT = 2_147_483_647;
const printable = (s: string) => !/\p{Cc}/u.test(s);

/** Nova's parameter_types.name: 1–255 printable characters, no leading or trailing whitespace. */
export const novaName = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .refine((s) => s.trim() === s, 'must not start or end with whitespace')
  .refine(printable, 'must not contain control characters');

/** An integer given as a number or a numeric string (Nova accepts both). */
const flavorInt = (min: number) =>
  z
    .union([z.number(), z.string().regex(/^\s*-?\d+\s*$/, 'must be an integer')])
    .transform((v) => Number(v))
    .pipe(
      z
        .number()
        .int('must be an integer')
        .min(min, `must be at least ${min}`)
        .max(MAX_INT, `must be at most ${MAX_INT}`),
    );

const rxtx = z
  .union([z.number(), z.string().regex(/^\s*\d+(\.\d+)?\s*$/, 'must be a number')])
  .transform((v) => Number(v))
  .pipe(z.number().gt(0, 'must be greater than 0').max(3.4e38, 'is too large'));

/** oslo/Nova booleans: JSON booleans or their usual spellings. */
export const novaBool = z.union([
  z.boolean(),
  z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['true', 'false', 'yes', 'no', 'on', 'off', '1', '0', 't', 'f', 'y', 'n']))
    .transform((s) => ['true', 'yes', 'on', '1', 't', 'y'].includes(s)),
]);

const flavorId = z
  .union([z.string(), z.number().int()])
  .transform((v) => String(v))
  .pipe(
    z
      .string()
      .min(1)
      .max(255)
      .regex(
        /^(?! )[a-zA-Z0-9. _-]+(?<! )$/,
        'may hold letters, digits, spaces, periods, dashes, underscores',
      ),
  );

const description = z
  .string()
  .max(65535, 'must be at most 65535 characters')
  .refine(printable, 'must not contain control characters')
  .nullable();

export const createFlavorSchema = (withDescription: boolean) =>
  z.object({
    flavor: z.strictObject({
      name: novaName,
      id: flavorId.nullable().optional(),
      ram: flavorInt(1),
      vcpus: flavorInt(1),
      disk: flavorInt(0),
      'OS-FLV-EXT-DATA:ephemeral': flavorInt(0).optional(),
      swap: flavorInt(0).optional(),
      rxtx_factor: rxtx.optional(),
      'os-flavor-access:is_public': novaBool.optional(),
      ...(withDescription ? { description: description.optional() } : {}),
    }),
  });

export const updateFlavorSchema = z.object({ flavor: z.strictObject({ description }) });

export const accessActionSchema = z.union([
  z.object({ addTenantAccess: z.strictObject({ tenant: z.string().min(1).max(255) }) }),
  z.object({ removeTenantAccess: z.strictObject({ tenant: z.string().min(1).max(255) }) }),
]);

export const EXTRA_SPEC_KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/;
const specValue = z
  .union([z.string(), z.number(), z.boolean()])
  .transform((v) => String(v))
  .pipe(z.string().max(255, 'must be at most 255 characters'));

export const extraSpecsSchema = z.object({
  extra_specs: z.record(
    z.string().regex(EXTRA_SPEC_KEY, 'keys are 1–255 of letters, digits, "-_:. "'),
    specValue,
  ),
});

export const oneExtraSpecSchema = z
  .record(z.string().regex(EXTRA_SPEC_KEY, 'keys are 1–255 of letters, digits, "-_:. "'), specValue)
  .refine((r) => Object.keys(r).length > 0, 'Request body is empty')
  .refine((r) => Object.keys(r).length <= 1, 'Request body contains too many items');

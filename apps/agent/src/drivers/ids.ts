import { z } from 'zod';

/**
 * Only Kumo ids cross a driver interface (DESIGN.md): libvirt names, file paths
 * and RBD image names stay inside the drivers. A Kumo id is a UUID or a short
 * token of letters, digits, '-' and '_' — never a path, so `../` tricks are
 * refused at the boundary.
 */
export const kumoId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be letters, digits, - or _ (a Kumo id)');

export type InstanceId = string;
export type DiskId = string;
export type ImageId = string;
export type VifId = string;

/** Parse an id or throw DriverError('invalid'). */
export function checkId(what: string, id: unknown): string {
  const r = kumoId.safeParse(id);
  if (!r.success)
    throw new DriverError('invalid', `${what} id is invalid: ${r.error.issues[0]?.message ?? 'bad id'}`);
  return r.data;
}

/** Driver failures, by kind; the gRPC layer maps them to status codes. */
export type DriverErrorKind = 'invalid' | 'not_found' | 'conflict' | 'unavailable' | 'no_space' | 'internal';

export class DriverError extends Error {
  constructor(
    readonly kind: DriverErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DriverError';
  }
}

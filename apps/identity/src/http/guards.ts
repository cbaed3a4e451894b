import { isForeignKeyViolation, isUniqueViolation } from '@kumo/db';
import { conflict, notFound } from '@kumo/service-kit';
import { z } from 'zod';

/** The row, or Keystone's 404 naming what was not found. */
export function found<T>(row: T | undefined | null, what: string, id: string): T {
  if (row === undefined || row === null) throw notFound(what, id);
  return row;
}

/** Run a write; a unique-key violation becomes Keystone's 409. */
export async function storeOrConflict<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err))
      throw conflict(`Conflict occurred attempting to store ${what} - Duplicate entry.`);
    if (isForeignKeyViolation(err))
      throw conflict(`Conflict occurred attempting to store ${what} - a referenced resource is gone.`);
    throw err;
  }
}

/** Field schemas shared by the resource bodies (Keystone's limits). */
export const nameField = (max = 64) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => s.trim().length > 0, 'must not be blank');
export const idField = z.string().min(1).max(64);
export const descriptionField = z.string().max(65535).nullable();
export const tagField = z
  .string()
  .min(1)
  .max(255)
  .refine((t) => !t.includes(',') && !t.includes('/'), 'tags may not contain , or /');

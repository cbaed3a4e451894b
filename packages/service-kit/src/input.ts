import type { z } from 'zod';
import { KumoError } from './errors.js';

/** Validate a body (or a path value): a 400 naming the field and what is wrong. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what = 'body'): T {
  if (value === undefined || value === null) {
    if (what === 'body') throw new KumoError('invalid', 'Invalid input: a JSON body is required.');
  }
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const path = i?.path.length ? i.path.join('.') : what;
  const bad = i?.path.length ? valueAt(value, i.path) : value;
  const shown = bad === undefined ? '' : ` (got ${JSON.stringify(bad)?.slice(0, 80)})`;
  throw new KumoError('invalid', `Invalid input: ${path}: ${i?.message ?? 'malformed'}${shown}.`);
}

function valueAt(v: unknown, path: PropertyKey[]): unknown {
  let cur = v;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

import { badRequest } from './errors.js';
import { parseBool } from './list-query.js';

/**
 * Neutron-style attribute validation: each attribute has a converter that returns the value or
 * throws 400 "Invalid input for <attr>. Reason: ...". Unknown attributes are a 400 too.
 */
export type Conv<T> = (v: unknown, attr: string) => T;

export const invalidAttr = (attr: string, reason: string) =>
  badRequest(`Invalid input for ${attr}. Reason: ${reason}.`);

const shown = (v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return `'${(s ?? String(v)).slice(0, 80)}'`;
};

export const str =
  (max = 255): Conv<string> =>
  (v, attr) => {
    if (typeof v !== 'string') throw invalidAttr(attr, `${shown(v)} is not a valid string`);
    if (v.length > max) throw invalidAttr(attr, `${shown(v)} exceeds maximum length of ${max}`);
    return v;
  };

export const nullable =
  <T>(c: Conv<T>): Conv<T | null> =>
  (v, attr) =>
    v === null ? null : c(v, attr);

export const bool: Conv<boolean> = (v, attr) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' || v === 0 || v === 1) return parseBool(attr, v);
  throw invalidAttr(attr, `${shown(v)} is not a valid boolean value`);
};

export const int =
  (min: number, max: number): Conv<number> =>
  (v, attr) => {
    const n = typeof v === 'string' && /^-?\d{1,10}$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n))
      throw invalidAttr(attr, `${shown(v)} is not an integer`);
    if (n < min) throw invalidAttr(attr, `${shown(v)} is too small - must be at least '${min}'`);
    if (n > max) throw invalidAttr(attr, `${shown(v)} is too large - must be no larger than '${max}'`);
    return n;
  };

export const list =
  <T>(item: Conv<T>, max = 1000): Conv<T[]> =>
  (v, attr) => {
    if (!Array.isArray(v)) throw invalidAttr(attr, `${shown(v)} is not a list`);
    if (v.length > max) throw invalidAttr(attr, `at most ${max} items`);
    return v.map((x) => item(x, attr));
  };

export const obj: Conv<Record<string, unknown>> = (v, attr) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw invalidAttr(attr, `${shown(v)} is not a dictionary`);
  return v as Record<string, unknown>;
};

export const oneOf =
  <T extends string>(values: readonly T[]): Conv<T> =>
  (v, attr) => {
    if (typeof v !== 'string' || !values.includes(v as T)) {
      throw invalidAttr(attr, `${shown(v)} is not in [${values.map((x) => `'${x}'`).join(', ')}]`);
    }
    return v as T;
  };

/** Any string id (UUIDs in practice; an unknown id is a 404 later, not a 400). */
export const id: Conv<string> = str(255);

export type Shape = Record<string, Conv<unknown>>;
export type Parsed<S extends Shape> = { [K in keyof S]?: ReturnType<S[K]> };

/** Validate the attributes present in `body` against `shape`; unknown ones are a 400. */
export function parseAttrs<S extends Shape>(body: Record<string, unknown>, shape: S): Parsed<S> {
  const unknown = Object.keys(body).filter((k) => !(k in shape));
  if (unknown.length) throw badRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined) continue;
    out[k] = shape[k]!(v, k);
  }
  return out as Parsed<S>;
}

/** `{"<resource>": {...}}` → the inner object (400 when missing or not an object). */
export function resourceBody(body: unknown, resource: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('Resource body required');
  }
  const inner = (body as Record<string, unknown>)[resource];
  if (inner === undefined) throw badRequest(`Unable to find '${resource}' in request body`);
  if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) {
    throw badRequest(`Invalid format: '${resource}' must be a dictionary`);
  }
  const extra = Object.keys(body).filter((k) => k !== resource);
  if (extra.length) throw badRequest(`Unrecognized attribute(s) '${extra.join(', ')}'`);
  return inner as Record<string, unknown>;
}

/**
 * A create body: `{"network": {...}}` or the bulk form `{"networks": [{...}, ...]}` (all or none).
 */
export function createBodies(
  body: unknown,
  singular: string,
  plural: string,
): { items: Record<string, unknown>[]; bulk: boolean } {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && plural in body) {
    const list = (body as Record<string, unknown>)[plural];
    if (!Array.isArray(list) || list.length === 0)
      throw badRequest(`Resources required: '${plural}' must be a non-empty list`);
    if (list.length > 1000) throw badRequest(`At most 1000 ${plural} in one request`);
    const extra = Object.keys(body).filter((k) => k !== plural);
    if (extra.length) throw badRequest(`Unrecognized attribute(s) '${extra.join(', ')}'`);
    return {
      items: list.map((x) => {
        if (x === null || typeof x !== 'object' || Array.isArray(x)) {
          throw badRequest(`Invalid format: each item of '${plural}' must be a dictionary`);
        }
        return x as Record<string, unknown>;
      }),
      bulk: true,
    };
  }
  return { items: [resourceBody(body, singular)], bulk: false };
}

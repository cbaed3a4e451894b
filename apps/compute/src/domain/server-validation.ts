import { isIP } from 'node:net';
import { invalid, KumoError } from '@kumo/service-kit';

/**
 * Pure validation of server request fields, with Nova's messages
 * ("Invalid input for field/attribute name. Value: …. <reason>").
 * Every function throws KumoError('invalid') → 400; none touches I/O.
 */
export const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID_RE.test(s);

/** Canonical lower-case dashed form of a UUID (Nova accepts both forms). */
export function canonicalUuid(s: string): string {
  const h = s.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const show = (v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

export const badField = (field: string, value: unknown, reason: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${show(value)}. ${reason}`);

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body must be a JSON object holding `key` as an object: `{ "server": {...} }`. */
export function requireEnvelope(body: unknown, key: string): Obj {
  if (!isObj(body)) throw invalid('The request body must be a JSON object.');
  const inner = body[key];
  if (inner === undefined)
    throw invalid(`Invalid input for field/attribute ${key}: '${key}' is a required property.`);
  if (!isObj(inner)) throw badField(key, inner, `'${key}' must be an object.`);
  return inner;
}

/** An action's arguments: Nova accepts `{"pause": null}` and `{"pause": {}}` alike. */
export function actionArgsOf(body: Obj, key: string): Obj {
  const v = body[key];
  if (v === null || v === undefined) return {};
  if (!isObj(v)) throw badField(key, v, `'${key}' must be an object or null.`);
  return v;
}

/** A display name: 1–255 characters, no leading/trailing whitespace, no control characters. */
export function nameField(field: string, v: unknown, opts: { allowEmpty?: boolean } = {}): string {
  if (typeof v !== 'string') throw badField(field, v, `${show(v)} is not of type 'string'`);
  if (v.length === 0 && !opts.allowEmpty) throw badField(field, v, `'' is too short`);
  if (v.length > 255) throw badField(field, v, `'${show(v)}' is too long (at most 255 characters)`);
  if (v.trim() !== v || (v.length > 0 && v.trim() === ''))
    throw badField(field, v, 'Leading and trailing whitespace is not allowed.');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
  if (/[\u0000-\u001f\u007f]/.test(v)) throw badField(field, v, 'Control characters are not allowed.');
  return v;
}

/** A description: null or a string of at most 255 printable characters. */
export function descriptionField(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string') throw badField('description', v, `${show(v)} is not of type 'string', 'null'`);
  if (v.length > 255) throw badField('description', v, 'is too long (at most 255 characters)');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v))
    throw badField('description', v, 'Control characters are not allowed.');
  return v;
}

export function boolField(field: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (['true', '1', 'yes', 'on', 't', 'y'].includes(s)) return true;
    if (['false', '0', 'no', 'off', 'f', 'n', ''].includes(s)) return false;
  }
  throw badField(field, v, `${show(v)} is not of type 'boolean'`);
}

/** A positive integer given as a number or a numeric string (min_count, max_count). */
export function countField(field: string, v: unknown): number {
  const n = typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n))
    throw badField(field, v, `${show(v)} is not of type 'integer', 'string'`);
  if (n < 1) throw badField(field, v, `${n} is less than the minimum of 1`);
  return n;
}

export function accessIpField(field: 'accessIPv4' | 'accessIPv6', v: unknown): string | null {
  if (v === null || v === '') return null;
  const family = field === 'accessIPv4' ? 4 : 6;
  if (typeof v !== 'string' || isIP(v) !== family)
    throw badField(field, v, `${show(v)} is not a 'ipv${family}'`);
  return family === 6 ? canonicalIpv6(v) : v;
}

/**
 * The canonical text of a valid IPv6 address, as Nova stores it (netaddr's compact form, RFC 5952): lower-case
 * hex groups without leading zeros, the first longest run of two or more zero groups as `::`, IPv4-mapped
 * addresses with a dotted quad.
 */
export function canonicalIpv6(addr: string): string {
  let text = addr.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string) => (s ? s.split(':') : []);
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right].map((g) =>
    Number.parseInt(g, 16),
  );
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  let best = { start: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { start: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.len).join(':')}`;
}

export function diskConfigField(v: unknown): 'AUTO' | 'MANUAL' {
  if (v === 'AUTO' || v === 'MANUAL') return v;
  throw badField('OS-DCF:diskConfig', v, `${show(v)} is not one of ['AUTO', 'MANUAL']`);
}

/** user_data: base64, at most 65535 characters encoded (Nova's limit). */
export function userDataField(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string') throw badField('user_data', v, `${show(v)} is not of type 'string'`);
  if (v.length > 65535)
    throw badField('user_data', `${v.slice(0, 20)}…`, 'is too long (at most 65535 characters)');
  const s = v.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 === 1)
    throw badField('user_data', `${v.slice(0, 20)}…`, 'is not a base64 string.');
  return v;
}

/** Metadata: string keys of 1–255 and string values of 0–255 characters. */
export function metadataField(field: string, v: unknown): Record<string, string> {
  if (!isObj(v)) throw badField(field, v, `${show(v)} is not of type 'object'`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    metadataKey(k);
    if (typeof val !== 'string') throw badField(`${field}.${k}`, val, `${show(val)} is not of type 'string'`);
    if (val.length > 255)
      throw badField(`${field}.${k}`, val, `'${show(val)}' is too long (at most 255 characters)`);
    out[k] = val;
  }
  return out;
}

export function metadataKey(k: string): string {
  if (k.length < 1 || k.length > 255)
    throw badField('metadata', k, 'Metadata keys must be 1 to 255 characters long.');
  return k;
}

export const MAX_TAGS = 50;

/** A server tag (2.26): 1–60 characters, no ',' or '/'. */
export function tagField(v: unknown): string {
  if (typeof v !== 'string') throw badField('tags', v, `${show(v)} is not of type 'string'`);
  if (v.length < 1 || v.length > 60) throw badField('tags', v, 'Tags must be 1 to 60 characters long.');
  if (/[,/]/.test(v)) throw badField('tags', v, "Tags must not contain ',' or '/'.");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
  if (/[\u0000-\u001f\u007f]/.test(v)) throw badField('tags', v, 'Control characters are not allowed.');
  return v;
}

export function tagsField(v: unknown): string[] {
  if (!Array.isArray(v)) throw badField('tags', v, `${show(v)} is not of type 'array'`);
  if (v.length > MAX_TAGS)
    throw badField('tags', `${v.length} tags`, `is too long (at most ${MAX_TAGS} tags)`);
  return [...new Set(v.map(tagField))];
}

/** flavorRef / imageRef may be an id or a URL ending in the id. */
export function refId(field: string, v: unknown): string {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v !== 'string' || v.length === 0 || v.length > 2048)
    throw badField(field, v, `${show(v)} is not a valid reference`);
  if (/^https?:\/\//i.test(v)) {
    const last = v.replace(/\/+$/, '').split('/').pop() ?? '';
    if (!last) throw badField(field, v, 'The URL does not end in an id.');
    return decodeURIComponent(last);
  }
  return v;
}

/** Nova's hostname from a display name (RFC 952/1123 subset, at most 63 characters). */
export function hostnameFromName(name: string, fallback: string): string {
  const h = name
    .toLowerCase()
    .replace(/[ _]/g, '-')
    .replace(/[^a-z0-9.-]/g, '')
    .slice(0, 63)
    .replace(/^[.-]+|[.-]+$/g, '');
  return h || fallback;
}

/** 2.90's `hostname` (create, update, rebuild): an RFC 1123 label of 2 to 63 letters, digits and inner '-'. */
export function hostnameField(v: unknown): string {
  if (typeof v !== 'string') throw badField('hostname', v, `${show(v)} is not of type 'string'`);
  if (v.length < 2 || v.length > 63) throw badField('hostname', v, 'must be 2 to 63 characters long');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]$/.test(v))
    throw badField(
      'hostname',
      v,
      "may contain only letters, digits and '-' and must start and end with a letter or digit",
    );
  return v;
}

/** adminPass: a string of printable characters, at most 255 (it travels to the guest in the config drive). */
export function passwordField(v: unknown): string {
  if (typeof v !== 'string') throw badField('adminPass', '***', "is not of type 'string'");
  if (v.length > 255) throw badField('adminPass', '***', 'is too long (at most 255 characters)');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
  if (/[\u0000-\u001f\u007f]/.test(v))
    throw badField('adminPass', '***', 'Control characters are not allowed.');
  return v;
}

/** The random admin password Nova hands back when the caller gives none. */
export function generatePassword(length = 12): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** The console output `length`: null/absent for all, -1 for all, else a non-negative integer (or its string). */
export function consoleLengthField(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  const n = typeof v === 'string' && /^-?\d{1,9}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -1)
    throw badField('length', v, 'must be an integer of at least -1.');
  return n === -1 ? null : n;
}

export const notFoundServer = (id: string) =>
  new KumoError('not_found', `Instance ${id} could not be found.`);

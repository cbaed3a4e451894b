import { KumoError } from '@kumo/service-kit';
import { CONTAINER_FORMATS, DISK_FORMATS } from './formats.js';
import { type ImageStatus, VISIBILITIES, type Visibility } from './image-view.js';

export const MAX_PROPERTIES = 128;
export const MAX_TAGS = 128;
export const MAX_MEMBERS = 128;
const MAX_INT = 2 ** 31 - 1;
const MAX_PROPERTY_VALUE = 65_535;
export const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Attributes the server owns: a client may read them, never set them (403, as Glance). */
const READ_ONLY = new Set([
  'status',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
  'created_at',
  'updated_at',
  'direct_url',
  'stores',
]);
/** Names Glance keeps for itself. */
const RESERVED = new Set(['self', 'file', 'schema', 'location', 'locations', 'deleted', 'deleted_at']);

/** The attributes of an image a client may set. */
export interface ImageFields {
  name: string | null;
  visibility: Visibility;
  protected: boolean;
  osHidden: boolean;
  minDisk: number;
  minRam: number;
  diskFormat: string | null;
  containerFormat: string | null;
  owner: string | null;
  tags: string[];
  properties: Record<string, string | null>;
}

export interface CreateInput extends ImageFields {
  id?: string;
}

const bad = (msg: string) => new KumoError('invalid', msg);

/** PostgreSQL cannot store NUL characters (text nor jsonb): refuse them up front, anywhere in a body. */
export function assertNoNul(v: unknown, depth = 0): void {
  if (depth > 32) throw bad('The request body is nested too deeply.');
  if (typeof v === 'string') {
    if (v.includes('\u0000')) throw bad('Strings may not contain NUL characters.');
  } else if (Array.isArray(v)) {
    for (const x of v) assertNoNul(x, depth + 1);
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      assertNoNul(k, depth + 1);
      assertNoNul(x, depth + 1);
    }
  }
}
const forbidden = (msg: string) => new KumoError('forbidden', msg);

function guardName(key: string, op: 'set' | 'patch'): void {
  if (key === 'id' && op === 'patch') throw forbidden(`Attribute 'id' is read-only.`);
  if (READ_ONLY.has(key)) throw forbidden(`Attribute '${key}' is read-only.`);
  if (RESERVED.has(key)) throw forbidden(`Attribute '${key}' is reserved.`);
  if (key.startsWith('os_glance')) throw forbidden(`Attribute '${key}' is reserved (the os_glance prefix).`);
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);

/** Validate a value for one core attribute and store it into `f`. Returns false when `key` is no core attribute. */
function setCore(f: ImageFields, key: string, v: unknown, status: ImageStatus | undefined): boolean {
  switch (key) {
    case 'name':
      if (v !== null && typeof v !== 'string')
        throw bad(`Invalid value for 'name': expected a string, got ${describe(v)}.`);
      if (typeof v === 'string' && v.length > 255)
        throw bad(`Invalid value for 'name': ${v.length} characters, at most 255 allowed.`);
      f.name = v;
      return true;
    case 'visibility':
      if (typeof v !== 'string' || !VISIBILITIES.includes(v as Visibility))
        throw bad(
          `Invalid value for 'visibility': ${JSON.stringify(v)}; expected one of ${VISIBILITIES.join(', ')}.`,
        );
      f.visibility = v as Visibility;
      return true;
    case 'protected':
    case 'os_hidden':
      if (typeof v !== 'boolean')
        throw bad(`Invalid value for '${key}': expected a boolean, got ${describe(v)}.`);
      if (key === 'protected') f.protected = v;
      else f.osHidden = v;
      return true;
    case 'min_disk':
    case 'min_ram':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_INT)
        throw bad(
          `Invalid value for '${key}': expected an integer from 0 to ${MAX_INT}, got ${JSON.stringify(v)}.`,
        );
      if (key === 'min_disk') f.minDisk = v;
      else f.minRam = v;
      return true;
    case 'disk_format':
    case 'container_format': {
      const allowed: readonly string[] = key === 'disk_format' ? DISK_FORMATS : CONTAINER_FORMATS;
      if (v !== null && (typeof v !== 'string' || !allowed.includes(v)))
        throw bad(`Invalid value for '${key}': ${JSON.stringify(v)}; expected one of ${allowed.join(', ')}.`);
      const current = key === 'disk_format' ? f.diskFormat : f.containerFormat;
      if (status !== undefined && status !== 'queued' && v !== current)
        throw forbidden(`Attribute ${key} can be only replaced for a queued image.`);
      if (key === 'disk_format') f.diskFormat = v as string | null;
      else f.containerFormat = v as string | null;
      return true;
    }
    case 'owner':
      if (v !== null && typeof v !== 'string')
        throw bad(`Invalid value for 'owner': expected a string, got ${describe(v)}.`);
      if (typeof v === 'string' && v.length > 255)
        throw bad(`Invalid value for 'owner': longer than 255 characters.`);
      f.owner = v;
      return true;
    case 'tags':
      f.tags = validTags(v);
      return true;
    default:
      return false;
  }
}

export function validTag(t: unknown): string {
  if (typeof t !== 'string') throw bad(`Invalid tag: expected a string, got ${describe(t)}.`);
  if (t.length === 0 || t.length > 255)
    throw bad(`Invalid tag '${t.slice(0, 40)}': length must be 1 to 255.`);
  assertNoNul(t);
  return t;
}

function validTags(v: unknown): string[] {
  if (!Array.isArray(v))
    throw bad(`Invalid value for 'tags': expected an array of strings, got ${describe(v)}.`);
  const tags = [...new Set(v.map(validTag))];
  if (tags.length > MAX_TAGS)
    throw new KumoError('too_large', `Maximum number of tags exceeded: at most ${MAX_TAGS}.`);
  return tags;
}

function setProperty(f: ImageFields, key: string, v: unknown): void {
  if (key.length === 0 || key.length > 255)
    throw bad(`Invalid property name '${key.slice(0, 40)}': length must be 1 to 255.`);
  if ((key === 'kernel_id' || key === 'ramdisk_id') && v !== null) {
    if (typeof v !== 'string' || !UUID.test(v))
      throw bad(`Invalid value for '${key}': expected an image UUID or null.`);
  } else if (typeof v !== 'string') {
    throw bad(`Invalid value for property '${key}': expected a string, got ${describe(v)}.`);
  }
  if (typeof v === 'string' && v.length > MAX_PROPERTY_VALUE)
    throw bad(`Invalid value for property '${key}': longer than ${MAX_PROPERTY_VALUE} characters.`);
  f.properties[key] = v as string | null;
  if (Object.keys(f.properties).length > MAX_PROPERTIES)
    throw new KumoError(
      'too_large',
      `Attempted to add more properties than allowed: at most ${MAX_PROPERTIES}.`,
    );
}

/** Validate a POST /v2/images body. `defaultOwner` is the caller's project. */
export function parseCreate(body: unknown, defaultOwner: string | null): CreateInput {
  if (body === undefined) body = {};
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw bad('Invalid image: the request body must be a JSON object.');
  assertNoNul(body);
  const f: CreateInput = {
    name: null,
    visibility: 'shared',
    protected: false,
    osHidden: false,
    minDisk: 0,
    minRam: 0,
    diskFormat: null,
    containerFormat: null,
    owner: defaultOwner,
    tags: [],
    properties: {},
  };
  for (const [key, v] of Object.entries(body as Record<string, unknown>)) {
    if (key === 'id') {
      if (typeof v !== 'string' || !UUID.test(v))
        throw bad(`Invalid value for 'id': ${JSON.stringify(v)} is not a UUID.`);
      f.id = normalizeUuid(v);
      continue;
    }
    guardName(key, 'set');
    if (!setCore(f, key, v, undefined)) setProperty(f, key, v);
  }
  return f;
}

export const normalizeUuid = (v: string): string => {
  const h = v.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  key: string;
  value?: unknown;
  /** The draft (v2.0) JSON-patch form, where `add` on an existing attribute is a conflict. */
  draft: boolean;
}

function decodePath(path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw bad(`Invalid JSON pointer ${JSON.stringify(path)}: it must start with '/'.`);
  const parts = path.slice(1).split('/');
  if (parts.length !== 1) throw bad(`Nested paths are not allowed: ${path}.`);
  const key = parts[0]!.replace(/~1/g, '/').replace(/~0/g, '~');
  if (/~[^01]|~$/.test(parts[0]!)) throw bad(`Invalid JSON pointer ${path}: bad ~ escape.`);
  if (key === '') throw bad(`Invalid JSON pointer ${path}: empty attribute name.`);
  return key;
}

/** Parse a JSON-patch body, accepting both the RFC 6902 form and Glance's draft form. */
export function parsePatch(body: unknown): PatchOp[] {
  if (!Array.isArray(body)) throw bad('Invalid patch: the request body must be a JSON array of operations.');
  assertNoNul(body);
  return body.map((raw, i): PatchOp => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw bad(`Invalid patch operation #${i}: expected an object.`);
    const o = raw as Record<string, unknown>;
    const needValue = (op: PatchOp['op']) => {
      if (op !== 'remove' && !('value' in o))
        throw bad(`Invalid patch operation #${i}: '${op}' needs a 'value'.`);
    };
    if ('op' in o) {
      if (o.op !== 'add' && o.op !== 'replace' && o.op !== 'remove')
        throw bad(
          `Invalid patch operation #${i}: op ${JSON.stringify(o.op)} is not one of add, replace, remove.`,
        );
      needValue(o.op);
      return { op: o.op, key: decodePath(o.path), value: o.value, draft: false };
    }
    const ops = (['add', 'replace', 'remove'] as const).filter((k) => k in o);
    if (ops.length !== 1)
      throw bad(`Invalid patch operation #${i}: it must contain exactly one of op, add, replace, remove.`);
    const op = ops[0]!;
    needValue(op);
    return { op, key: decodePath(o[op]), value: o.value, draft: true };
  });
}

/** Apply patch operations to a copy of an image's fields, with Glance's rules. */
export function applyPatch(current: ImageFields, status: ImageStatus, ops: PatchOp[]): ImageFields {
  const f: ImageFields = { ...current, tags: [...current.tags], properties: { ...current.properties } };
  for (const p of ops) {
    guardName(p.key, 'patch');
    const core = CORE_KEYS.has(p.key);
    if (p.op === 'remove') {
      if (core) throw forbidden(`Property ${p.key} may not be removed.`);
      if (!(p.key in f.properties)) throw new KumoError('conflict', `Property ${p.key} does not exist.`);
      delete f.properties[p.key];
      continue;
    }
    if (p.op === 'replace' && !core && !(p.key in f.properties))
      throw new KumoError('conflict', `Property ${p.key} does not exist.`);
    if (p.op === 'add' && p.draft && !core && p.key in f.properties)
      throw new KumoError('conflict', `Property ${p.key} already present.`);
    if (!setCore(f, p.key, p.value, status)) setProperty(f, p.key, p.value);
  }
  return f;
}

const CORE_KEYS = new Set([
  'name',
  'visibility',
  'protected',
  'os_hidden',
  'min_disk',
  'min_ram',
  'disk_format',
  'container_format',
  'owner',
  'tags',
]);

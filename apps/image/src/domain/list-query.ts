import { KumoError } from '@kumo/service-kit';
import { MEMBER_STATUSES, type MemberStatus, VISIBILITIES, type Visibility } from './image-view.js';

export const SORT_KEYS = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'virtual_size',
  'id',
  'created_at',
  'updated_at',
  'min_disk',
  'min_ram',
  'owner',
  'visibility',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

export type TimeOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';
export type StringFilterKey = 'id' | 'name' | 'status' | 'owner' | 'container_format' | 'disk_format';

export interface ListQuery {
  limit: number;
  marker?: string;
  sort: { key: SortKey; dir: SortDir }[];
  /** Exact-match (or `in:`) filters on core string attributes. */
  strings: Partial<Record<StringFilterKey, string[]>>;
  visibility?: Visibility | 'all';
  memberStatus: MemberStatus | 'all';
  tags: string[];
  size?: number;
  sizeMin?: number;
  sizeMax?: number;
  protected?: boolean;
  osHidden: boolean;
  times: { column: 'created_at' | 'updated_at'; op: TimeOp; at: Date }[];
  /** Extra property filters: key = value. */
  properties: Record<string, string>;
}

export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 1000;
const PAGING_KEYS = new Set(['limit', 'marker', 'sort', 'sort_key', 'sort_dir']);
const TIME_OPS: TimeOp[] = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'];

const bad = (msg: string) => new KumoError('invalid', msg);
type Raw = Record<string, string | string[] | undefined>;
const all = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];
const one = (q: Raw, k: string): string | undefined => {
  const v = all(q[k]);
  if (v.length > 1) throw bad(`Query parameter '${k}' may be given once.`);
  return v[0];
};

function int(k: string, v: string, min = 0): number {
  if (!/^-?\d{1,16}$/.test(v)) throw bad(`Invalid value for '${k}': ${JSON.stringify(v)} is not an integer.`);
  const n = Number(v);
  if (n < min) throw bad(`Invalid value for '${k}': must be at least ${min}.`);
  return n;
}

function bool(k: string, v: string): boolean {
  const l = v.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(l)) return true;
  if (['false', '0', 'no', 'off'].includes(l)) return false;
  throw bad(`Invalid value for '${k}': ${JSON.stringify(v)} is not a boolean.`);
}

/** `in:a,"b,c"` → ['a', 'b,c']; a plain value (or `eq:value`) → [value]. */
function stringValues(v: string): string[] {
  if (!v.startsWith('in:')) return [v.startsWith('eq:') ? v.slice(3) : v];
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  const body = v.slice(3);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < body.length) cur += body[++i];
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (quoted) throw bad(`Invalid 'in:' filter: ${JSON.stringify(v)} has an unbalanced quote.`);
  out.push(cur.trim());
  return out;
}

function timeFilter(column: 'created_at' | 'updated_at', v: string): ListQuery['times'][number] {
  const m = /^([a-z]+):(.+)$/.exec(v);
  if (!m || !TIME_OPS.includes(m[1] as TimeOp))
    throw bad(
      `Invalid value for '${column}': ${JSON.stringify(v)}; expected OP:ISO-8601 with OP one of ${TIME_OPS.join(', ')}.`,
    );
  const at = new Date(m[2]!);
  if (Number.isNaN(at.getTime()))
    throw bad(`Invalid value for '${column}': ${JSON.stringify(m[2])} is not a date.`);
  return { column, op: m[1] as TimeOp, at };
}

function sortOf(q: Raw): ListQuery['sort'] {
  const sort = one(q, 'sort');
  const keys = all(q.sort_key);
  const dirs = all(q.sort_dir);
  const key = (k: string): SortKey => {
    if (!SORT_KEYS.includes(k as SortKey))
      throw bad(`Invalid sort key '${k}'; expected one of ${SORT_KEYS.join(', ')}.`);
    return k as SortKey;
  };
  const dir = (d: string): SortDir => {
    if (d !== 'asc' && d !== 'desc') throw bad(`Invalid sort direction '${d}'; expected asc or desc.`);
    return d;
  };
  let out: ListQuery['sort'];
  if (sort !== undefined) {
    if (keys.length || dirs.length) throw bad(`'sort' cannot be combined with 'sort_key' or 'sort_dir'.`);
    out = sort.split(',').map((part) => {
      const [k, d, extra] = part.trim().split(':');
      if (extra !== undefined) throw bad(`Invalid sort '${part}': expected KEY or KEY:DIR.`);
      return { key: key(k ?? ''), dir: dir(d ?? 'desc') };
    });
  } else {
    if (dirs.length > 1 && dirs.length !== keys.length)
      throw bad(`Give one 'sort_dir', or as many as 'sort_key' (${keys.length}).`);
    const ks = keys.length ? keys : ['created_at'];
    out = ks.map((k, i) => ({ key: key(k), dir: dir(dirs[dirs.length > 1 ? i : 0] ?? 'desc') }));
  }
  const seen = new Set<string>();
  for (const s of out) {
    if (seen.has(s.key)) throw bad(`Sort key '${s.key}' is given twice.`);
    seen.add(s.key);
  }
  // a total order for paging: the id breaks ties
  if (!seen.has('id')) out.push({ key: 'id', dir: out[out.length - 1]!.dir });
  return out;
}

/** Parse the query string of GET /v2/images. Unknown keys filter on extra properties, as Glance. */
export function parseListQuery(q: Raw): ListQuery {
  const limitRaw = one(q, 'limit');
  const out: ListQuery = {
    limit: limitRaw === undefined ? DEFAULT_LIMIT : Math.min(int('limit', limitRaw), MAX_LIMIT),
    marker: one(q, 'marker'),
    sort: sortOf(q),
    strings: {},
    memberStatus: 'accepted',
    tags: all(q.tag),
    osHidden: false,
    times: [],
    properties: {},
  };
  for (const [k, raw] of Object.entries(q)) {
    if (PAGING_KEYS.has(k) || k === 'tag' || raw === undefined) continue;
    const v = one(q, k)!;
    switch (k) {
      case 'id':
      case 'name':
      case 'status':
      case 'owner':
      case 'container_format':
      case 'disk_format':
        out.strings[k] = stringValues(v);
        break;
      case 'visibility':
        if (v !== 'all' && !VISIBILITIES.includes(v as Visibility))
          throw bad(
            `Invalid visibility value: ${JSON.stringify(v)}; expected one of ${VISIBILITIES.join(', ')}, all.`,
          );
        out.visibility = v as Visibility | 'all';
        break;
      case 'member_status':
        if (v !== 'all' && !MEMBER_STATUSES.includes(v as MemberStatus))
          throw bad(
            `Invalid member_status: ${JSON.stringify(v)}; expected one of ${MEMBER_STATUSES.join(', ')}, all.`,
          );
        out.memberStatus = v as MemberStatus | 'all';
        break;
      case 'size':
        out.size = int(k, v);
        break;
      case 'size_min':
        out.sizeMin = int(k, v);
        break;
      case 'size_max':
        out.sizeMax = int(k, v);
        break;
      case 'protected':
        out.protected = bool(k, v);
        break;
      case 'os_hidden':
        out.osHidden = bool(k, v);
        break;
      case 'created_at':
      case 'updated_at':
        out.times.push(timeFilter(k, v));
        break;
      default:
        if (k.length > 255) throw bad('Invalid filter: property names are at most 255 characters.');
        out.properties[k] = v;
    }
  }
  if (out.sizeMin !== undefined && out.sizeMax !== undefined && out.sizeMin > out.sizeMax)
    throw bad(`Invalid size range: size_min ${out.sizeMin} is above size_max ${out.sizeMax}.`);
  return out;
}

/** The `next` link: the same query with the marker moved to the last image of this page. */
export function nextLink(q: Raw, lastId: string): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (k === 'marker' || v === undefined) continue;
    for (const x of all(v)) p.append(k, x);
  }
  p.append('marker', lastId);
  return `/v2/images?${p.toString()}`;
}

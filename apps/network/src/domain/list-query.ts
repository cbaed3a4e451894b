import { badRequest } from './errors.js';

/**
 * Neutron's list query language, shared by every collection: attribute filters (a repeated key
 * is an OR), `fields`, `sort_key`/`sort_dir` pairs, `limit`/`marker`/`page_reverse` paging and
 * the tag filters `tags`, `tags-any`, `not-tags`, `not-tags-any` (comma lists). An attribute that
 * is not filterable is a 400 (the filter-validation extension).
 */
export type AttrType = 'string' | 'bool' | 'int';
export type FilterValue = string | number | boolean;

export interface ListQuery {
  filters: { attr: string; values: FilterValue[] }[];
  /** Only these attributes in each item (undefined: all). */
  fields: string[] | undefined;
  sorts: { key: string; dir: 'asc' | 'desc' }[];
  limit: number | undefined;
  marker: string | undefined;
  pageReverse: boolean;
  tags: { all: string[]; any: string[]; notAll: string[]; notAny: string[] };
}

export type RawQuery = Record<string, string | string[] | undefined>;

const CONTROL = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);
const TAG_KEYS = { tags: 'all', 'tags-any': 'any', 'not-tags': 'notAll', 'not-tags-any': 'notAny' } as const;

const all = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

export function parseBool(attr: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw badRequest(
    `Invalid input for ${attr}. Reason: '${String(v).slice(0, 80)}' cannot be converted to boolean.`,
  );
}

function parseInt32(attr: string, v: string): number {
  if (!/^-?\d{1,10}$/.test(v.trim())) {
    throw badRequest(`Invalid input for ${attr}. Reason: '${v.slice(0, 80)}' is not an integer.`);
  }
  const n = Number(v);
  if (n > 2_147_483_647 || n < -2_147_483_648)
    throw badRequest(`Invalid input for ${attr}. Reason: '${v}' is out of range.`);
  return n;
}

/**
 * @param attrs filterable/sortable attributes and their types; `sortable` restricts sort keys
 *   (default: every attribute in attrs).
 */
export function parseListQuery(
  raw: RawQuery,
  attrs: Record<string, AttrType>,
  sortable: readonly string[] = Object.keys(attrs),
): ListQuery {
  const q: ListQuery = {
    filters: [],
    fields: undefined,
    sorts: [],
    limit: undefined,
    marker: undefined,
    pageReverse: false,
    tags: { all: [], any: [], notAll: [], notAny: [] },
  };
  const invalid: string[] = [];
  for (const [key, rawValue] of Object.entries(raw)) {
    const values = all(rawValue);
    if (CONTROL.has(key)) continue;
    if (key in TAG_KEYS) {
      const tags = values.flatMap((v) => v.split(',')).filter((t) => t !== '');
      q.tags[TAG_KEYS[key as keyof typeof TAG_KEYS]].push(...tags);
      continue;
    }
    const type = attrs[key];
    if (!type) {
      invalid.push(key);
      continue;
    }
    q.filters.push({
      attr: key,
      values: values.map((v) =>
        type === 'bool' ? parseBool(key, v) : type === 'int' ? parseInt32(key, v) : v,
      ),
    });
  }
  if (invalid.length) {
    throw badRequest(`[${invalid.map((k) => `'${k}'`).join(', ')}] is invalid attribute for filtering`);
  }

  const fields = all(raw.fields)
    .flatMap((f) => f.split(','))
    .filter((f) => f !== '');
  if (fields.length) q.fields = [...new Set(fields)];

  const keys = all(raw.sort_key);
  const dirs = all(raw.sort_dir);
  if (dirs.length && dirs.length !== keys.length) {
    throw badRequest('The number of sort_keys and sort_dirs must be same');
  }
  const sortSet = new Set(sortable);
  keys.forEach((key, i) => {
    if (!sortSet.has(key)) throw badRequest(`${key} is an invalid attribute for sort_keys`);
    const dir = (dirs[i] ?? 'asc').toLowerCase();
    if (dir !== 'asc' && dir !== 'desc') {
      throw badRequest(`${dirs[i]} is an invalid value for sort_dirs, valid values are 'asc' and 'desc'`);
    }
    q.sorts.push({ key, dir });
  });

  const limits = all(raw.limit);
  if (limits.length) {
    const l = limits[limits.length - 1]!;
    if (!/^-?\d{1,10}$/.test(l))
      throw badRequest(`Invalid input for limit. Reason: '${l.slice(0, 40)}' is not an integer.`);
    const n = Number(l);
    if (n < 0) throw badRequest(`Limit must be an integer 0 or greater and not '${l}'`);
    q.limit = n === 0 ? undefined : n;
  }
  const markers = all(raw.marker);
  if (markers.length) q.marker = markers[markers.length - 1];
  const rev = all(raw.page_reverse);
  if (rev.length) q.pageReverse = parseBool('page_reverse', rev[rev.length - 1]);
  return q;
}

/** Keep only the requested fields of a view (Neutron ignores unknown names). */
export function pickFields<T extends Record<string, unknown>>(
  item: T,
  fields: string[] | undefined,
): Partial<T> {
  if (!fields) return item;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in item) out[f] = item[f];
  return out as Partial<T>;
}

export interface PageLink {
  rel: 'next' | 'previous';
  href: string;
}

function hrefWith(base: string, raw: RawQuery, marker: string, reverse: boolean): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'marker' || k === 'page_reverse') continue;
    for (const x of all(v)) params.append(k, x);
  }
  params.append('marker', marker);
  if (reverse) params.append('page_reverse', 'True');
  return `${base}?${params.toString()}`;
}

/**
 * Neutron's `<collection>_links`: going forward, `next` when more items follow and `previous`
 * when a marker was given; going backward (page_reverse), the mirror image.
 * @param ids the ids of the page, in the order returned
 */
export function pageLinks(
  base: string,
  raw: RawQuery,
  q: ListQuery,
  ids: string[],
  hasMore: boolean,
): PageLink[] {
  if (q.limit === undefined || ids.length === 0) return [];
  const first = ids[0]!;
  const last = ids[ids.length - 1]!;
  const links: PageLink[] = [];
  if (!q.pageReverse) {
    if (hasMore) links.push({ rel: 'next', href: hrefWith(base, raw, last, false) });
    if (q.marker) links.push({ rel: 'previous', href: hrefWith(base, raw, first, true) });
  } else {
    if (q.marker) links.push({ rel: 'next', href: hrefWith(base, raw, last, false) });
    if (hasMore) links.push({ rel: 'previous', href: hrefWith(base, raw, first, true) });
  }
  return links;
}

import {
  and,
  eq,
  gte,
  inArray,
  isNotNull,
  isNull,
  lte,
  or,
  type SQL,
  type SQLWrapper,
  sql,
} from 'drizzle-orm';
import type { Queryable } from './quota-usage.repo.js';
import { servers } from './schema.js';
import type { ServerRow } from './servers.repo.js';

interface SortColumn {
  expr: SQL;
}

/**
 * Nullable columns sort through coalesce (a total order, which keyset paging
 * needs); NOT NULL ones stay bare so indexes serve the order.
 */
const col = (c: SQLWrapper): SortColumn => ({ expr: sql`${c}` });
const text = (c: SQLWrapper): SortColumn => ({ expr: sql`coalesce(${c}, '')` });
const time = (c: SQLWrapper): SortColumn => ({ expr: sql`coalesce(${c}, '-infinity'::timestamptz)` });
const int = (c: SQLWrapper): SortColumn => ({ expr: sql`coalesce(${c}, -1)` });

/** Nova's sort keys (the instance columns) mapped onto Kumo's columns. */
export const SORT_KEYS: Record<string, SortColumn> = {
  created_at: col(servers.createdAt),
  updated_at: col(servers.updatedAt),
  launched_at: time(servers.launchedAt),
  terminated_at: time(servers.terminatedAt),
  display_name: col(servers.name),
  display_description: text(servers.description),
  hostname: col(servers.hostname),
  host: text(servers.host),
  node: text(servers.host),
  uuid: col(servers.id),
  vm_state: col(servers.vmState),
  task_state: text(servers.taskState),
  power_state: col(servers.powerState),
  progress: col(servers.progress),
  launch_index: col(servers.launchIndex),
  project_id: col(servers.projectId),
  user_id: col(servers.userId),
  key_name: text(servers.keyName),
  availability_zone: text(servers.availabilityZone),
  image_ref: text(servers.imageId),
  instance_type_id: text(sql`${servers.flavor}->>'id'`),
  locked_by: text(servers.lockedBy),
  access_ip_v4: text(servers.accessIpv4),
  access_ip_v6: text(servers.accessIpv6),
  auto_disk_config: col(servers.diskConfig),
  config_drive: int(sql`${servers.configDrive}::int`),
};
/** Sort keys only an administrator may use. */
export const ADMIN_SORT_KEYS = new Set(['host', 'node']);

export interface ServerListFilter {
  /** undefined: every project. */
  projectId?: string;
  userId?: string;
  /** exclude: live only; include: live and soft-deleted; only: soft-deleted only. */
  deleted: 'exclude' | 'include' | 'only';
  nameRegex?: string;
  vmStates?: string[];
  taskStates?: string[];
  imageId?: string;
  flavorId?: string;
  host?: string;
  changesSince?: Date;
  changesBefore?: Date;
  tagsAll?: string[];
  tagsAny?: string[];
  notTagsAll?: string[];
  notTagsAny?: string[];
  locked?: boolean;
  reservationId?: string;
  availabilityZone?: string;
  keyName?: string;
  uuid?: string;
  /** Regexes matched against the servers' IPv4 / IPv6 addresses. */
  ipRegex?: string;
  ip6Regex?: string;
  /** Nova's regex filters: the column's string form (as Nova's database shows it) matches the regex. */
  regex?: { column: RegexColumn; re: string }[];
  /** A filter that matches nothing (e.g. an unknown status). */
  none?: boolean;
  sort: { key: string; dir: 'asc' | 'desc' }[];
  limit: number;
  /** The last server of the previous page (already loaded by the caller). */
  marker?: ServerRow;
}

const utcText = (c: SQLWrapper) => sql`to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')`;

/** The string form of a column for Nova's regex filters (config_drive is 'True' or '' in Nova). */
const REGEX_COLUMNS = {
  hostname: () => sql`${servers.hostname}`,
  power_state: () => sql`${servers.powerState}::text`,
  progress: () => sql`${servers.progress}::text`,
  config_drive: () => sql`CASE WHEN ${servers.configDrive} THEN 'True' ELSE '' END`,
  created_at: () => utcText(servers.createdAt),
  launched_at: () => utcText(servers.launchedAt),
  terminated_at: () => utcText(servers.terminatedAt),
} satisfies Record<string, () => SQL>;
export type RegexColumn = keyof typeof REGEX_COLUMNS;
export const REGEX_FILTERS = Object.keys(REGEX_COLUMNS) as RegexColumn[];

const tagCount = (tags: string[]) =>
  sql`(SELECT count(DISTINCT t.tag) FROM compute.server_tags t WHERE t.server_id = ${servers.id} AND t.tag IN (${sql.join(
    tags.map((t) => sql`${t}`),
    sql`, `,
  )}))`;

/** Some address of the server (of that IP version) matches the regex. */
const addressMatches = (version: 4 | 6, re: string) =>
  sql`EXISTS (SELECT 1 FROM jsonb_each(${servers.addresses}) n, jsonb_array_elements(n.value) a
    WHERE coalesce((a->>'version')::int, ${version}) = ${version} AND a->>'addr' ~ ${re})`;

function whereOf(f: ServerListFilter): SQL | undefined {
  const w: (SQL | undefined)[] = [];
  if (f.none) w.push(sql`false`);
  if (f.projectId !== undefined) w.push(eq(servers.projectId, f.projectId));
  if (f.userId !== undefined) w.push(eq(servers.userId, f.userId));
  if (f.deleted === 'exclude') w.push(isNull(servers.deletedAt));
  if (f.deleted === 'only') w.push(isNotNull(servers.deletedAt));
  if (f.nameRegex !== undefined) w.push(sql`${servers.name} ~ ${f.nameRegex}`);
  if (f.vmStates) w.push(inArray(servers.vmState, f.vmStates));
  if (f.taskStates) w.push(inArray(servers.taskState, f.taskStates));
  if (f.imageId !== undefined) w.push(eq(servers.imageId, f.imageId));
  if (f.flavorId !== undefined) w.push(sql`${servers.flavor}->>'id' = ${f.flavorId}`);
  if (f.host !== undefined) w.push(eq(servers.host, f.host));
  if (f.changesSince) w.push(gte(servers.updatedAt, f.changesSince));
  if (f.changesBefore) w.push(lte(servers.updatedAt, f.changesBefore));
  if (f.tagsAll?.length) w.push(sql`${tagCount(f.tagsAll)} = ${new Set(f.tagsAll).size}`);
  if (f.tagsAny?.length) w.push(sql`${tagCount(f.tagsAny)} > 0`);
  if (f.notTagsAll?.length) w.push(sql`${tagCount(f.notTagsAll)} < ${new Set(f.notTagsAll).size}`);
  if (f.notTagsAny?.length) w.push(sql`${tagCount(f.notTagsAny)} = 0`);
  if (f.locked !== undefined) w.push(eq(servers.locked, f.locked));
  if (f.reservationId !== undefined) w.push(eq(servers.reservationId, f.reservationId));
  if (f.availabilityZone !== undefined) w.push(eq(servers.availabilityZone, f.availabilityZone));
  if (f.keyName !== undefined) w.push(eq(servers.keyName, f.keyName));
  if (f.ipRegex !== undefined) w.push(addressMatches(4, f.ipRegex));
  if (f.ip6Regex !== undefined) w.push(addressMatches(6, f.ip6Regex));
  for (const r of f.regex ?? []) w.push(sql`${REGEX_COLUMNS[r.column]()} ~ ${r.re}`);
  if (f.uuid !== undefined) w.push(sql`${servers.id}::text = ${f.uuid.toLowerCase()}`);
  return and(...w);
}

/** Rows strictly after the marker in the (total) sort order: a lexicographic keyset condition. */
function afterMarker(cols: { c: SortColumn; dir: 'asc' | 'desc' }[], marker: ServerRow): SQL {
  const cmp = (c: SortColumn, dir: 'asc' | 'desc', op: '>' | '=') => {
    // the marker's own value, read in SQL (full timestamp precision); the inner
    // "servers" shadows the outer one, so the same expression applies to the marker row
    const v = sql`(SELECT ${c.expr} FROM ${servers} WHERE ${servers.id} = ${marker.id})`;
    if (op === '=') return sql`${c.expr} = ${v}`;
    return dir === 'asc' ? sql`${c.expr} > ${v}` : sql`${c.expr} < ${v}`;
  };
  const ors: SQL[] = [];
  for (let i = 0; i < cols.length; i++) {
    const eqs = cols.slice(0, i).map((x) => cmp(x.c, x.dir, '='));
    ors.push(and(...eqs, cmp(cols[i]!.c, cols[i]!.dir, '>'))!);
  }
  return or(...ors)!;
}

/** One page of servers matching the filter, in the requested order (id breaks ties). */
export async function listServers(db: Queryable, f: ServerListFilter): Promise<ServerRow[]> {
  const cols = f.sort.map((s) => ({ c: SORT_KEYS[s.key]!, dir: s.dir }));
  const lastDir = f.sort.at(-1)?.dir ?? 'desc';
  cols.push({ c: SORT_KEYS.uuid!, dir: lastDir });
  const where = and(whereOf(f), f.marker ? afterMarker(cols, f.marker) : undefined);
  return db
    .select()
    .from(servers)
    .where(where)
    .orderBy(...cols.map(({ c, dir }) => (dir === 'asc' ? sql`${c.expr} ASC` : sql`${c.expr} DESC`)))
    .limit(f.limit);
}

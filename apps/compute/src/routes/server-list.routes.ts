import { callerOf, forbidden, invalid } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { getServer } from '../db/servers.repo.js';
import {
  ADMIN_SORT_KEYS,
  listServers,
  REGEX_FILTERS,
  type ServerListFilter,
  SORT_KEYS,
} from '../db/servers-list.repo.js';
import { statusFilter } from '../domain/server-states.js';
import { canonicalUuid, isUuid } from '../domain/server-validation.js';
import { atLeast } from '../http/microversion.js';
import { nextLinks, paging, q } from '../http/nova-request.js';
import { serverSummary } from '../views/servers.view.js';
import { isComputeAdmin, renderServers } from './server-common.js';

/** All values of a repeatable query parameter. */
function qAll(req: FastifyRequest, name: string): string[] {
  const v = (req.query as Record<string, unknown> | undefined)?.[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** oslo's bool_from_string, where an empty value (`?all_tenants`) is true. */
function qFlag(req: FastifyRequest, name: string): boolean | undefined {
  const v = q(req, name);
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (['', '1', 't', 'true', 'on', 'y', 'yes'].includes(s)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(s)) return false;
  throw invalid(`Invalid value '${v}' for query parameter ${name}: expected a boolean.`);
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function qTime(req: FastifyRequest, name: string): Date | undefined {
  const v = q(req, name);
  if (v === undefined) return undefined;
  const d = ISO_RE.test(v.trim()) ? new Date(v.trim()) : undefined;
  if (!d || Number.isNaN(d.getTime()))
    throw invalid(`Invalid filter field: ${name}. '${v}' is not an ISO 8601 time.`);
  return d;
}

function qRegex(req: FastifyRequest, name: string): string | undefined {
  const v = q(req, name);
  if (v === undefined) return undefined;
  try {
    new RegExp(v);
  } catch {
    throw invalid(`Invalid filter field: ${name}. '${v}' is not a valid regular expression.`);
  }
  return v;
}

const csv = (v: string | undefined) => (v === undefined ? undefined : v.split(',').filter(Boolean));

/** The list filter of a request (Nova's search options; admin-only ones ignored for others). */
async function filterOf(
  ctx: ComputeContext,
  req: FastifyRequest,
  detail: boolean,
): Promise<ServerListFilter> {
  const tok = callerOf(req);
  const admin = isComputeAdmin(ctx, tok);
  const kind = detail ? 'detail' : 'index';
  ctx.policy.authorize(`os_compute_api:servers:${kind}`, tok, { project_id: tok.project?.id });
  const allTenants = qFlag(req, 'all_tenants') === true;
  if (allTenants && !ctx.policy.enforce(`os_compute_api:servers:${kind}:get_all_tenants`, tok))
    throw forbidden(`Policy doesn't allow os_compute_api:servers:${kind}:get_all_tenants to be performed.`);
  const allFilters = ctx.policy.enforce('os_compute_api:servers:allow_all_filters', tok);
  const { limit, marker } = paging(req);

  const f: ServerListFilter = { deleted: 'exclude', sort: [], limit };
  // Nova lists nothing for `limit=0` (paging() reads 0 as "the maximum", right for other collections)
  if (q(req, 'limit')?.trim() === '0') f.none = true;
  const requested = q(req, 'project_id') ?? q(req, 'tenant_id');
  // as in Nova, tenant_id/project_id only narrow an all_tenants listing; without it the caller's project is listed
  if (!allTenants) f.projectId = tok.project?.id ?? '';
  else if (allFilters && requested !== undefined) f.projectId = requested;

  f.nameRegex = qRegex(req, 'name');
  const status = q(req, 'status');
  if (status !== undefined) {
    const s = statusFilter(status);
    if (!s) f.none = true;
    else {
      f.vmStates = s.vm;
      f.taskStates = s.task;
      if (s.vm?.includes('deleted') || s.vm?.includes('soft_deleted')) f.deleted = 'include';
    }
  }
  f.imageId = q(req, 'image')?.split('/').pop();
  f.flavorId = q(req, 'flavor')?.split('/').pop();
  f.reservationId = q(req, 'reservation_id');
  f.ipRegex = qRegex(req, 'ip');
  f.ip6Regex = qRegex(req, 'ip6');
  f.changesSince = qTime(req, 'changes-since');
  if (atLeast(req, '2.66')) {
    f.changesBefore = qTime(req, 'changes-before');
    if (f.changesSince && f.changesBefore && f.changesBefore < f.changesSince)
      throw invalid('The value of changes-since must be less than or equal to changes-before.');
  }
  if (f.changesSince || f.changesBefore) f.deleted = 'include';
  if (atLeast(req, '2.26')) {
    f.tagsAll = csv(q(req, 'tags'));
    f.tagsAny = csv(q(req, 'tags-any'));
    f.notTagsAll = csv(q(req, 'not-tags'));
    f.notTagsAny = csv(q(req, 'not-tags-any'));
  }
  if (atLeast(req, '2.73')) {
    const locked = qFlag(req, 'locked');
    if (locked !== undefined) f.locked = locked;
  }
  // 2.83 opens these to everyone (admins always had them); 2.90 adds hostname
  const v283 = allFilters || atLeast(req, '2.83');
  if (v283) {
    f.availabilityZone = q(req, 'availability_zone');
    f.keyName = q(req, 'key_name');
    f.userId = q(req, 'user_id');
    if (status === undefined) {
      const vm = qAll(req, 'vm_state');
      const task = qAll(req, 'task_state');
      if (vm.length) f.vmStates = vm;
      if (task.length) f.taskStates = task;
    }
    f.regex = [];
    for (const column of REGEX_FILTERS) {
      if (column === 'hostname' && !allFilters && !atLeast(req, '2.90')) continue;
      const re = qRegex(req, column);
      if (re !== undefined) f.regex.push({ column, re });
    }
  }
  if (allFilters) {
    f.host = q(req, 'host') ?? q(req, 'node');
    const uuid = q(req, 'uuid');
    if (uuid !== undefined) {
      if (!isUuid(uuid)) f.none = true;
      else f.uuid = canonicalUuid(uuid);
    }
    const deleted = qFlag(req, 'deleted');
    if (deleted === true) f.deleted = 'only';
    else if (deleted === false && !f.changesSince && !f.changesBefore) f.deleted = 'exclude';
  }

  const keys = qAll(req, 'sort_key');
  const dirs = qAll(req, 'sort_dir');
  if (dirs.length > keys.length && keys.length > 0)
    throw invalid('The number of sort_dir values must not exceed the number of sort_key values.');
  for (const [i, key] of keys.entries()) {
    if (!SORT_KEYS[key]) throw invalid(`Invalid sort key: ${key}.`);
    if (ADMIN_SORT_KEYS.has(key) && !allFilters)
      throw invalid(`Only administrators may sort servers by ${key}.`);
    const dir = (dirs[i] ?? dirs[0] ?? 'desc').toLowerCase();
    if (dir !== 'asc' && dir !== 'desc')
      throw invalid(`Invalid sort direction: ${dirs[i]}. Use asc or desc.`);
    f.sort.push({ key, dir });
  }
  if (!keys.length) {
    const dir = (dirs[0] ?? 'desc').toLowerCase();
    if (dir !== 'asc' && dir !== 'desc')
      throw invalid(`Invalid sort direction: ${dirs[0]}. Use asc or desc.`);
    f.sort.push({ key: 'created_at', dir });
  }

  if (marker !== undefined) {
    const m = isUuid(marker)
      ? await getServer(ctx.db, canonicalUuid(marker), { includeDeleted: true })
      : undefined;
    if (!m || (!admin && m.projectId !== tok.project?.id)) throw invalid(`marker [${marker}] not found`);
    f.marker = m;
  }
  return f;
}

async function list(ctx: ComputeContext, req: FastifyRequest, detail: boolean) {
  const f = await filterOf(ctx, req, detail);
  let rows: Awaited<ReturnType<typeof listServers>>;
  try {
    rows = await listServers(ctx.db, f);
  } catch (err) {
    // a pattern JavaScript accepts but PostgreSQL's regex engine does not
    const code =
      (err as { code?: string; cause?: { code?: string } }).code ??
      (err as { cause?: { code?: string } }).cause?.code;
    if (code === '2201B') throw invalid('Invalid filter field: a regular expression is not valid.');
    throw err;
  }
  const servers = detail
    ? await renderServers(ctx, req, rows, 'list')
    : rows.map((r) => serverSummary(req, r));
  const links = nextLinks(req, rows.length, f.limit, rows.at(-1)?.id);
  return { servers, ...(links ? { servers_links: links } : {}) };
}

export function serverListRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get('/v2.1/servers', (req) => list(ctx, req, false));
  app.get('/v2.1/servers/detail', (req) => list(ctx, req, true));
}

import { callerOf, invalid } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { listMigrations, type MigrationFilter, type MigrationRow } from '../db/migrations.repo.js';
import { atLeast } from '../http/microversion.js';
import { nextLinks, novaTime, paging, q } from '../http/nova-request.js';

/** Nova's `changes-since` style parameter: an ISO 8601 time, else 400. */
export function qTime(req: FastifyRequest, name: string): Date | undefined {
  const v = q(req, name);
  if (v === undefined) return undefined;
  const d = new Date(v.includes('T') || v.includes(' ') ? v.replace(' ', 'T') : v);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(v))
    throw invalid(`Invalid input for query parameters ${name}. Value: ${v}. '${v}' is not a 'date-time'`);
  return d;
}

const flavorNumber = (id: string | null) => (id !== null && /^\d{1,9}$/.test(id) ? Number(id) : null);

/**
 * os-migrations (admin): every resize (and, once Kumo moves servers between
 * hosts, migration) with its status; filters and paging per microversion.
 */
export function migrationRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get('/v2.1/os-migrations', async (req) => {
    ctx.policy.authorize('os_compute_api:os-migrations:index', callerOf(req));
    const hosts = await ctx.scheduler.listHosts();
    const nameOf = new Map(hosts.map((h) => [h.id, h.hostname]));
    const f: MigrationFilter = {
      status: q(req, 'status'),
      serverId: q(req, 'instance_uuid'),
      migrationType: q(req, 'migration_type'),
    };
    const host = q(req, 'host') ?? q(req, 'source_compute');
    if (host !== undefined)
      f.hostIds = hosts.filter((h) => h.hostname === host || h.id === host).map((h) => h.id);
    if (atLeast(req, '2.59')) f.changesSince = qTime(req, 'changes-since');
    if (atLeast(req, '2.66')) f.changesBefore = qTime(req, 'changes-before');
    if (f.changesSince && f.changesBefore && f.changesSince > f.changesBefore)
      throw invalid('The value of changes-since must be less than or equal to changes-before.');
    if (atLeast(req, '2.80')) {
      f.userId = q(req, 'user_id');
      f.projectId = q(req, 'project_id');
    }
    let rows = await listMigrations(ctx.db, f);
    if (!atLeast(req, '2.59')) return { migrations: rows.map((m) => view(req, m, nameOf)) };
    const { limit, marker } = paging(req);
    if (marker !== undefined) {
      const i = rows.findIndex((m) => m.uuid === marker.toLowerCase());
      if (i < 0) throw invalid(`Marker ${marker} could not be found.`);
      rows = rows.slice(i + 1);
    }
    const page = rows.slice(0, limit);
    const links = nextLinks(req, page.length, limit, page.at(-1)?.uuid);
    return {
      migrations: page.map((m) => view(req, m, nameOf)),
      ...(links ? { migrations_links: links } : {}),
    };
  });
}

function view(req: FastifyRequest, m: MigrationRow, nameOf: Map<string, string>) {
  const host = (id: string | null) => (id === null ? null : (nameOf.get(id) ?? id));
  return {
    id: m.id,
    status: m.status,
    instance_uuid: m.serverId,
    source_compute: host(m.sourceCompute),
    source_node: host(m.sourceCompute),
    dest_compute: host(m.destCompute),
    dest_node: host(m.destCompute),
    dest_host: null,
    old_instance_type_id: flavorNumber(m.oldFlavorId),
    new_instance_type_id: flavorNumber(m.newFlavorId),
    created_at: novaTime(m.createdAt),
    updated_at: novaTime(m.updatedAt),
    ...(atLeast(req, '2.23') ? { migration_type: m.migrationType } : {}),
    ...(atLeast(req, '2.59') ? { uuid: m.uuid } : {}),
    ...(atLeast(req, '2.80') ? { user_id: m.userId, project_id: m.projectId } : {}),
  };
}

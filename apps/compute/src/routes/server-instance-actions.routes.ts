import { callerOf, invalid, KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import {
  type ActionPage,
  getActionWithEvents,
  type InstanceActionEventRow,
  type InstanceActionRow,
  listActions,
} from '../db/instance-actions.repo.js';
import { atLeast } from '../http/microversion.js';
import { nextLinks, novaTime, q, qInt } from '../http/nova-request.js';
import { hostIdOf } from '../views/servers.view.js';
import { loadServer } from './server-common.js';

type IdReq = FastifyRequest<{ Params: { id: string } }>;
type ActionReq = FastifyRequest<{ Params: { id: string; requestId: string } }>;

function actionView(req: FastifyRequest, a: InstanceActionRow) {
  return {
    action: a.action,
    instance_uuid: a.serverId,
    message: a.message,
    project_id: a.projectId,
    request_id: a.requestId,
    start_time: novaTime(a.startTime),
    user_id: a.userId,
    ...(atLeast(req, '2.58') ? { updated_at: novaTime(a.updatedAt) } : {}),
  };
}

function eventView(req: FastifyRequest, e: InstanceActionEventRow, projectId: string, details: boolean) {
  return {
    event: e.event,
    start_time: novaTime(e.startTime),
    finish_time: novaTime(e.finishTime),
    result: e.result,
    ...(details ? { traceback: e.traceback } : {}),
    ...(atLeast(req, '2.62')
      ? { hostId: hostIdOf(projectId, e.host), ...(details ? { host: e.host ?? '' } : {}) }
      : {}),
    // 2.84: a failed event's user-facing fault message (Kumo's saga records only that, never a stack)
    ...(atLeast(req, '2.84') ? { details: e.result === 'Error' ? (e.traceback ?? null) : null } : {}),
  };
}

function timeParam(req: FastifyRequest, name: string): Date | undefined {
  const v = q(req, name);
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime()))
    throw invalid(`Invalid input for query parameters ${name}. Value: ${v}. '${v}' is not a 'date-time'`);
  return d;
}

export function serverInstanceActionRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get('/v2.1/servers/:id/os-instance-actions', async (req: IdReq) => {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-instance-actions:list', {
      includeDeleted: true,
    });
    const page: ActionPage = {};
    if (atLeast(req, '2.58')) {
      page.limit = qInt(req, 'limit');
      page.marker = q(req, 'marker');
      page.changesSince = timeParam(req, 'changes-since');
      if (atLeast(req, '2.66')) page.changesBefore = timeParam(req, 'changes-before');
      if (page.changesSince && page.changesBefore && page.changesBefore < page.changesSince)
        throw invalid('The value of changes-since must be less than or equal to changes-before.');
    }
    const rows = await listActions(ctx.db, row.id, page);
    if (rows === 'bad-marker') throw invalid(`Marker ${page.marker} could not be found.`);
    const links = page.limit ? nextLinks(req, rows.length, page.limit, rows.at(-1)?.requestId) : undefined;
    return { instanceActions: rows.map((a) => actionView(req, a)), ...(links ? { links } : {}) };
  });

  app.get('/v2.1/servers/:id/os-instance-actions/:requestId', async (req: ActionReq) => {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-instance-actions:show', {
      includeDeleted: true,
    });
    const found = await getActionWithEvents(ctx.db, row.id, req.params.requestId);
    if (!found)
      throw new KumoError(
        'not_found',
        `Action for request_id ${req.params.requestId} on instance ${row.id} not found`,
      );
    const tok = callerOf(req);
    const target = { project_id: row.projectId };
    const details = ctx.policy.enforce('os_compute_api:os-instance-actions:events:details', tok, target);
    const events =
      details ||
      (atLeast(req, '2.51') && ctx.policy.enforce('os_compute_api:os-instance-actions:events', tok, target));
    return {
      instanceAction: {
        ...actionView(req, found.action),
        ...(events ? { events: found.events.map((e) => eventView(req, e, row.projectId, details)) } : {}),
      },
    };
  });
}

import { eq, type SQL, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { NetworkContext } from '../context.js';
import { attrTypes, type ListSpec, sortableAttrs } from '../db/list.repo.js';
import { addInterface, parseInterfaceRequest, removeInterface } from '../db/router-interfaces.repo.js';
import {
  createRouter,
  deleteRouter,
  getRouterRecord,
  listRouters,
  routerNotFound,
  toRouterRecords,
  updateRouter,
} from '../db/routers.repo.js';
import { routers } from '../db/schema-l3.js';
import { pageLinks, parseListQuery, pickFields, type RawQuery } from '../domain/list-query.js';
import { parseRouter, type RouterInput } from '../domain/router-input.js';
import { routerView } from '../domain/router-view.js';
import { parseIfMatch, validTags } from '../domain/standard-attrs.js';
import { authorize, type Caller, fieldsOf } from './common.js';
import { type L3Caller, l3Caller, ownerOf } from './security-groups.routes.js';

const t = routers;
const always = (want: boolean) => (vs: (string | number | boolean)[]) =>
  vs.includes(want) ? undefined : sql`false`;
const ROUTER_SPEC: ListSpec = {
  table: t,
  id: t.id,
  tags: t.tags,
  notFoundType: 'RouterNotFound',
  attrs: {
    id: { type: 'string', column: t.id },
    name: { type: 'string', column: t.name },
    description: { type: 'string', column: t.description },
    tenant_id: { type: 'string', column: t.projectId },
    project_id: { type: 'string', column: t.projectId },
    admin_state_up: { type: 'bool', column: t.adminStateUp },
    revision_number: { type: 'int', column: t.revisionNumber },
    status: { type: 'string', filter: (vs) => (vs.includes('ACTIVE') ? undefined : sql`false`) },
    distributed: { type: 'bool', filter: always(false) },
    ha: { type: 'bool', filter: always(false) },
    'external_gateway_info.network_id': { type: 'string', column: t.gwNetworkId, sort: false },
  },
};

const scopeSql = (c: L3Caller): SQL | undefined =>
  c.isAdmin ? undefined : eq(t.projectId, c.projectId ?? '');

type IdParams = { Params: { id: string } };

/**
 * Neutron's attribute policies of the gateway: choosing its addresses and turning SNAT off are
 * admin-only by default (`<op>_router:external_gateway_info:{external_fixed_ips,enable_snat}`).
 */
function authorizeGateway(ctx: NetworkContext, c: Caller, op: 'create' | 'update', input: RouterInput): void {
  const gw = input.gateway;
  if (!gw) return;
  if (gw.externalFixedIps !== undefined)
    authorize(ctx, c, `${op}_router:external_gateway_info:external_fixed_ips`);
  if (gw.enableSnat === false) authorize(ctx, c, `${op}_router:external_gateway_info:enable_snat`);
}

export function routersRoutes(app: FastifyInstance, ctx: NetworkContext): void {
  const base = `${ctx.baseUrl}/v2.0/routers`;
  const syncPorts = (ids: string[]) => {
    for (const id of ids) ctx.sync.request('port', id);
  };

  app.post('/v2.0/routers', async (req, reply) => {
    const c = l3Caller(ctx, req);
    const input = parseRouter(req.body, 'create');
    authorizeGateway(ctx, c, 'create', input);
    const projectId = ownerOf(c, input.projectId, 'router');
    const tags = input.tags === undefined ? [] : validTags(input.tags);
    const made = await createRouter(ctx.db, projectId, input, c.isAdmin, tags);
    ctx.sync.request('router', made.router.id);
    syncPorts(made.portIds);
    return reply.code(201).send({ router: routerView(made.router) });
  });

  app.get('/v2.0/routers', async (req) => {
    const c = l3Caller(ctx, req);
    const raw = req.query as RawQuery;
    const q = parseListQuery(raw, attrTypes(ROUTER_SPEC), sortableAttrs(ROUTER_SPEC));
    const page = await listRouters(ctx.db, ROUTER_SPEC, q, scopeSql(c));
    const records = await toRouterRecords(ctx.db, page.rows);
    const body: Record<string, unknown> = {
      routers: records.map((r) => pickFields(routerView(r), q.fields)),
    };
    const links = pageLinks(
      base,
      raw,
      q,
      page.rows.map((r) => r.id),
      page.hasMore,
    );
    if (links.length) body.routers_links = links;
    return body;
  });

  app.get<IdParams>('/v2.0/routers/:id', async (req) => {
    const c = l3Caller(ctx, req);
    const r = await getRouterRecord(ctx.db, req.params.id, c);
    if (!r) throw routerNotFound(req.params.id);
    return { router: pickFields(routerView(r), fieldsOf(req)) };
  });

  app.put<IdParams>('/v2.0/routers/:id', async (req) => {
    const c = l3Caller(ctx, req);
    const input = parseRouter(req.body, 'update');
    authorizeGateway(ctx, c, 'update', input);
    const ifMatch = parseIfMatch(req.headers['if-match']);
    const changed = await updateRouter(ctx.db, req.params.id, c, input, ifMatch);
    ctx.sync.request('router', changed.router.id);
    syncPorts(changed.portIds);
    return { router: routerView(changed.router) };
  });

  app.delete<IdParams>('/v2.0/routers/:id', async (req, reply) => {
    const c = l3Caller(ctx, req);
    const ifMatch = parseIfMatch(req.headers['if-match']);
    const portIds = await deleteRouter(ctx.db, req.params.id, c, ifMatch);
    ctx.sync.request('router', req.params.id);
    syncPorts(portIds);
    return reply.code(204).send();
  });

  for (const action of ['add_router_interface', 'remove_router_interface'] as const) {
    app.put<IdParams>(`/v2.0/routers/:id/${action}`, async (req) => {
      const c = l3Caller(ctx, req);
      const mode = action === 'add_router_interface' ? 'add' : 'remove';
      const body = parseInterfaceRequest(req.body, mode);
      const change =
        mode === 'add'
          ? await addInterface(ctx.db, req.params.id, c, body)
          : await removeInterface(ctx.db, req.params.id, c, body);
      ctx.sync.request('router', change.router.id);
      ctx.sync.request('port', change.portId);
      return change.info;
    });
  }
}

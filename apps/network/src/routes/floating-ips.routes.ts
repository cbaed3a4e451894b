import { eq, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { NetworkContext } from '../context.js';
import {
  createFloatingIp,
  deleteFloatingIp,
  findFloatingIp,
  floatingIpNotFound,
  listFloatingIps,
  portDetailsOf,
  updateFloatingIp,
} from '../db/floating-ips.repo.js';
import { attrTypes, type ListSpec, sortableAttrs } from '../db/list.repo.js';
import { floatingIps } from '../db/schema-l3.js';
import { floatingIpView, parseFloatingIp } from '../domain/floating-ip-view.js';
import { pageLinks, parseListQuery, pickFields, type RawQuery } from '../domain/list-query.js';
import { parseIfMatch, validTags } from '../domain/standard-attrs.js';
import { authorize, fieldsOf } from './common.js';
import { type L3Caller, l3Caller, ownerOf } from './security-groups.routes.js';

const t = floatingIps;
const FIP_SPEC: ListSpec = {
  table: t,
  id: t.id,
  tags: t.tags,
  notFoundType: 'FloatingIPNotFound',
  attrs: {
    id: { type: 'string', column: t.id },
    description: { type: 'string', column: t.description },
    tenant_id: { type: 'string', column: t.projectId },
    project_id: { type: 'string', column: t.projectId },
    floating_ip_address: { type: 'string', column: t.floatingIpAddress },
    floating_network_id: { type: 'string', column: t.floatingNetworkId },
    router_id: { type: 'string', column: t.routerId },
    port_id: { type: 'string', column: t.portId },
    fixed_ip_address: { type: 'string', column: t.fixedIpAddress },
    revision_number: { type: 'int', column: t.revisionNumber },
    status: {
      type: 'string',
      filter: (vs) => {
        const active = vs.includes('ACTIVE');
        const down = vs.includes('DOWN');
        if (active && down) return undefined;
        if (active) return isNotNull(t.portId);
        if (down) return isNull(t.portId);
        return sql`false`;
      },
    },
  },
};

const scopeSql = (c: L3Caller): SQL | undefined =>
  c.isAdmin ? undefined : eq(t.projectId, c.projectId ?? '');

type IdParams = { Params: { id: string } };

export function floatingIpsRoutes(app: FastifyInstance, ctx: NetworkContext): void {
  const base = `${ctx.baseUrl}/v2.0/floatingips`;
  const withDetails = async (fip: Parameters<typeof floatingIpView>[0]) => {
    const details = await portDetailsOf(ctx.db, [fip]);
    return floatingIpView(fip, fip.portId ? (details.get(fip.portId) ?? null) : null);
  };

  app.post('/v2.0/floatingips', async (req, reply) => {
    const c = l3Caller(ctx, req);
    const input = parseFloatingIp(req.body, 'create');
    if (input.floatingIpAddress !== undefined) authorize(ctx, c, 'create_floatingip:floating_ip_address');
    const projectId = ownerOf(c, input.projectId, 'floatingip');
    const tags = input.tags === undefined ? undefined : validTags(input.tags);
    const made = await createFloatingIp(ctx.db, projectId, { ...input, tags }, c);
    ctx.sync.request('floating_ip', made.fip.id);
    ctx.sync.request('port', made.floatingPortId);
    return reply.code(201).send({ floatingip: await withDetails(made.fip) });
  });

  app.get('/v2.0/floatingips', async (req) => {
    const c = l3Caller(ctx, req);
    const raw = req.query as RawQuery;
    const q = parseListQuery(raw, attrTypes(FIP_SPEC), sortableAttrs(FIP_SPEC));
    const page = await listFloatingIps(ctx.db, FIP_SPEC, q, scopeSql(c));
    const details = await portDetailsOf(ctx.db, page.rows);
    const body: Record<string, unknown> = {
      floatingips: page.rows.map((f) =>
        pickFields(floatingIpView(f, f.portId ? (details.get(f.portId) ?? null) : null), q.fields),
      ),
    };
    const links = pageLinks(
      base,
      raw,
      q,
      page.rows.map((r) => r.id),
      page.hasMore,
    );
    if (links.length) body.floatingips_links = links;
    return body;
  });

  app.get<IdParams>('/v2.0/floatingips/:id', async (req) => {
    const c = l3Caller(ctx, req);
    const fip = await findFloatingIp(ctx.db, req.params.id, c);
    if (!fip) throw floatingIpNotFound(req.params.id);
    return { floatingip: pickFields(await withDetails(fip), fieldsOf(req)) };
  });

  app.put<IdParams>('/v2.0/floatingips/:id', async (req) => {
    const c = l3Caller(ctx, req);
    const input = parseFloatingIp(req.body, 'update');
    const ifMatch = parseIfMatch(req.headers['if-match']);
    const changed = await updateFloatingIp(ctx.db, req.params.id, c, input, ifMatch);
    ctx.sync.request('floating_ip', changed.fip.id);
    return { floatingip: await withDetails(changed.fip) };
  });

  app.delete<IdParams>('/v2.0/floatingips/:id', async (req, reply) => {
    const c = l3Caller(ctx, req);
    const ifMatch = parseIfMatch(req.headers['if-match']);
    const gone = await deleteFloatingIp(ctx.db, req.params.id, c, ifMatch);
    ctx.sync.request('floating_ip', gone.fip.id);
    ctx.sync.request('port', gone.floatingPortId);
    return reply.code(204).send();
  });
}

import { callerOf, invalid } from '@kumo/service-kit';
import { and, eq, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { type EndpointRow, getEndpoint } from '../db/endpoints.repo.js';
import { ensureRegion, extraOf, getRegion, storable } from '../db/regions.repo.js';
import { endpoints } from '../db/schema.js';
import { getService } from '../db/services.repo.js';
import { newId } from '../domain/ids.js';
import { parseBody } from '../http/body.js';
import { found, storeOrConflict } from '../http/guards.js';
import { listLinks, q, qBool, selfLink } from '../http/views.js';

const INTERFACES = ['public', 'internal', 'admin'] as const;
const text = (max: number) => z.string().max(max).refine(storable, 'must not contain NUL characters');
// Keystone's url type: at most 225 characters with a scheme.
const urlField = text(225).regex(/^[a-zA-Z0-9+.-]+:.+/, 'must be a URL');
const endpointFields = {
  region_id: text(255).nullable().optional(),
  region: text(255).nullable().optional(),
  enabled: z.boolean().optional(),
  // kept in `extra`, as Keystone does, but typed
  name: text(255).optional(),
  description: text(65535).nullable().optional(),
};
const createSchema = z.object({
  endpoint: z.looseObject({
    interface: z.enum(INTERFACES),
    service_id: text(255),
    url: urlField,
    ...endpointFields,
  }),
});
const updateSchema = z.object({
  endpoint: z
    .looseObject({
      interface: z.enum(INTERFACES).optional(),
      service_id: text(255).optional(),
      url: urlField.optional(),
      ...endpointFields,
    })
    .refine((e) => Object.keys(e).length > 0, 'the endpoint must name at least one attribute'),
});
type EndpointBody = z.infer<typeof updateSchema>['endpoint'];

const KNOWN = new Set(['id', 'interface', 'service_id', 'url', 'region_id', 'region', 'enabled', 'links']);

/** Keystone's substitutions an endpoint URL may carry, as `%(name)s` or `$(name)s`. */
const URL_SUBSTITUTIONS = new Set(['tenant_id', 'project_id', 'user_id', 'compute_host', 'public_endpoint']);

/**
 * Keystone formats endpoint URLs with Python's `%` operator and a mapping, and
 * refuses a URL that formatting would reject: unknown `%(name)s`, a bare `%`
 * that is not a valid conversion (so percent-encoded URLs are refused too).
 */
export function endpointUrlFormatOk(url: string): boolean {
  const s = url.replaceAll('$(', '%(');
  let positional = 0;
  for (let i = s.indexOf('%'); i !== -1; i = s.indexOf('%', i)) {
    const m = /^%(?:\(([^)]*)\))?([#0 +-]*)(\d*)(?:\.(\d*))?[hlL]?(.)?/s.exec(s.slice(i));
    if (!m || m[5] === undefined) return false;
    const [all, key, , , , conv] = m;
    if (key === undefined && conv === '%' && all === '%%') {
      i += 2;
      continue;
    }
    if (key !== undefined) {
      if (!URL_SUBSTITUTIONS.has(key) || !['s', 'r', 'a', '%'].includes(conv!)) return false;
    } else {
      // the mapping itself is the one positional argument: one %s/%r/%a at most
      positional++;
      if (positional > 1 || !['s', 'r', 'a'].includes(conv!)) return false;
    }
    i += all.length;
  }
  return true;
}

export function endpointView(req: FastifyRequest, e: EndpointRow) {
  return {
    ...e.extra,
    id: e.id,
    interface: e.interface,
    region_id: e.regionId,
    region: e.regionId,
    service_id: e.serviceId,
    url: e.url,
    enabled: e.enabled,
    links: selfLink(req, `/v3/endpoints/${e.id}`),
  };
}

const tableRef = (what: string) =>
  invalid(
    `Expecting to find endpoint ${what} in ${what === 'region_id' ? 'region' : 'service'} table. ` +
      'The server could not comply with the request since it is either malformed or otherwise incorrect.',
    'ValidationError',
  );

export function endpointRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  /** Check the references of a create/update body; returns the region id to store (undefined: keep). */
  const resolveRefs = async (b: EndpointBody): Promise<string | null | undefined> => {
    if (b.url !== undefined && !endpointUrlFormatOk(b.url))
      throw invalid(`Invalid endpoint url: ${b.url}. Check the substitutions it uses.`, 'ValidationError');
    if (b.service_id !== undefined && !(await getService(db, b.service_id))) throw tableRef('service_id');
    if ((b.region_id === undefined || b.region_id === null) && b.region !== undefined && b.region !== null) {
      // the legacy `region`: Keystone creates the region when it is missing
      await ensureRegion(db, b.region);
      return b.region;
    }
    if (b.region_id !== undefined && b.region_id !== null && !(await getRegion(db, b.region_id)))
      throw tableRef('region_id');
    return b.region_id;
  };

  app.get('/v3/endpoints', async (req) => {
    policy.authorize('identity:list_endpoints', callerOf(req));
    const where: SQL[] = [];
    const iface = q(req, 'interface');
    if (iface !== undefined) {
      if (!(INTERFACES as readonly string[]).includes(iface))
        throw invalid(`Invalid input for field 'interface': must be one of ${INTERFACES.join(', ')}.`);
      where.push(eq(endpoints.interface, iface as (typeof INTERFACES)[number]));
    }
    for (const [param, col] of [
      ['service_id', endpoints.serviceId],
      ['region_id', endpoints.regionId],
    ] as const) {
      const v = q(req, param);
      if (v === undefined) continue;
      if (!storable(v)) return { endpoints: [], links: listLinks(req) };
      where.push(eq(col, v));
    }
    const enabled = qBool(req, 'enabled');
    if (enabled !== undefined) where.push(eq(endpoints.enabled, enabled));
    const rows = await db
      .select()
      .from(endpoints)
      .where(and(...where))
      .orderBy(endpoints.serviceId, endpoints.interface, endpoints.id);
    return { endpoints: rows.map((e) => endpointView(req, e)), links: listLinks(req) };
  });

  app.get<{ Params: { id: string } }>('/v3/endpoints/:id', async (req) => {
    policy.authorize('identity:get_endpoint', callerOf(req));
    const e = found(await getEndpoint(db, req.params.id), 'endpoint', req.params.id);
    return { endpoint: endpointView(req, e) };
  });

  app.post('/v3/endpoints', async (req, reply) => {
    policy.authorize('identity:create_endpoint', callerOf(req));
    const { endpoint: b } = parseBody(createSchema, req.body);
    const regionId = await resolveRefs(b);
    const [row] = await storeOrConflict('endpoint', () =>
      db
        .insert(endpoints)
        .values({
          id: newId(),
          serviceId: b.service_id,
          interface: b.interface,
          url: b.url,
          regionId: regionId ?? null,
          enabled: b.enabled ?? true,
          extra: extraOf(b, KNOWN),
        })
        .returning(),
    );
    ctx.catalog.invalidate();
    return reply.code(201).send({ endpoint: endpointView(req, row!) });
  });

  app.patch<{ Params: { id: string } }>('/v3/endpoints/:id', async (req) => {
    policy.authorize('identity:update_endpoint', callerOf(req));
    const { endpoint: b } = parseBody(updateSchema, req.body);
    const cur = found(await getEndpoint(db, req.params.id), 'endpoint', req.params.id);
    if (b.id !== undefined && b.id !== cur.id) throw invalid('The endpoint id cannot be changed.');
    const regionId = await resolveRefs(b);
    const [row] = await storeOrConflict('endpoint', () =>
      db
        .update(endpoints)
        .set({
          serviceId: b.service_id ?? cur.serviceId,
          interface: b.interface ?? cur.interface,
          url: b.url ?? cur.url,
          regionId: regionId === undefined ? cur.regionId : regionId,
          enabled: b.enabled ?? cur.enabled,
          extra: { ...cur.extra, ...extraOf(b, KNOWN) },
        })
        .where(eq(endpoints.id, cur.id))
        .returning(),
    );
    ctx.catalog.invalidate();
    return { endpoint: endpointView(req, row!) };
  });

  app.delete<{ Params: { id: string } }>('/v3/endpoints/:id', async (req, reply) => {
    policy.authorize('identity:delete_endpoint', callerOf(req));
    const cur = found(await getEndpoint(db, req.params.id), 'endpoint', req.params.id);
    await db.delete(endpoints).where(eq(endpoints.id, cur.id));
    ctx.catalog.invalidate();
    return reply.code(204).send();
  });
}

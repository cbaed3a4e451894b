import type { FastifyInstance } from 'fastify';
import { hostParam, hostPatchBody, joinTokenBody, parse, traitsBody } from './bodies.js';
import { authorize, type RouteContext } from './context.js';
import { hostView } from './views.js';

type HostReq = { Params: { hostId: string } };

/** Hosts (resource providers), their traits, availability zones and agent join tokens. */
export function hostsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const p = ctx.placement;

  app.get<{ Querystring: { availability_zone?: string; status?: string } }>('/kumo/v1/hosts', async (req) => {
    authorize(ctx, req, 'hosts:list');
    const { availability_zone: az, status } = req.query;
    const hosts = (await p.listHosts())
      .map((h) => hostView(h, p.isUp(h)))
      .filter((h) => (az === undefined || h.availability_zone === az) && (!status || h.status === status))
      .sort((a, b) => a.id.localeCompare(b.id));
    return { hosts };
  });

  app.get<HostReq>('/kumo/v1/hosts/:hostId', async (req) => {
    authorize(ctx, req, 'hosts:get');
    const h = await p.getHost(parse(hostParam, req.params.hostId, 'host_id'));
    return { host: hostView(h, p.isUp(h)) };
  });

  app.patch<HostReq>('/kumo/v1/hosts/:hostId', async (req) => {
    authorize(ctx, req, 'hosts:update');
    const id = parse(hostParam, req.params.hostId, 'host_id');
    const b = parse(hostPatchBody, req.body);
    const h = await p.updateHost(id, {
      enabled: b.enabled,
      disabledReason: b.disabled_reason,
      availabilityZone: b.availability_zone,
      reserved: b.reserved,
      allocationRatios: b.allocation_ratios,
    });
    return { host: hostView(h, p.isUp(h)) };
  });

  app.put<HostReq>('/kumo/v1/hosts/:hostId/traits', async (req) => {
    authorize(ctx, req, 'hosts:traits');
    const id = parse(hostParam, req.params.hostId, 'host_id');
    const h = await p.setTraits(id, parse(traitsBody, req.body).traits);
    return { host: hostView(h, p.isUp(h)) };
  });

  app.get('/kumo/v1/availability-zones', async (req) => {
    authorize(ctx, req, 'availability_zones:list');
    return { availability_zones: await p.availabilityZones() };
  });

  app.post('/kumo/v1/join-tokens', async (req, reply) => {
    authorize(ctx, req, 'join_tokens:create');
    const b = parse(joinTokenBody, req.body ?? {});
    const t = await ctx.controlPlane.createJoinToken({
      hostId: b.host_id,
      ttlMs: b.ttl_seconds === undefined ? undefined : b.ttl_seconds * 1000,
    });
    return reply.code(201).send({
      token: t.token,
      host_id: b.host_id ?? null,
      expires_at: new Date(t.expiresAt).toISOString(),
    });
  });
}

import type { FastifyInstance } from 'fastify';
import { claimBody, consumerParam, parse, scheduleBody } from './bodies.js';
import { authorize, type RouteContext } from './context.js';
import { allocationsView, scheduleView } from './views.js';

type ConsumerReq = { Params: { consumerId: string } };

/** Scheduling and allocations: POST /kumo/v1/schedule, /kumo/v1/allocations/{consumer_id}. */
export function allocationsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/kumo/v1/schedule', async (req) => {
    authorize(ctx, req, 'schedule');
    const b = parse(scheduleBody, req.body);
    const res = await ctx.placement.schedule({
      consumerId: b.consumer_id.toLowerCase(),
      projectId: b.project_id,
      userId: b.user_id,
      resources: b.resources,
      availabilityZone: b.availability_zone,
      imageId: b.image_id,
      imageProperties: b.image_properties,
      requiredTraits: b.required_traits,
      forbiddenTraits: b.forbidden_traits,
      group: b.group && {
        id: b.group.id.toLowerCase(),
        policy: b.group.policy,
        maxServerPerHost: b.group.max_server_per_host,
      },
      forceHost: b.force_host,
      ignoreHosts: b.ignore_hosts,
    });
    return scheduleView(res);
  });

  app.get<ConsumerReq>('/kumo/v1/allocations/:consumerId', async (req) => {
    authorize(ctx, req, 'allocations:get');
    const id = parse(consumerParam, req.params.consumerId, 'consumer_id').toLowerCase();
    return allocationsView(id, await ctx.placement.getAllocations(id));
  });

  app.put<ConsumerReq>('/kumo/v1/allocations/:consumerId', async (req) => {
    authorize(ctx, req, 'allocations:claim');
    const id = parse(consumerParam, req.params.consumerId, 'consumer_id').toLowerCase();
    const b = parse(claimBody, req.body);
    const res = await ctx.placement.claimOnHost(id, {
      host: b.host,
      resources: b.resources,
      projectId: b.project_id,
      userId: b.user_id,
    });
    return scheduleView(res);
  });

  app.delete<ConsumerReq>('/kumo/v1/allocations/:consumerId', async (req, reply) => {
    authorize(ctx, req, 'allocations:delete');
    const id = parse(consumerParam, req.params.consumerId, 'consumer_id').toLowerCase();
    await ctx.placement.release(id);
    return reply.code(204).send();
  });
}

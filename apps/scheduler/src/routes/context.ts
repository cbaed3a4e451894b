import type { ControlPlane } from '@kumo/agent';
import { callerOf, type Policy } from '@kumo/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Placement } from '../placement.js';

export interface RouteContext {
  placement: Placement;
  controlPlane: ControlPlane;
  policy: Policy;
}

export const authorize = (ctx: RouteContext, req: FastifyRequest, action: string) =>
  ctx.policy.authorize(`scheduler:${action}`, callerOf(req));

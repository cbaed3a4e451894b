import type { FastifyInstance } from 'fastify';
import type { IdentityContext } from '../context.js';

export function applicationCredentialRoutes(_app: FastifyInstance, _ctx: IdentityContext): void {
  // TODO: implemented by its owner
}

import type { FastifyRequest } from 'fastify';
import type { ServerGroupRow } from '../db/server-groups.repo.js';
import { atLeast } from '../http/microversion.js';

/** A server group: `policies` + `metadata` below 2.64, `policy` + `rules` from it; owner ids from 2.13. */
export function serverGroupView(req: FastifyRequest, g: ServerGroupRow, members: string[]) {
  return {
    id: g.id,
    name: g.name,
    ...(atLeast(req, '2.64') ? { policy: g.policy, rules: g.rules } : { policies: [g.policy], metadata: {} }),
    members,
    ...(atLeast(req, '2.13') ? { project_id: g.projectId, user_id: g.userId } : {}),
  };
}

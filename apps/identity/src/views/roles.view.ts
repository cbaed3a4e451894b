import type { FastifyRequest } from 'fastify';
import type { RoleRow } from '../db/roles.repo.js';
import { selfLink } from '../http/views.js';

export function roleView(req: FastifyRequest, r: RoleRow) {
  return {
    ...r.extra,
    id: r.id,
    name: r.name,
    domain_id: r.domainId,
    description: r.description,
    options: r.options,
    links: selfLink(req, `/v3/roles/${r.id}`),
  };
}

/** A role as it appears inside a role_inference: id, name and links only. */
export function inferenceRoleView(req: FastifyRequest, r: Pick<RoleRow, 'id' | 'name'>) {
  return { id: r.id, name: r.name, links: selfLink(req, `/v3/roles/${r.id}`) };
}

import type { AggregateView, HostView } from '@kumo/scheduler';
import type { FastifyRequest } from 'fastify';
import { atLeast } from '../http/microversion.js';
import { novaTime } from '../http/nova-request.js';

/** Nova's aggregate: integer `id`, `uuid` from 2.41, hosts by their service host name. */
export function aggregateView(
  req: FastifyRequest,
  a: AggregateView,
  hosts: HostView[],
  opts: { created?: boolean } = {},
): Record<string, unknown> {
  const names = new Map(hosts.map((h) => [h.id, h.hostname]));
  return {
    id: a.seq,
    ...(atLeast(req, '2.41') ? { uuid: a.id } : {}),
    name: a.name,
    availability_zone: a.availability_zone,
    created_at: novaTime(new Date(a.created_at)),
    updated_at: novaTime(a.updated_at ? new Date(a.updated_at) : null),
    deleted: false,
    deleted_at: null,
    ...(opts.created ? {} : { hosts: a.hosts.map((id) => names.get(id) ?? id), metadata: a.metadata }),
  };
}

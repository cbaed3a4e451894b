import type { FastifyRequest } from 'fastify';
import type { DomainRow, ProjectRow, UserRow } from '../db/lookups.js';
import { keystoneTime, selfLink } from '../http/views.js';

export function domainView(req: FastifyRequest, d: DomainRow) {
  return {
    ...d.extra,
    id: d.id,
    name: d.name,
    description: d.description,
    enabled: d.enabled,
    tags: d.tags,
    options: {},
    links: selfLink(req, `/v3/domains/${d.id}`),
  };
}

export function projectView(req: FastifyRequest, p: ProjectRow) {
  return {
    ...p.extra,
    id: p.id,
    name: p.name,
    domain_id: p.domainId,
    // a top-level project's parent is its domain, as in Keystone
    parent_id: p.parentId ?? p.domainId,
    description: p.description,
    enabled: p.enabled,
    is_domain: false,
    tags: p.tags,
    options: p.options,
    links: selfLink(req, `/v3/projects/${p.id}`),
  };
}

export function userView(req: FastifyRequest, u: UserRow) {
  const v: Record<string, unknown> = {
    ...u.extra,
    id: u.id,
    name: u.name,
    domain_id: u.domainId,
    enabled: u.enabled,
    password_expires_at: u.passwordExpiresAt ? keystoneTime(u.passwordExpiresAt) : null,
    options: u.options,
    links: selfLink(req, `/v3/users/${u.id}`),
  };
  if (u.defaultProjectId) v.default_project_id = u.defaultProjectId;
  if (u.description !== null) v.description = u.description;
  return v;
}

/** A domain seen through the projects API, as Keystone shows it (a project with is_domain). */
export function domainAsProjectView(req: FastifyRequest, d: DomainRow) {
  return {
    ...d.extra,
    id: d.id,
    name: d.name,
    domain_id: null,
    parent_id: null,
    description: d.description,
    enabled: d.enabled,
    is_domain: true,
    tags: d.tags,
    options: {},
    links: selfLink(req, `/v3/projects/${d.id}`),
  };
}

import { callerOf, type TokenData } from '@kumo/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { NetworkContext } from '../context.js';
import { badRequest, policyDenied } from '../domain/errors.js';
import { type ListQuery, pageLinks, pickFields, type RawQuery } from '../domain/list-query.js';
import { parseIfMatch } from '../domain/standard-attrs.js';

/** Who is calling, as the network service needs it. */
export interface Caller {
  token: TokenData;
  /** The token's project (undefined for domain/system scoped tokens). */
  projectId: string | undefined;
  isAdmin: boolean;
  /** Admin or the `service` role: may set binding:* attributes. */
  isService: boolean;
}

export function callerFrom(ctx: NetworkContext, req: FastifyRequest): Caller {
  const token = callerOf(req);
  return {
    token,
    projectId: token.project?.id,
    isAdmin: ctx.policy.enforce('context_is_admin', token),
    isService: ctx.policy.enforce('context_is_service', token),
  };
}

/** Throw Neutron's 403 unless the policy rule allows it. */
export function authorize(ctx: NetworkContext, c: Caller, rule: string): void {
  if (!ctx.policy.enforce(rule, c.token)) throw policyDenied(rule);
}

/**
 * The project a new resource belongs to: the caller's, or for admins the `project_id` /
 * `tenant_id` of the body (they must agree).
 */
export function owningProject(
  c: Caller,
  attrs: { tenant_id?: string; project_id?: string },
  rule: string,
): string {
  const { tenant_id: t, project_id: p } = attrs;
  if (t !== undefined && p !== undefined && t !== p)
    throw badRequest("'project_id' and 'tenant_id' do not match");
  const wanted = p ?? t;
  if (wanted !== undefined && wanted !== c.projectId) {
    if (!c.isAdmin) throw policyDenied(rule);
    return wanted;
  }
  if (c.projectId === undefined)
    throw badRequest('A project-scoped token (or project_id) is needed to create resources.');
  return c.projectId;
}

export const ifMatchOf = (req: FastifyRequest) => parseIfMatch(req.headers['if-match']);

export const rawQueryOf = (req: FastifyRequest): RawQuery => (req.query ?? {}) as RawQuery;

/** `fields=` of a show request. */
export function fieldsOf(req: FastifyRequest): string[] | undefined {
  const raw = rawQueryOf(req).fields;
  const all = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).flatMap((f) => f.split(','));
  const fields = all.filter((f) => f !== '');
  return fields.length ? [...new Set(fields)] : undefined;
}

/**
 * A list response: `{"<collection>": [...], "<collection>_links": [...]}` (links only when
 * paging). `path` is the URL segment when it differs (security-groups → security_groups).
 */
export function listBody<T extends Record<string, unknown>>(
  ctx: NetworkContext,
  collection: string,
  req: FastifyRequest,
  q: ListQuery,
  items: (T & { id: string })[],
  hasMore: boolean,
  path = collection,
): Record<string, unknown> {
  const body: Record<string, unknown> = { [collection]: items.map((i) => pickFields(i, q.fields)) };
  const links = pageLinks(
    `${ctx.baseUrl}/v2.0/${path}`,
    rawQueryOf(req),
    q,
    items.map((i) => i.id),
    hasMore,
  );
  if (links.length) body[`${collection}_links`] = links;
  return body;
}

export const created = (reply: FastifyReply, body: unknown) => reply.code(201).send(body);
export const noContent = (reply: FastifyReply) => reply.code(204).send();

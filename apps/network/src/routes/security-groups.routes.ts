import { eq, type SQL, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NetworkContext } from '../context.js';
import type { ListSpec } from '../db/list.repo.js';
import { attrTypes, sortableAttrs } from '../db/list.repo.js';
import { securityGroups } from '../db/schema-security.js';
import {
  createSecurityGroup,
  deleteSecurityGroup,
  ensureDefaultSecurityGroup,
  findSecurityGroup,
  listSecurityGroups,
  securityGroupNotFound,
  updateSecurityGroup,
  withRules,
} from '../db/security-groups.repo.js';
import { policyDenied } from '../domain/errors.js';
import { pageLinks, parseListQuery, pickFields, type RawQuery } from '../domain/list-query.js';
import { parseSecurityGroup, securityGroupView } from '../domain/security-group-view.js';
import { parseIfMatch, validTags } from '../domain/standard-attrs.js';
import { type Caller, callerFrom, fieldsOf } from './common.js';

/** Who calls, as the security group / L3 routes need it (a subset of common.ts' Caller). */
export type L3Caller = Pick<Caller, 'projectId' | 'isAdmin'>;

export const l3Caller = (ctx: NetworkContext, req: FastifyRequest): Caller => callerFrom(ctx, req);

/** The project a new resource belongs to: the caller's, or (admin only) the one in the body. */
export function ownerOf(c: L3Caller, requested: string | undefined, resource: string): string {
  if (requested !== undefined && requested !== c.projectId) {
    if (!c.isAdmin) throw policyDenied(`create_${resource}:tenant_id`);
    return requested;
  }
  if (!c.projectId) throw policyDenied(`create_${resource}`);
  return c.projectId;
}

const SG_SPEC: ListSpec = {
  table: securityGroups,
  id: securityGroups.id,
  tags: securityGroups.tags,
  notFoundType: 'SecurityGroupNotFound',
  attrs: {
    id: { type: 'string', column: securityGroups.id },
    name: { type: 'string', column: securityGroups.name },
    description: { type: 'string', column: securityGroups.description },
    tenant_id: { type: 'string', column: securityGroups.projectId },
    project_id: { type: 'string', column: securityGroups.projectId },
    stateful: { type: 'bool', column: securityGroups.stateful },
    revision_number: { type: 'int', column: securityGroups.revisionNumber },
    // groups are never shared (no RBAC): shared=false matches all, shared=true none
    shared: { type: 'bool', filter: (vs) => (vs.includes(false) ? undefined : sql`false`) },
  },
};

const scopeSql = (c: L3Caller): SQL | undefined =>
  c.isAdmin ? undefined : eq(securityGroups.projectId, c.projectId ?? '');

type IdParams = { Params: { id: string } };

export function securityGroupsRoutes(app: FastifyInstance, ctx: NetworkContext): void {
  const base = `${ctx.baseUrl}/v2.0/security-groups`;

  app.post('/v2.0/security-groups', async (req, reply) => {
    const c = l3Caller(ctx, req);
    const input = parseSecurityGroup(req.body, 'create');
    const projectId = ownerOf(c, input.projectId, 'security_group');
    const tags = input.tags === undefined ? undefined : validTags(input.tags);
    // Neutron makes the project's default group with its first group: OVN must get that one too
    const def = await ensureDefaultSecurityGroup(ctx.db, projectId);
    if (def.created) ctx.sync.request('security_group', def.id);
    const made = await createSecurityGroup(ctx.db, projectId, { ...input, tags });
    ctx.sync.request('security_group', made.sg.id);
    return reply.code(201).send({ security_group: securityGroupView(made.sg, made.rules) });
  });

  app.get('/v2.0/security-groups', async (req) => {
    const c = l3Caller(ctx, req);
    const raw = req.query as RawQuery;
    const q = parseListQuery(raw, attrTypes(SG_SPEC), sortableAttrs(SG_SPEC));
    // Neutron creates the default group of the listed project on its first list
    const filtered = q.filters.find((f) => f.attr === 'project_id' || f.attr === 'tenant_id')?.values[0];
    const project =
      typeof filtered === 'string' && (c.isAdmin || filtered === c.projectId) ? filtered : c.projectId;
    if (project) {
      const { id, created } = await ensureDefaultSecurityGroup(ctx.db, project);
      if (created) ctx.sync.request('security_group', id);
    }
    const page = await listSecurityGroups(ctx.db, SG_SPEC, q, scopeSql(c));
    const items = await withRules(ctx.db, page.rows);
    const body: Record<string, unknown> = {
      security_groups: items.map((x) => pickFields(securityGroupView(x.sg, x.rules), q.fields)),
    };
    const links = pageLinks(
      base,
      raw,
      q,
      page.rows.map((r) => r.id),
      page.hasMore,
    );
    if (links.length) body.security_groups_links = links;
    return body;
  });

  app.get<IdParams>('/v2.0/security-groups/:id', async (req) => {
    const c = l3Caller(ctx, req);
    const sg = await findSecurityGroup(ctx.db, req.params.id, c);
    if (!sg) throw securityGroupNotFound(req.params.id);
    const [x] = await withRules(ctx.db, [sg]);
    const fields = fieldsOf(req);
    return { security_group: pickFields(securityGroupView(x!.sg, x!.rules), fields) };
  });

  app.put<IdParams>('/v2.0/security-groups/:id', async (req) => {
    const c = l3Caller(ctx, req);
    const input = parseSecurityGroup(req.body, 'update');
    const ifMatch = parseIfMatch(req.headers['if-match']);
    const x = await updateSecurityGroup(ctx.db, req.params.id, c, input, ifMatch);
    ctx.sync.request('security_group', x.sg.id);
    return { security_group: securityGroupView(x.sg, x.rules) };
  });

  app.delete<IdParams>('/v2.0/security-groups/:id', async (req, reply) => {
    const c = l3Caller(ctx, req);
    const ifMatch = parseIfMatch(req.headers['if-match']);
    const others = await deleteSecurityGroup(ctx.db, req.params.id, c, ifMatch);
    ctx.sync.request('security_group', req.params.id);
    for (const id of others) ctx.sync.request('security_group', id);
    return reply.code(204).send();
  });
}

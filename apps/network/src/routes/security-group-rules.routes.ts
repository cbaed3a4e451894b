import { eq, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { NetworkContext } from '../context.js';
import { attrTypes, type ListSpec, sortableAttrs } from '../db/list.repo.js';
import { securityGroupRules } from '../db/schema-security.js';
import {
  createRule,
  deleteRule,
  findRule,
  listRules,
  ruleNotFound,
} from '../db/security-group-rules.repo.js';
import { pageLinks, parseListQuery, pickFields, type RawQuery } from '../domain/list-query.js';
import { parseRuleCreate } from '../domain/security-group-rule-input.js';
import { ruleView } from '../domain/security-group-view.js';
import { fieldsOf } from './common.js';
import { type L3Caller, l3Caller } from './security-groups.routes.js';

const t = securityGroupRules;
const RULE_SPEC: ListSpec = {
  table: t,
  id: t.id,
  notFoundType: 'SecurityGroupRuleNotFound',
  attrs: {
    id: { type: 'string', column: t.id },
    security_group_id: { type: 'string', column: t.securityGroupId },
    direction: { type: 'string', column: t.direction },
    ethertype: { type: 'string', column: t.ethertype },
    protocol: { type: 'string', column: t.protocol },
    port_range_min: { type: 'int', column: t.portRangeMin },
    port_range_max: { type: 'int', column: t.portRangeMax },
    remote_ip_prefix: { type: 'string', column: t.remoteIpPrefix },
    normalized_cidr: { type: 'string', column: t.normalizedCidr },
    remote_group_id: { type: 'string', column: t.remoteGroupId },
    description: { type: 'string', column: t.description },
    tenant_id: { type: 'string', column: t.projectId },
    project_id: { type: 'string', column: t.projectId },
    revision_number: { type: 'int', column: t.revisionNumber },
  },
};

const scopeSql = (c: L3Caller): SQL | undefined =>
  c.isAdmin ? undefined : eq(t.projectId, c.projectId ?? '');

type IdParams = { Params: { id: string } };

export function securityGroupRulesRoutes(app: FastifyInstance, ctx: NetworkContext): void {
  const base = `${ctx.baseUrl}/v2.0/security-group-rules`;

  app.post('/v2.0/security-group-rules', async (req, reply) => {
    const c = l3Caller(ctx, req);
    const spec = parseRuleCreate(req.body);
    const rule = await createRule(ctx.db, spec, c);
    ctx.sync.request('security_group', rule.securityGroupId);
    return reply.code(201).send({ security_group_rule: ruleView(rule) });
  });

  app.get('/v2.0/security-group-rules', async (req) => {
    const c = l3Caller(ctx, req);
    const raw = req.query as RawQuery;
    const q = parseListQuery(raw, attrTypes(RULE_SPEC), sortableAttrs(RULE_SPEC));
    const page = await listRules(ctx.db, RULE_SPEC, q, scopeSql(c));
    const body: Record<string, unknown> = {
      security_group_rules: page.rows.map((r) => pickFields(ruleView(r), q.fields)),
    };
    const links = pageLinks(
      base,
      raw,
      q,
      page.rows.map((r) => r.id),
      page.hasMore,
    );
    if (links.length) body.security_group_rules_links = links;
    return body;
  });

  app.get<IdParams>('/v2.0/security-group-rules/:id', async (req) => {
    const c = l3Caller(ctx, req);
    const rule = await findRule(ctx.db, req.params.id, c);
    if (!rule) throw ruleNotFound(req.params.id);
    return { security_group_rule: pickFields(ruleView(rule), fieldsOf(req)) };
  });

  app.delete<IdParams>('/v2.0/security-group-rules/:id', async (req, reply) => {
    const c = l3Caller(ctx, req);
    const sgId = await deleteRule(ctx.db, req.params.id, c);
    ctx.sync.request('security_group', sgId);
    return reply.code(204).send();
  });
}

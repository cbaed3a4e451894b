import type { securityGroupRules, securityGroups } from '../db/schema-security.js';
import { badRequest } from './errors.js';
import { isoTime, standardView } from './standard-attrs.js';

export type SecurityGroupRow = typeof securityGroups.$inferSelect;
export type SecurityGroupRuleRow = typeof securityGroupRules.$inferSelect;

export const DEFAULT_SG_NAME = 'default';
export const DEFAULT_SG_DESCRIPTION = 'Default security group';

/** Neutron's security_group_rule view. Rules carry no name and no tags. */
export function ruleView(r: SecurityGroupRuleRow) {
  return {
    id: r.id,
    security_group_id: r.securityGroupId,
    direction: r.direction,
    ethertype: r.ethertype,
    protocol: r.protocol,
    port_range_min: r.portRangeMin,
    port_range_max: r.portRangeMax,
    remote_ip_prefix: r.remoteIpPrefix,
    normalized_cidr: r.normalizedCidr,
    remote_group_id: r.remoteGroupId,
    remote_address_group_id: null,
    description: r.description,
    tenant_id: r.projectId,
    project_id: r.projectId,
    created_at: isoTime(r.createdAt),
    updated_at: isoTime(r.updatedAt),
    revision_number: r.revisionNumber,
  };
}

/** Neutron's security_group view, with its rules embedded. */
export function securityGroupView(sg: SecurityGroupRow, rules: SecurityGroupRuleRow[]) {
  return {
    id: sg.id,
    name: sg.name,
    ...standardView(sg),
    stateful: sg.stateful,
    shared: false,
    security_group_rules: rules.map(ruleView),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export interface SecurityGroupInput {
  name?: string;
  description?: string;
  stateful?: boolean;
  projectId?: string;
  tags?: unknown;
}

function str(attr: string, v: unknown, max = 255): string {
  if (typeof v !== 'string') {
    throw badRequest(`Invalid input for ${attr}. Reason: '${String(v).slice(0, 60)}' is not a valid string.`);
  }
  if (v.length > max) {
    throw badRequest(
      `Invalid input for ${attr}. Reason: '${v.slice(0, 20)}...' exceeds maximum length of ${max}.`,
    );
  }
  return v;
}

function bool(attr: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  throw badRequest(
    `Invalid input for ${attr}. Reason: '${String(v).slice(0, 60)}' is not a valid boolean value.`,
  );
}

const CREATE = new Set(['name', 'description', 'stateful', 'tenant_id', 'project_id', 'tags', 'id']);
const UPDATE = new Set(['name', 'description', 'stateful']);

/** The body of POST (create) or PUT (update) /v2.0/security-groups[/id]. */
export function parseSecurityGroup(body: unknown, mode: 'create' | 'update'): SecurityGroupInput {
  const g = isObject(body) ? body.security_group : undefined;
  if (!isObject(g)) throw badRequest('Resource body required: security_group must be an object.');
  const allowed = mode === 'create' ? CREATE : UPDATE;
  const bad = Object.keys(g).filter((k) => !allowed.has(k));
  if (bad.length) {
    const what =
      mode === 'update' && bad.every((k) => CREATE.has(k))
        ? 'Cannot update read-only attribute'
        : 'Unrecognized attribute(s)';
    throw badRequest(`${what} '${bad.join(', ')}'`);
  }
  const out: SecurityGroupInput = {};
  if (g.name !== undefined && g.name !== null) out.name = str('name', g.name);
  if (g.description !== undefined && g.description !== null)
    out.description = str('description', g.description);
  if (g.stateful !== undefined) out.stateful = bool('stateful', g.stateful);
  const owner = g.project_id ?? g.tenant_id;
  if (owner !== undefined) out.projectId = str('project_id', owner);
  if (g.tags !== undefined) out.tags = g.tags;
  return out;
}

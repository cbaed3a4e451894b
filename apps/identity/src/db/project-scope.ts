import type { RoleRef } from '@kumo/service-kit';
import type pg from 'pg';

export interface ProjectScopeRow {
  id: string;
  name: string;
  enabled: boolean;
  domainId: string;
  domainName: string;
  domainEnabled: boolean;
  roles: RoleRef[];
}

/**
 * The hot path of token issue in one round trip: find the project (by id, or by
 * name in a domain given by id or name), its domain, its ancestors, and the
 * user's effective roles on it — direct, through groups, inherited from the
 * domain or a parent project, and implied roles, transitively.
 */
const FIND = {
  id: 'p.id = $2',
  nameInDomainId: 'p.name = $2 AND p.domain_id = $3',
  nameInDomainName: 'p.name = $2 AND d.name = $3',
} as const;

const scopeSql = (find: string) => `
    WITH RECURSIVE p AS (
      SELECT p.id, p.name, p.enabled, p.parent_id, p.domain_id, d.name AS domain_name, d.enabled AS domain_enabled
      FROM identity.projects p JOIN identity.domains d ON d.id = p.domain_id
      WHERE ${find} LIMIT 1
    ), up(id, parent_id, depth) AS (
      SELECT pp.id, pp.parent_id, 1 FROM identity.projects pp JOIN p ON pp.id = p.parent_id
      UNION ALL
      SELECT pp.id, pp.parent_id, up.depth + 1 FROM identity.projects pp JOIN up ON pp.id = up.parent_id WHERE up.depth < 64
    ), actors AS (
      SELECT 'user'::text AS type, $1::text AS id
      UNION ALL SELECT 'group', group_id FROM identity.user_groups WHERE user_id = $1
    ), direct AS (
      SELECT a.role_id FROM identity.assignments a JOIN actors ac ON a.actor_type = ac.type AND a.actor_id = ac.id, p
      WHERE (a.target_type = 'project' AND a.target_id = p.id AND NOT a.inherited)
         OR (a.target_type = 'project' AND a.inherited AND a.target_id IN (SELECT id FROM up))
         OR (a.target_type = 'domain' AND a.inherited AND a.target_id = p.domain_id)
    ), all_roles(role_id) AS (
      SELECT role_id FROM direct
      UNION
      SELECT ir.implied_role_id FROM identity.implied_roles ir JOIN all_roles ar ON ir.prior_role_id = ar.role_id
    )
    SELECT p.id, p.name, p.enabled, p.domain_id, p.domain_name, p.domain_enabled,
      (SELECT json_agg(json_build_object('id', r.id, 'name', r.name) ORDER BY r.name)
         FROM identity.roles r JOIN all_roles ar ON r.id = ar.role_id WHERE r.domain_id IS NULL) AS roles
    FROM p`;

interface Row {
  id: string;
  name: string;
  enabled: boolean;
  domain_id: string;
  domain_name: string;
  domain_enabled: boolean;
  roles: RoleRef[] | null;
}

/**
 * The hot path of token issue in one round trip: find the project (by id, or by
 * name in a domain given by id or name), its domain, its ancestors, and the
 * user's effective roles on it — direct, through groups, inherited from the
 * domain or a parent project, and implied roles, transitively. A named
 * (prepared) statement: planning this query costs more than running it.
 */
export async function projectScope(
  pool: Pick<pg.Pool, 'query'>,
  userId: string,
  ref: { id?: string; name?: string; domain?: { id?: string; name?: string } },
): Promise<ProjectScopeRow | undefined> {
  let kind: keyof typeof FIND;
  let values: string[];
  if (ref.id) [kind, values] = ['id', [userId, ref.id]];
  else if (ref.domain?.id) [kind, values] = ['nameInDomainId', [userId, ref.name ?? '', ref.domain.id]];
  else [kind, values] = ['nameInDomainName', [userId, ref.name ?? '', ref.domain?.name ?? '']];
  const res = await pool.query<Row>({
    name: `identity-project-scope-${kind}`,
    text: scopeSql(FIND[kind]),
    values,
  });
  const row = res.rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled,
    domainId: row.domain_id,
    domainName: row.domain_name,
    domainEnabled: row.domain_enabled,
    roles: row.roles ?? [],
  };
}

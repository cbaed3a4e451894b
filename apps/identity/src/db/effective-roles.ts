import type { RoleRef } from '@kumo/service-kit';
import { sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import { textArray } from './sql-helpers.js';

export type RoleTarget =
  | { type: 'project'; id: string; domainId: string; ancestors: string[] }
  | { type: 'domain'; id: string }
  | { type: 'system' };

/**
 * The roles a user holds on a target, as Keystone computes them: direct and
 * group assignments, inherited assignments from the domain and parent projects,
 * then every implied role, transitively. One round trip. Domain-specific roles
 * only confer their implied global roles and never appear in tokens, as in Keystone.
 */
export async function effectiveRoles(db: Db, userId: string, target: RoleTarget): Promise<RoleRef[]> {
  const where =
    target.type === 'project'
      ? sql`(a.target_type = 'project' AND a.target_id = ${target.id} AND NOT a.inherited)
         OR (a.target_type = 'project' AND a.inherited AND a.target_id = ANY(${textArray(target.ancestors)}))
         OR (a.target_type = 'domain' AND a.inherited AND a.target_id = ${target.domainId})`
      : target.type === 'domain'
        ? sql`a.target_type = 'domain' AND a.target_id = ${target.id} AND NOT a.inherited`
        : sql`a.target_type = 'system' AND a.target_id = 'all'`;
  const res = await db.execute<{ id: string; name: string }>(sql`
    WITH RECURSIVE direct AS (
      SELECT a.role_id FROM identity.assignments a
      WHERE ((a.actor_type = 'user' AND a.actor_id = ${userId})
          OR (a.actor_type = 'group' AND a.actor_id IN (SELECT group_id FROM identity.user_groups WHERE user_id = ${userId})))
        AND (${where})
    ), all_roles(role_id) AS (
      SELECT role_id FROM direct
      UNION
      SELECT ir.implied_role_id FROM identity.implied_roles ir JOIN all_roles ar ON ir.prior_role_id = ar.role_id
    )
    SELECT r.id, r.name FROM identity.roles r JOIN all_roles ar ON r.id = ar.role_id
    WHERE r.domain_id IS NULL ORDER BY r.name`);
  return res.rows.map((r) => ({ id: r.id, name: r.name }));
}

/** A project's ancestors (parent first, up to the top project). */
export async function projectAncestors(db: Db, projectId: string): Promise<string[]> {
  const res = await db.execute<{ id: string }>(sql`
    WITH RECURSIVE up(id, parent_id, depth) AS (
      SELECT id, parent_id, 0 FROM identity.projects WHERE id = ${projectId}
      UNION ALL
      SELECT p.id, p.parent_id, up.depth + 1 FROM identity.projects p JOIN up ON p.id = up.parent_id WHERE up.depth < 64
    )
    SELECT id FROM up WHERE id <> ${projectId} ORDER BY depth`);
  return res.rows.map((r) => r.id);
}

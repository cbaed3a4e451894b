import { sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import type { ProjectRow } from './lookups.js';

/** Projects on which a user holds any role: directly, through a group, or inherited
 * from a domain or a parent project. Only enabled projects. */
export async function userProjects(db: Db, userId: string): Promise<ProjectRow[]> {
  const res = await db.execute<{ id: string }>(sql`
    WITH RECURSIVE actor_assignments AS (
      SELECT a.* FROM identity.assignments a
      WHERE (a.actor_type = 'user' AND a.actor_id = ${userId})
         OR (a.actor_type = 'group' AND a.actor_id IN (SELECT group_id FROM identity.user_groups WHERE user_id = ${userId}))
    ), inherited_roots AS (
      SELECT p.id FROM identity.projects p JOIN actor_assignments a
        ON a.inherited AND a.target_type = 'project' AND a.target_id = p.id
    ), below(id) AS (
      SELECT p.id FROM identity.projects p JOIN inherited_roots r ON p.parent_id = r.id
      UNION
      SELECT p.id FROM identity.projects p JOIN below b ON p.parent_id = b.id
    )
    SELECT target_id AS id FROM actor_assignments WHERE target_type = 'project' AND NOT inherited
    UNION SELECT p.id FROM identity.projects p JOIN actor_assignments a
      ON a.inherited AND a.target_type = 'domain' AND a.target_id = p.domain_id
    UNION SELECT id FROM below`);
  const ids = res.rows.map((r) => r.id);
  if (ids.length === 0) return [];
  const rows = await db.query.projects.findMany({
    where: (p, { inArray, and, eq }) => and(inArray(p.id, ids), eq(p.enabled, true)),
    orderBy: (p, { asc }) => [asc(p.name)],
  });
  return rows;
}

/** Domains on which a user holds a role (directly or through a group). */
export async function userDomainIds(db: Db, userId: string): Promise<string[]> {
  const res = await db.execute<{ id: string }>(sql`
    SELECT DISTINCT a.target_id AS id FROM identity.assignments a
    WHERE a.target_type = 'domain' AND NOT a.inherited
      AND ((a.actor_type = 'user' AND a.actor_id = ${userId})
        OR (a.actor_type = 'group' AND a.actor_id IN (SELECT group_id FROM identity.user_groups WHERE user_id = ${userId})))`);
  return res.rows.map((r) => r.id);
}

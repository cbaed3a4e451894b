import { callerOf, forbidden, invalid, notFound } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IdentityContext } from '../context.js';
import { projectSubtrees } from '../db/assignments.repo.js';
import { getProject } from '../db/lookups.js';
import {
  type AssignmentQuery,
  assignmentNames,
  directAssignments,
  effectiveAssignments,
} from '../db/role-assignments.repo.js';
import { formatAssignment } from '../domain/role-assignments.js';
import { baseUrl, listLinks, q, qBool } from '../http/views.js';

/** A query value, refusing what no id can hold. */
function param(req: FastifyRequest, name: string): string | undefined {
  const v = q(req, name);
  if (v === undefined || v === '') return undefined;
  if (v.includes('\u0000') || v.length > 255) throw invalid(`Invalid value for query parameter ${name}.`);
  return v;
}

export function roleAssignmentRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  app.get('/v3/role_assignments', async (req) => {
    const caller = callerOf(req);
    const userId = param(req, 'user.id');
    // anyone may list their own assignments; listing others' needs the admin rule
    if (!policy.enforce('identity:list_role_assignments', caller)) {
      if (
        userId === undefined ||
        !policy.enforce('identity:list_own_role_assignments', caller, { user: { id: userId } })
      )
        throw forbidden(
          'You are not authorized to perform the requested action: identity:list_role_assignments.',
        );
    }

    const groupId = param(req, 'group.id');
    const roleId = param(req, 'role.id');
    const projectId = param(req, 'scope.project.id');
    const domainId = param(req, 'scope.domain.id');
    const systemRaw = q(req, 'scope.system');
    const inheritedRaw = q(req, 'scope.OS-INHERIT:inherited_to');
    const inherited = inheritedRaw === undefined ? undefined : inheritedRaw === 'projects';
    const effective = qBool(req, 'effective') === true;
    const includeNames = qBool(req, 'include_names') === true;
    const includeSubtree = qBool(req, 'include_subtree') === true;

    if (domainId && projectId) throw invalid('Specify a domain or project, not both');
    if (domainId && systemRaw) throw invalid('Specify system or domain, not both');
    if (projectId && systemRaw) throw invalid('Specify system or project, not both');
    if (userId && groupId) throw invalid('Specify a user or group, not both');
    if (effective && groupId)
      throw invalid('Combining effective and group filter will always result in an empty list.');
    if (effective && inherited && domainId)
      throw invalid('Combining effective, domain and inherited filters will always result in an empty list.');
    if (includeSubtree && !projectId)
      throw invalid('scope.project.id must be specified if include_subtree is also specified');

    const query: AssignmentQuery = {
      roleId,
      userId,
      groupId,
      domainId,
      system: systemRaw === 'all',
      inherited,
    };
    if (projectId) {
      const p = await getProject(db, projectId);
      // a filter on an unknown project matches nothing, unless we must walk from it
      if (!p && (effective || includeSubtree)) throw notFound('project', projectId);
      query.project = p ? { id: p.id, domainId: p.domainId } : { id: projectId, domainId: '' };
      if (p && includeSubtree) query.subtreeIds = (await projectSubtrees(db, [p.id])).get(p.id) ?? [];
    }

    const refs = effective ? await effectiveAssignments(db, query) : await directAssignments(db, query);
    const names = includeNames ? await assignmentNames(db, refs) : undefined;
    const v3 = `${baseUrl(req)}/v3`;
    return { role_assignments: refs.map((r) => formatAssignment(r, v3, names)), links: listLinks(req) };
  });
}

import { callerOf, forbidden, invalid, notFound } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IdentityContext } from '../context.js';
import {
  type ActorType,
  createGrant,
  deleteGrant,
  type Grant,
  grantExists,
  grantedRoleIds,
  groupMemberIds,
  type TargetType,
} from '../db/assignments.repo.js';
import { getDomain, getProject, getUser } from '../db/lookups.js';
import { getGroup, getRole, rolesByIds, usableId } from '../db/roles.repo.js';
import { listLinks } from '../http/views.js';
import { roleView } from '../views/roles.view.js';

type Params = { id?: string; actor: string; role?: string };
type Req = FastifyRequest<{ Params: Params }>;

/** One family of grant URLs: an actor kind on a target kind, direct or inherited. */
interface GrantKind {
  actor: ActorType;
  target: TargetType;
  inherited: boolean;
  /** URL of the role collection, with :id (target) and :actor. */
  rolesUrl: string;
  /** URL of one grant, with :role. */
  grantUrl: string;
}

const ACTOR_SEGMENT: Record<ActorType, string> = { user: 'users', group: 'groups' };

function grantKinds(): GrantKind[] {
  const kinds: GrantKind[] = [];
  for (const actor of ['user', 'group'] as const) {
    const a = ACTOR_SEGMENT[actor];
    for (const target of ['project', 'domain'] as const) {
      const base = `/v3/${target}s/:id/${a}/:actor/roles`;
      kinds.push({ actor, target, inherited: false, rolesUrl: base, grantUrl: `${base}/:role` });
      const inh = `/v3/OS-INHERIT/${target}s/:id/${a}/:actor/roles`;
      kinds.push({
        actor,
        target,
        inherited: true,
        rolesUrl: `${inh}/inherited_to_projects`,
        grantUrl: `${inh}/:role/inherited_to_projects`,
      });
    }
    const sys = `/v3/system/${a}/:actor/roles`;
    kinds.push({ actor, target: 'system', inherited: false, rolesUrl: sys, grantUrl: `${sys}/:role` });
  }
  return kinds;
}

const maybe = <T>(id: string | undefined, load: (id: string) => Promise<T | undefined>) =>
  usableId(id) ? load(id) : Promise.resolve(undefined);

export function grantRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  /** Look everything up, authorize against what was found, then 404 for what was not. */
  const resolve = async (
    req: Req,
    kind: GrantKind,
    action: string,
    opts: { needRole: boolean; needActor: boolean },
  ) => {
    const p = req.params;
    const [role, user, group, project, domain] = await Promise.all([
      opts.needRole ? maybe(p.role, (id) => getRole(db, id)) : undefined,
      kind.actor === 'user' ? maybe(p.actor, (id) => getUser(db, id)) : undefined,
      kind.actor === 'group' ? maybe(p.actor, (id) => getGroup(db, id)) : undefined,
      kind.target === 'project' ? maybe(p.id, (id) => getProject(db, id)) : undefined,
      kind.target === 'domain' ? maybe(p.id, (id) => getDomain(db, id)) : undefined,
    ]);
    const target: Record<string, unknown> = {};
    if (role) target.role = { id: role.id, domain_id: role.domainId, name: role.name };
    if (kind.actor === 'user') target.user = user ? { id: user.id, domain_id: user.domainId } : {};
    if (kind.actor === 'group') target.group = group ? { id: group.id, domain_id: group.domainId } : {};
    if (kind.target === 'project')
      target.project = project ? { id: project.id, domain_id: project.domainId } : {};
    if (kind.target === 'domain') target.domain = domain ? { id: domain.id } : {};
    if (kind.target === 'system') target.system = { all: true };
    policy.authorize(action, callerOf(req), target);

    if (opts.needRole && !role) throw notFound('role', p.role);
    if (opts.needActor && kind.actor === 'user' && !user) throw notFound('user', p.actor);
    if (opts.needActor && kind.actor === 'group' && !group) throw notFound('group', p.actor);
    if (kind.target === 'project' && !project) throw notFound('project', p.id);
    if (kind.target === 'domain' && !domain) throw notFound('domain', p.id);
    const targetId = kind.target === 'system' ? 'all' : (project?.id ?? domain?.id)!;
    return { role, project, targetId };
  };

  const grantOf = (kind: GrantKind, actorId: string, targetId: string, roleId: string): Grant => ({
    actorType: kind.actor,
    actorId,
    targetType: kind.target,
    targetId,
    roleId,
    inherited: kind.inherited,
  });

  /** The bearer tokens that may carry the revoked role go. */
  const revokeTokens = async (kind: GrantKind, actorId: string, targetId: string) => {
    const userIds = kind.actor === 'user' ? [actorId] : await groupMemberIds(db, actorId);
    const onProject = kind.target === 'project' && !kind.inherited;
    for (const userId of userIds) await ctx.revoke(onProject ? { userId, projectId: targetId } : { userId });
  };

  const notGranted = (kind: GrantKind, p: Params, targetId: string) =>
    notFound(
      `Could not find role assignment with role: ${p.role}, ${kind.actor}: ${p.actor}, ${kind.target}: ${targetId}${
        kind.inherited ? ' (inherited to projects)' : ''
      }.`,
    );

  for (const kind of grantKinds()) {
    app.get<{ Params: Params }>(kind.rolesUrl, async (req) => {
      const action =
        kind.target === 'system' && kind.actor === 'user'
          ? 'identity:list_system_grants_for_user'
          : 'identity:list_grants';
      const { targetId } = await resolve(req, kind, action, { needRole: false, needActor: true });
      const ids = await grantedRoleIds(db, {
        actorType: kind.actor,
        actorId: req.params.actor,
        targetType: kind.target,
        targetId,
        inherited: kind.inherited,
      });
      const rows = await rolesByIds(db, ids);
      return { roles: rows.map((r) => roleView(req, r)), links: listLinks(req) };
    });

    // check: GET and HEAD (Fastify derives HEAD from GET) both answer 204
    app.get<{ Params: Params }>(kind.grantUrl, async (req, reply) => {
      const { role, targetId } = await resolve(req, kind, 'identity:check_grant', {
        needRole: true,
        needActor: true,
      });
      if (!(await grantExists(db, grantOf(kind, req.params.actor, targetId, role!.id))))
        throw notGranted(kind, req.params, targetId);
      return reply.code(204).send();
    });

    app.put<{ Params: Params }>(kind.grantUrl, async (req, reply) => {
      const { role, project, targetId } = await resolve(req, kind, 'identity:create_grant', {
        needRole: true,
        needActor: true,
      });
      if (role!.domainId !== null) {
        if (kind.target === 'system')
          throw invalid(
            `Role ${role!.id} is a domain-specific role. Unable to use a domain-specific role in a system assignment.`,
          );
        if (project && project.domainId !== role!.domainId)
          throw forbidden(
            `Project ${project.id} must be in the same domain as the role ${role!.id} being assigned.`,
          );
      }
      await createGrant(db, grantOf(kind, req.params.actor, targetId, role!.id));
      return reply.code(204).send();
    });

    app.delete<{ Params: Params }>(kind.grantUrl, async (req, reply) => {
      // a grant may outlive its user or group: revoking it needs only the grant
      const { role, targetId } = await resolve(req, kind, 'identity:revoke_grant', {
        needRole: true,
        needActor: false,
      });
      if (
        !usableId(req.params.actor) ||
        !(await deleteGrant(db, grantOf(kind, req.params.actor, targetId, role!.id)))
      )
        throw notGranted(kind, req.params, targetId);
      await revokeTokens(kind, req.params.actor, targetId);
      return reply.code(204).send();
    });
  }
}

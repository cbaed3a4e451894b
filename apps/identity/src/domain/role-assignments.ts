/**
 * Role assignments as Keystone lists them (GET /v3/role_assignments): pure
 * logic over assignment refs, no I/O. A ref is one (actor, role, target);
 * `indirect` says where an expanded ref came from (group membership, an
 * inherited grant on a domain or parent project, a prior role).
 */
export interface AssignmentRef {
  roleId: string;
  userId?: string;
  groupId?: string;
  projectId?: string;
  domainId?: string;
  system?: boolean;
  /** A grant inherited to the projects below its target (as stored, not expanded). */
  inherited?: boolean;
  indirect?: { groupId?: string; projectId?: string; domainId?: string; roleId?: string };
}

export interface AssignmentRowLike {
  actorType: 'user' | 'group';
  actorId: string;
  targetType: 'project' | 'domain' | 'system';
  targetId: string;
  roleId: string;
  inherited: boolean;
}

export function refOfRow(r: AssignmentRowLike): AssignmentRef {
  const ref: AssignmentRef = { roleId: r.roleId };
  if (r.actorType === 'user') ref.userId = r.actorId;
  else ref.groupId = r.actorId;
  if (r.targetType === 'project') ref.projectId = r.targetId;
  else if (r.targetType === 'domain') ref.domainId = r.targetId;
  else ref.system = true;
  if (r.inherited) ref.inherited = true;
  return ref;
}

/**
 * Add a ref for every role implied by each ref's role, transitively; the
 * implied ref records its prior role in `indirect.roleId`. Cycles end.
 */
export function addImpliedRoles(refs: AssignmentRef[], rules: Map<string, string[]>): AssignmentRef[] {
  const out: AssignmentRef[] = [];
  for (const ref of refs) {
    out.push(ref);
    const seen = new Set([ref.roleId]);
    const todo = [ref];
    while (todo.length > 0) {
      const prior = todo.shift()!;
      for (const implied of rules.get(prior.roleId) ?? []) {
        if (seen.has(implied)) continue;
        seen.add(implied);
        const next: AssignmentRef = {
          ...prior,
          roleId: implied,
          indirect: { ...prior.indirect, roleId: prior.roleId },
        };
        out.push(next);
        todo.push(next);
      }
    }
  }
  return out;
}

export interface Named {
  id: string;
  name: string;
}
export interface AssignmentNames {
  roles: Map<string, { name: string; domain?: Named }>;
  users: Map<string, { name: string; domain: Named }>;
  groups: Map<string, { name: string; domain: Named }>;
  projects: Map<string, { name: string; domain: Named }>;
  domains: Map<string, { name: string }>;
}

const missingActor = { name: '', domain: { id: '', name: '' } };

/** Keystone's API form of a ref; `v3` is the base URL ending in /v3. */
export function formatAssignment(ref: AssignmentRef, v3: string, names?: AssignmentNames) {
  const links: Record<string, string> = {};
  const scope: Record<string, unknown> = {};
  let link = '';
  let inherited = ref.inherited === true;
  if (ref.projectId !== undefined) {
    const p = names?.projects.get(ref.projectId);
    scope.project = p ? { id: ref.projectId, name: p.name, domain: p.domain } : { id: ref.projectId };
    if (ref.indirect?.domainId !== undefined) {
      inherited = true;
      link = `/domains/${ref.indirect.domainId}`;
    } else if (ref.indirect?.projectId !== undefined) {
      inherited = true;
      link = `/projects/${ref.indirect.projectId}`;
    } else link = `/projects/${ref.projectId}`;
  } else if (ref.domainId !== undefined) {
    const d = names?.domains.get(ref.domainId);
    scope.domain = d ? { id: ref.domainId, name: d.name } : { id: ref.domainId };
    link = `/domains/${ref.domainId}`;
  } else {
    scope.system = { all: true };
    link = '/system';
  }

  const out: Record<string, unknown> = { scope };
  if (ref.userId !== undefined) {
    const u = names ? (names.users.get(ref.userId) ?? missingActor) : undefined;
    out.user = u ? { id: ref.userId, name: u.name, domain: u.domain } : { id: ref.userId };
    if (ref.indirect?.groupId !== undefined) {
      links.membership = `${v3}/groups/${ref.indirect.groupId}/users/${ref.userId}`;
      link += `/groups/${ref.indirect.groupId}`;
    } else link += `/users/${ref.userId}`;
  } else if (ref.groupId !== undefined) {
    const g = names ? (names.groups.get(ref.groupId) ?? missingActor) : undefined;
    out.group = g ? { id: ref.groupId, name: g.name, domain: g.domain } : { id: ref.groupId };
    link += `/groups/${ref.groupId}`;
  }

  const r = names?.roles.get(ref.roleId);
  out.role = r
    ? { id: ref.roleId, name: r.name, ...(r.domain ? { domain: r.domain } : {}) }
    : { id: ref.roleId };
  const prior = ref.indirect?.roleId;
  link += `/roles/${prior ?? ref.roleId}`;
  if (inherited) {
    scope['OS-INHERIT:inherited_to'] = 'projects';
    link = `/OS-INHERIT${link}/inherited_to_projects`;
  }
  links.assignment = `${v3}${link}`;
  if (prior !== undefined) links.prior_role = `${v3}/roles/${prior}/implies/${ref.roleId}`;
  out.links = links;
  return out;
}

import { inArray } from 'drizzle-orm';
import type { Db } from '../context.js';
import {
  type AssignmentNames,
  type AssignmentRef,
  addImpliedRoles,
  refOfRow,
} from '../domain/role-assignments.js';
import {
  type AssignmentRow,
  groupIdsOfUser,
  listAssignmentRows,
  membersOfGroups,
  projectSubtrees,
  projectsInDomains,
  type RowFilter,
} from './assignments.repo.js';
import { projectAncestors } from './effective-roles.js';
import { inferenceMap } from './roles.repo.js';
import { domains, groups, projects, roles, users } from './schema.js';

/** The filters of GET /v3/role_assignments, already checked for sense. */
export interface AssignmentQuery {
  roleId?: string;
  userId?: string;
  groupId?: string;
  /** The project filter, with its domain (the project exists). */
  project?: { id: string; domainId: string };
  /** include_subtree: the projects below `project`. */
  subtreeIds?: string[];
  domainId?: string;
  system?: boolean;
  /** undefined: both; true: only inherited grants; false: only direct ones. */
  inherited?: boolean;
}

/** Assignments as stored, filtered (Keystone without `effective`). */
export async function directAssignments(db: Db, f: AssignmentQuery): Promise<AssignmentRef[]> {
  const base: RowFilter = { roleId: f.roleId, inherited: f.inherited };
  if (f.userId !== undefined) Object.assign(base, { actorType: 'user', actorIds: [f.userId] });
  if (f.groupId !== undefined) Object.assign(base, { actorType: 'group', actorIds: [f.groupId] });
  let rows: AssignmentRow[];
  if (f.system) rows = await listAssignmentRows(db, { ...base, targetType: 'system' });
  else if (f.project)
    rows = await listAssignmentRows(db, {
      ...base,
      targetType: 'project',
      targetIds: [f.project.id, ...(f.subtreeIds ?? [])],
    });
  else if (f.domainId !== undefined)
    rows = await listAssignmentRows(db, { ...base, targetType: 'domain', targetIds: [f.domainId] });
  else rows = await listAssignmentRows(db, base);
  return rows.map(refOfRow);
}

/** The stored rows that can affect the effective listing (before expansion). */
async function candidateRows(db: Db, f: AssignmentQuery): Promise<AssignmentRow[]> {
  const actors: RowFilter[] = [];
  if (f.userId !== undefined) {
    actors.push({ actorType: 'user', actorIds: [f.userId] });
    const groupIds = await groupIdsOfUser(db, f.userId);
    if (groupIds.length > 0) actors.push({ actorType: 'group', actorIds: groupIds });
  } else actors.push({});

  const targets: RowFilter[] = [];
  const inherited = f.domainId !== undefined ? false : f.inherited;
  if (inherited !== true) {
    if (f.project)
      targets.push({ targetType: 'project', targetIds: [f.project.id, ...(f.subtreeIds ?? [])] });
    else if (f.domainId !== undefined) targets.push({ targetType: 'domain', targetIds: [f.domainId] });
    else if (f.system) targets.push({ targetType: 'system' });
    else targets.push({});
    for (const t of targets) t.inherited = false;
  }
  if (inherited !== false && !f.system) {
    if (f.project) {
      // only the project's domain and ancestors (and, for a subtree, the subtree itself) pass grants down
      const ancestors = await projectAncestors(db, f.project.id);
      const sources = [...ancestors, ...(f.subtreeIds ? [f.project.id, ...f.subtreeIds] : [])];
      targets.push({ targetType: 'domain', targetIds: [f.project.domainId], inherited: true });
      if (sources.length > 0) targets.push({ targetType: 'project', targetIds: sources, inherited: true });
    } else targets.push({ inherited: true });
  }

  const rows: AssignmentRow[] = [];
  for (const a of actors)
    for (const t of targets) rows.push(...(await listAssignmentRows(db, { ...a, ...t })));
  return rows;
}

/**
 * Keystone's effective mode: group grants become one assignment per member,
 * inherited grants land on every project below their target, implied roles
 * are added, and domain-specific roles (which only imply) are dropped.
 */
export async function effectiveAssignments(db: Db, f: AssignmentQuery): Promise<AssignmentRef[]> {
  const rows = await candidateRows(db, f);
  const groupIds = [...new Set(rows.filter((r) => r.actorType === 'group').map((r) => r.actorId))];
  const members = f.userId !== undefined ? new Map<string, string[]>() : await membersOfGroups(db, groupIds);
  const usersOf = (r: AssignmentRow): string[] =>
    r.actorType === 'user'
      ? [r.actorId]
      : f.userId !== undefined
        ? [f.userId]
        : (members.get(r.actorId) ?? []);

  const inh = rows.filter((r) => r.inherited);
  const domainProjects = f.project
    ? new Map<string, string[]>()
    : await projectsInDomains(db, [
        ...new Set(inh.filter((r) => r.targetType === 'domain').map((r) => r.targetId)),
      ]);
  const interest = f.project ? [f.project.id, ...(f.subtreeIds ?? [])] : [];
  const roots = inh
    .filter(
      (r) => r.targetType === 'project' && (!f.project || (f.subtreeIds && interest.includes(r.targetId))),
    )
    .map((r) => r.targetId);
  const subtrees = await projectSubtrees(db, [...new Set(roots)]);

  const projectsFor = (r: AssignmentRow): string[] => {
    if (r.targetType === 'domain') return f.project ? interest : (domainProjects.get(r.targetId) ?? []);
    if (f.project && !(f.subtreeIds && interest.includes(r.targetId))) return interest;
    return subtrees.get(r.targetId) ?? [];
  };

  const refs: AssignmentRef[] = [];
  for (const r of rows) {
    const via = r.actorType === 'group' ? { groupId: r.actorId } : {};
    for (const userId of usersOf(r)) {
      if (!r.inherited) {
        const ref = refOfRow({ ...r, actorType: 'user', actorId: userId });
        refs.push(r.actorType === 'group' ? { ...ref, indirect: { ...via } } : ref);
        continue;
      }
      const source = r.targetType === 'domain' ? { domainId: r.targetId } : { projectId: r.targetId };
      for (const projectId of projectsFor(r))
        refs.push({ roleId: r.roleId, userId, projectId, indirect: { ...via, ...source } });
    }
  }

  const withImplied = addImpliedRoles(refs, await inferenceMap(db));
  const roleIds = [...new Set(withImplied.map((r) => r.roleId))];
  const domainRoles = new Set(
    roleIds.length === 0
      ? []
      : (
          await db
            .select({ id: roles.id, domainId: roles.domainId })
            .from(roles)
            .where(inArray(roles.id, roleIds))
        )
          .filter((r) => r.domainId !== null)
          .map((r) => r.id),
  );
  return withImplied.filter(
    (r) => !domainRoles.has(r.roleId) && (f.roleId === undefined || r.roleId === f.roleId),
  );
}

/** Names for include_names, loaded in one query per kind. */
export async function assignmentNames(db: Db, refs: AssignmentRef[]): Promise<AssignmentNames> {
  const ids = (pick: (r: AssignmentRef) => string | undefined) => [
    ...new Set(refs.map(pick).filter((x): x is string => x !== undefined)),
  ];
  const roleIds = ids((r) => r.roleId);
  const userIds = ids((r) => r.userId);
  const groupIds = ids((r) => r.groupId);
  const projectIds = ids((r) => r.projectId);
  const [roleRows, userRows, groupRows, projectRows] = await Promise.all([
    roleIds.length ? db.select().from(roles).where(inArray(roles.id, roleIds)) : [],
    userIds.length
      ? db
          .select({ id: users.id, name: users.name, domainId: users.domainId })
          .from(users)
          .where(inArray(users.id, userIds))
      : [],
    groupIds.length
      ? db
          .select({ id: groups.id, name: groups.name, domainId: groups.domainId })
          .from(groups)
          .where(inArray(groups.id, groupIds))
      : [],
    projectIds.length
      ? db
          .select({ id: projects.id, name: projects.name, domainId: projects.domainId })
          .from(projects)
          .where(inArray(projects.id, projectIds))
      : [],
  ]);
  const domainIds = [
    ...new Set([
      ...ids((r) => r.domainId),
      ...roleRows.flatMap((r) => (r.domainId ? [r.domainId] : [])),
      ...userRows.map((r) => r.domainId),
      ...groupRows.map((r) => r.domainId),
      ...projectRows.map((r) => r.domainId),
    ]),
  ];
  const domainRows = domainIds.length
    ? await db
        .select({ id: domains.id, name: domains.name })
        .from(domains)
        .where(inArray(domains.id, domainIds))
    : [];
  const domainNames = new Map(domainRows.map((d) => [d.id, { name: d.name }]));
  const named = (id: string) => ({ id, name: domainNames.get(id)?.name ?? '' });
  return {
    roles: new Map(
      roleRows.map((r) => [r.id, { name: r.name, ...(r.domainId ? { domain: named(r.domainId) } : {}) }]),
    ),
    users: new Map(userRows.map((u) => [u.id, { name: u.name, domain: named(u.domainId) }])),
    groups: new Map(groupRows.map((g) => [g.id, { name: g.name, domain: named(g.domainId) }])),
    projects: new Map(projectRows.map((p) => [p.id, { name: p.name, domain: named(p.domainId) }])),
    domains: domainNames,
  };
}

import { and, asc, eq, inArray, isNull, type SQL } from 'drizzle-orm';
import type { Db } from '../context.js';
import type { EndpointRow } from './endpoints.repo.js';
import type { ProjectRow } from './lookups.js';
import { endpointGroups, endpoints, projectEndpointGroups, projectEndpoints, projects } from './schema.js';

export type EndpointGroupRow = typeof endpointGroups.$inferSelect;

/** What an endpoint group selects: every endpoint whose attributes equal all of these. */
export interface EndpointFilters {
  interface?: 'public' | 'internal' | 'admin';
  service_id?: string;
  /** null selects the endpoints that have no region. */
  region_id?: string | null;
}

// the column is typed string → string; a region_id filter may be null (as Keystone)
const stored = (f: EndpointFilters) => f as Record<string, string>;
export const filtersOf = (g: EndpointGroupRow): EndpointFilters => g.filters as EndpointFilters;

export async function getEndpointGroup(db: Db, id: string): Promise<EndpointGroupRow | undefined> {
  const [row] = await db.select().from(endpointGroups).where(eq(endpointGroups.id, id)).limit(1);
  return row;
}

export function listEndpointGroups(db: Db, name?: string): Promise<EndpointGroupRow[]> {
  return db
    .select()
    .from(endpointGroups)
    .where(name === undefined ? undefined : eq(endpointGroups.name, name))
    .orderBy(asc(endpointGroups.createdAt), asc(endpointGroups.id));
}

export async function insertEndpointGroup(
  db: Db,
  g: { id: string; name: string; description: string | null; filters: EndpointFilters },
): Promise<EndpointGroupRow> {
  const [row] = await db
    .insert(endpointGroups)
    .values({ ...g, filters: stored(g.filters) })
    .returning();
  return row!;
}

export async function updateEndpointGroup(
  db: Db,
  id: string,
  g: { name: string; description: string | null; filters: EndpointFilters },
): Promise<EndpointGroupRow | undefined> {
  const [row] = await db
    .update(endpointGroups)
    .set({ ...g, filters: stored(g.filters) })
    .where(eq(endpointGroups.id, id))
    .returning();
  return row;
}

/** Deletes the group and (by cascade) its project associations; false when it did not exist. */
export async function deleteEndpointGroup(db: Db, id: string): Promise<boolean> {
  const rows = await db
    .delete(endpointGroups)
    .where(eq(endpointGroups.id, id))
    .returning({ id: endpointGroups.id });
  return rows.length > 0;
}

/** The endpoints an endpoint group's filters select. */
export function endpointsMatching(db: Db, f: EndpointFilters): Promise<EndpointRow[]> {
  const where: SQL[] = [];
  if (f.interface !== undefined) where.push(eq(endpoints.interface, f.interface));
  if (f.service_id !== undefined) where.push(eq(endpoints.serviceId, f.service_id));
  if (f.region_id !== undefined)
    where.push(f.region_id === null ? isNull(endpoints.regionId) : eq(endpoints.regionId, f.region_id));
  return db
    .select()
    .from(endpoints)
    .where(and(...where))
    .orderBy(endpoints.serviceId, endpoints.interface, endpoints.id);
}

// --- endpoint group ↔ project -------------------------------------------------------------------
// Associations may outlive a deleted project (the project routes do not clean them up): every
// listing joins the projects table, so such leftovers are never shown.

export async function hasGroupProject(db: Db, groupId: string, projectId: string): Promise<boolean> {
  const rows = await db
    .select({ id: projectEndpointGroups.projectId })
    .from(projectEndpointGroups)
    .where(
      and(eq(projectEndpointGroups.endpointGroupId, groupId), eq(projectEndpointGroups.projectId, projectId)),
    )
    .limit(1);
  return rows.length > 0;
}

export async function addGroupProject(db: Db, groupId: string, projectId: string): Promise<void> {
  await db.insert(projectEndpointGroups).values({ endpointGroupId: groupId, projectId });
}

export async function removeGroupProject(db: Db, groupId: string, projectId: string): Promise<boolean> {
  const rows = await db
    .delete(projectEndpointGroups)
    .where(
      and(eq(projectEndpointGroups.endpointGroupId, groupId), eq(projectEndpointGroups.projectId, projectId)),
    )
    .returning({ id: projectEndpointGroups.projectId });
  return rows.length > 0;
}

export async function projectsOfGroup(db: Db, groupId: string): Promise<ProjectRow[]> {
  const rows = await db
    .select({ project: projects })
    .from(projectEndpointGroups)
    .innerJoin(projects, eq(projects.id, projectEndpointGroups.projectId))
    .where(eq(projectEndpointGroups.endpointGroupId, groupId))
    .orderBy(projects.name, projects.id);
  return rows.map((r) => r.project);
}

export async function groupsOfProject(db: Db, projectId: string): Promise<EndpointGroupRow[]> {
  const rows = await db
    .select({ group: endpointGroups })
    .from(projectEndpointGroups)
    .innerJoin(endpointGroups, eq(endpointGroups.id, projectEndpointGroups.endpointGroupId))
    .where(eq(projectEndpointGroups.projectId, projectId))
    .orderBy(endpointGroups.createdAt, endpointGroups.id);
  return rows.map((r) => r.group);
}

// --- endpoint ↔ project (direct) ----------------------------------------------------------------

export async function hasProjectEndpoint(db: Db, projectId: string, endpointId: string): Promise<boolean> {
  const rows = await db
    .select({ id: projectEndpoints.endpointId })
    .from(projectEndpoints)
    .where(and(eq(projectEndpoints.projectId, projectId), eq(projectEndpoints.endpointId, endpointId)))
    .limit(1);
  return rows.length > 0;
}

/** Idempotent: associating twice is one association. */
export async function addProjectEndpoint(db: Db, projectId: string, endpointId: string): Promise<void> {
  await db.insert(projectEndpoints).values({ projectId, endpointId }).onConflictDoNothing();
}

export async function removeProjectEndpoint(db: Db, projectId: string, endpointId: string): Promise<boolean> {
  const rows = await db
    .delete(projectEndpoints)
    .where(and(eq(projectEndpoints.projectId, projectId), eq(projectEndpoints.endpointId, endpointId)))
    .returning({ id: projectEndpoints.endpointId });
  return rows.length > 0;
}

export async function projectsOfEndpoint(db: Db, endpointId: string): Promise<ProjectRow[]> {
  const rows = await db
    .select({ project: projects })
    .from(projectEndpoints)
    .innerJoin(projects, eq(projects.id, projectEndpoints.projectId))
    .where(eq(projectEndpoints.endpointId, endpointId))
    .orderBy(projects.name, projects.id);
  return rows.map((r) => r.project);
}

/** A project's endpoints, as Keystone lists them: those associated directly, then those its
 * endpoint groups select, each once. */
export async function endpointsOfProject(db: Db, projectId: string): Promise<EndpointRow[]> {
  const direct = await db
    .select({ endpointId: projectEndpoints.endpointId })
    .from(projectEndpoints)
    .where(eq(projectEndpoints.projectId, projectId));
  const byId = new Map<string, EndpointRow>();
  if (direct.length > 0) {
    const rows = await db
      .select()
      .from(endpoints)
      .where(
        inArray(
          endpoints.id,
          direct.map((d) => d.endpointId),
        ),
      )
      .orderBy(endpoints.serviceId, endpoints.interface, endpoints.id);
    for (const e of rows) byId.set(e.id, e);
  }
  for (const g of await groupsOfProject(db, projectId))
    for (const e of await endpointsMatching(db, filtersOf(g))) if (!byId.has(e.id)) byId.set(e.id, e);
  return [...byId.values()];
}

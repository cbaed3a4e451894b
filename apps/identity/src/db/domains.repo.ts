import { forbidden, invalid } from '@kumo/service-kit';
import { and, eq, inArray, or } from 'drizzle-orm';
import type { IdentityContext } from '../context.js';
import { newId } from '../domain/ids.js';
import { found, storeOrConflict } from '../http/guards.js';
import { type DomainRow, getDomain } from './lookups.js';
import {
  assignments,
  domains,
  groups,
  projectEndpointGroups,
  projectEndpoints,
  projects,
  roles,
  users,
} from './schema.js';
import { deleteTrustsOf } from './trusts.repo.js';

export interface DomainInput {
  id?: string;
  name?: string;
  description?: string | null;
  enabled?: boolean;
  tags?: string[];
  extra?: Record<string, unknown>;
}

/** Domain writes shared by /v3/domains and the project view of domains (is_domain projects). */
export async function createDomain(
  ctx: IdentityContext,
  d: DomainInput & { name: string },
): Promise<DomainRow> {
  const [row] = await storeOrConflict('domain', () =>
    ctx.db
      .insert(domains)
      .values({
        id: d.id ?? newId(),
        name: d.name,
        description: d.description ?? '',
        enabled: d.enabled ?? true,
        tags: d.tags ?? [],
        extra: d.extra ?? {},
      })
      .returning(),
  );
  return row!;
}

export async function updateDomain(ctx: IdentityContext, id: string, d: DomainInput): Promise<DomainRow> {
  const cur = found(await getDomain(ctx.db, id), 'domain', id);
  if (d.id !== undefined && d.id !== cur.id) throw invalid('The domain id cannot be changed.');
  const [row] = await storeOrConflict('domain', () =>
    ctx.db
      .update(domains)
      .set({
        name: d.name ?? cur.name,
        description: d.description === undefined ? cur.description : (d.description ?? ''),
        enabled: d.enabled ?? cur.enabled,
        tags: d.tags ?? cur.tags,
        extra: { ...cur.extra, ...(d.extra ?? {}) },
      })
      .where(eq(domains.id, cur.id))
      .returning(),
  );
  if (cur.enabled && d.enabled === false) await ctx.revoke({ domainId: cur.id });
  return row!;
}

/** Delete a disabled domain with everything in it, in one transaction. */
export async function deleteDomain(ctx: IdentityContext, id: string): Promise<void> {
  const cur = found(await getDomain(ctx.db, id), 'domain', id);
  if (cur.enabled) throw forbidden('Cannot delete a domain that is enabled, please disable it first.');
  if (cur.id === 'default') throw forbidden('The default domain cannot be deleted.');
  await ctx.db.transaction(async (tx) => {
    const ids = async (t: typeof projects | typeof users | typeof groups) =>
      (await tx.select({ id: t.id }).from(t).where(eq(t.domainId, cur.id))).map((r) => r.id);
    const projectIds = await ids(projects);
    const actors = [...(await ids(users)), ...(await ids(groups))];
    await tx
      .delete(assignments)
      .where(
        or(
          inArray(assignments.targetId, [cur.id, ...projectIds]),
          actors.length > 0 ? inArray(assignments.actorId, actors) : undefined,
        ),
      );
    if (projectIds.length > 0) {
      await tx.delete(projectEndpoints).where(inArray(projectEndpoints.projectId, projectIds));
      await tx.delete(projectEndpointGroups).where(inArray(projectEndpointGroups.projectId, projectIds));
    }
    await tx.delete(projects).where(eq(projects.domainId, cur.id));
    const userIds = await ids(users);
    await tx.delete(users).where(eq(users.domainId, cur.id));
    await tx.delete(groups).where(eq(groups.domainId, cur.id));
    await tx.delete(roles).where(and(eq(roles.domainId, cur.id)));
    await deleteTrustsOf(tx, { userIds, projectIds });
    await tx.delete(domains).where(eq(domains.id, cur.id));
  });
  await ctx.revoke({ domainId: cur.id });
}

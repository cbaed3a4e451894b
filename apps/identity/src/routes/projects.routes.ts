import { callerOf, forbidden, invalid, notFound } from '@kumo/service-kit';
import { and, arrayContains, arrayOverlaps, eq, isNull, not, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import { createDomain, deleteDomain, updateDomain } from '../db/domains.repo.js';
import { getDomain, getProject, type ProjectRow } from '../db/lookups.js';
import { assignments, domains, projectEndpointGroups, projectEndpoints, projects } from '../db/schema.js';
import { deleteTrustsOf } from '../db/trusts.repo.js';
import { newId } from '../domain/ids.js';
import { parseBody } from '../http/body.js';
import { descriptionField, found, idField, nameField, storeOrConflict, tagField } from '../http/guards.js';
import { listLinks, q, qBool } from '../http/views.js';
import { domainAsProjectView, projectView } from '../views/resources.view.js';

const tags = z.array(tagField).max(80);
const createSchema = z.object({
  project: z.looseObject({
    name: nameField(64),
    domain_id: idField.nullable().optional(),
    parent_id: idField.nullable().optional(),
    description: descriptionField.optional(),
    enabled: z.boolean().optional(),
    is_domain: z.boolean().optional(),
    tags: tags.optional(),
    options: z.record(z.string(), z.unknown()).optional(),
  }),
});
const updateSchema = z.object({
  project: z.looseObject({
    name: nameField(64).optional(),
    description: descriptionField.optional(),
    enabled: z.boolean().optional(),
    tags: tags.optional(),
    options: z.record(z.string(), z.unknown()).optional(),
  }),
});

const KNOWN = new Set([
  'id',
  'name',
  'domain_id',
  'parent_id',
  'description',
  'enabled',
  'is_domain',
  'tags',
  'options',
  'links',
]);
const extraOf = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !KNOWN.has(k)));
const csv = (v: string | undefined) => (v ? v.split(',').filter(Boolean) : undefined);

export function projectRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  const load = async (
    req: FastifyRequest<{ Params: { id: string } }>,
    action: string,
  ): Promise<ProjectRow> => {
    const p = found(await getProject(db, req.params.id), 'project', req.params.id);
    policy.authorize(action, callerOf(req), { project: { id: p.id, domain_id: p.domainId } });
    return p;
  };

  app.get('/v3/projects', async (req) => {
    policy.authorize('identity:list_projects', callerOf(req));
    if (qBool(req, 'is_domain') === true) {
      // domains seen as projects (ADR 0007)
      const name = q(req, 'name');
      const enabled = qBool(req, 'enabled');
      const rows = await db
        .select()
        .from(domains)
        .where(
          and(
            name === undefined ? undefined : eq(domains.name, name),
            enabled === undefined ? undefined : eq(domains.enabled, enabled),
          ),
        )
        .orderBy(domains.name);
      return { projects: rows.map((d) => domainAsProjectView(req, d)), links: listLinks(req) };
    }
    const where: (SQL | undefined)[] = [];
    const name = q(req, 'name');
    if (name !== undefined) where.push(eq(projects.name, name));
    const domainId = q(req, 'domain_id');
    if (domainId !== undefined) where.push(eq(projects.domainId, domainId));
    const enabled = qBool(req, 'enabled');
    if (enabled !== undefined) where.push(eq(projects.enabled, enabled));
    const parentId = q(req, 'parent_id');
    if (parentId !== undefined) {
      const parentIsDomain = await getDomain(db, parentId);
      where.push(
        parentIsDomain
          ? and(eq(projects.domainId, parentId), isNull(projects.parentId))
          : eq(projects.parentId, parentId),
      );
    }
    const all = csv(q(req, 'tags'));
    if (all) where.push(arrayContains(projects.tags, all));
    const any = csv(q(req, 'tags-any'));
    if (any) where.push(arrayOverlaps(projects.tags, any));
    const notAll = csv(q(req, 'not-tags'));
    if (notAll) where.push(not(arrayContains(projects.tags, notAll)));
    const notAny = csv(q(req, 'not-tags-any'));
    if (notAny) where.push(not(arrayOverlaps(projects.tags, notAny)));
    const rows = await db
      .select()
      .from(projects)
      .where(and(...where))
      .orderBy(projects.name);
    return { projects: rows.map((p) => projectView(req, p)), links: listLinks(req) };
  });

  /** A domain addressed through the projects API (Keystone's is_domain projects). */
  const asDomain = async (req: FastifyRequest<{ Params: { id: string } }>, action: string) => {
    if (await getProject(db, req.params.id)) return undefined;
    const d = await getDomain(db, req.params.id);
    if (d) policy.authorize(action, callerOf(req), { project: { id: d.id }, domain: { id: d.id } });
    return d;
  };

  app.get<{ Params: { id: string } }>('/v3/projects/:id', async (req) => {
    const d = await asDomain(req, 'identity:get_project');
    if (d) return { project: domainAsProjectView(req, d) };
    const p = await load(req, 'identity:get_project');
    return { project: projectView(req, p) };
  });

  app.post('/v3/projects', async (req, reply) => {
    const caller = callerOf(req);
    policy.authorize('identity:create_project', caller);
    const { project: b } = parseBody(createSchema, req.body);
    if (b.is_domain) {
      if (b.parent_id || b.domain_id)
        throw invalid('A project that is a domain has no parent and no domain.');
      const d = await createDomain(ctx, {
        name: b.name,
        description: b.description,
        enabled: b.enabled,
        tags: b.tags,
        extra: extraOf(b),
      });
      return reply.code(201).send({ project: domainAsProjectView(req, d) });
    }
    let domainId = b.domain_id ?? undefined;
    let parentId: string | null = null;
    if (b.parent_id) {
      const asDomain = await getDomain(db, b.parent_id);
      if (asDomain) {
        domainId ??= asDomain.id;
        if (domainId !== asDomain.id) throw invalid('The parent domain and domain_id differ.');
      } else {
        const parent = await getProject(db, b.parent_id);
        if (!parent) throw notFound('project', b.parent_id);
        domainId ??= parent.domainId;
        if (parent.domainId !== domainId)
          throw invalid('A project must be in the same domain as its parent.');
        if (!parent.enabled && b.enabled !== false)
          throw forbidden('Cannot create an enabled project under a disabled parent.');
        parentId = parent.id;
      }
    }
    domainId ??= caller.project?.domain.id ?? caller.domain?.id ?? 'default';
    const domain = await getDomain(db, domainId);
    if (!domain) throw notFound('domain', domainId);
    const [row] = await storeOrConflict('project', () =>
      db
        .insert(projects)
        .values({
          id: newId(),
          name: b.name,
          domainId: domain.id,
          parentId,
          description: b.description ?? '',
          enabled: b.enabled ?? true,
          tags: b.tags ?? [],
          options: b.options ?? {},
          extra: extraOf(b),
        })
        .returning(),
    );
    return reply.code(201).send({ project: projectView(req, row!) });
  });

  app.patch<{ Params: { id: string } }>('/v3/projects/:id', async (req) => {
    const d = await asDomain(req, 'identity:update_project');
    if (d) {
      const { project: b } = parseBody(updateSchema, req.body);
      const row = await updateDomain(ctx, d.id, { ...b, extra: extraOf(b) });
      return { project: domainAsProjectView(req, row) };
    }
    const cur = await load(req, 'identity:update_project');
    const { project: b } = parseBody(updateSchema, req.body);
    for (const k of ['domain_id', 'parent_id', 'is_domain', 'id'] as const) {
      const v = (b as Record<string, unknown>)[k];
      if (
        v !== undefined &&
        v !==
          (k === 'domain_id'
            ? cur.domainId
            : k === 'parent_id'
              ? (cur.parentId ?? cur.domainId)
              : k === 'id'
                ? cur.id
                : false)
      )
        throw invalid(`The project's ${k} cannot be changed.`);
    }
    if (b.enabled === true && cur.parentId) {
      const parent = await getProject(db, cur.parentId);
      if (parent && !parent.enabled) throw forbidden('Cannot enable a project whose parent is disabled.');
    }
    const [row] = await storeOrConflict('project', () =>
      db
        .update(projects)
        .set({
          name: b.name ?? cur.name,
          description: b.description === undefined ? cur.description : (b.description ?? ''),
          enabled: b.enabled ?? cur.enabled,
          tags: b.tags ?? cur.tags,
          options: b.options ? { ...cur.options, ...b.options } : cur.options,
          extra: { ...cur.extra, ...extraOf(b) },
        })
        .where(eq(projects.id, cur.id))
        .returning(),
    );
    if (cur.enabled && b.enabled === false) await ctx.revoke({ projectId: cur.id });
    return { project: projectView(req, row!) };
  });

  app.delete<{ Params: { id: string } }>('/v3/projects/:id', async (req, reply) => {
    const d = await asDomain(req, 'identity:delete_project');
    if (d) {
      await deleteDomain(ctx, d.id);
      return reply.code(204).send();
    }
    const cur = await load(req, 'identity:delete_project');
    const child = await db.query.projects.findFirst({ where: (p, { eq }) => eq(p.parentId, cur.id) });
    if (child) throw forbidden('Cannot delete a project that has child projects; delete them first.');
    await db.transaction(async (tx) => {
      await tx
        .delete(assignments)
        .where(and(eq(assignments.targetType, 'project'), eq(assignments.targetId, cur.id)));
      await tx.delete(projectEndpoints).where(eq(projectEndpoints.projectId, cur.id));
      await tx.delete(projectEndpointGroups).where(eq(projectEndpointGroups.projectId, cur.id));
      await tx.delete(projects).where(eq(projects.id, cur.id));
      await deleteTrustsOf(tx, { projectIds: [cur.id] });
    });
    await ctx.revoke({ projectId: cur.id });
    return reply.code(204).send();
  });

  // --- tags
  const setTags = async (id: string, next: string[]) => {
    await db.update(projects).set({ tags: next }).where(eq(projects.id, id));
  };
  app.get<{ Params: { id: string } }>('/v3/projects/:id/tags', async (req) => {
    const p = await load(req, 'identity:get_project_tags');
    return { tags: p.tags, links: listLinks(req) };
  });
  app.put<{ Params: { id: string } }>('/v3/projects/:id/tags', async (req) => {
    const p = await load(req, 'identity:project_tags');
    const body = parseBody(z.object({ tags: tags }), req.body);
    const next = [...new Set(body.tags)];
    await setTags(p.id, next);
    return { tags: next, links: listLinks(req) };
  });
  app.delete<{ Params: { id: string } }>('/v3/projects/:id/tags', async (req, reply) => {
    const p = await load(req, 'identity:project_tags');
    await setTags(p.id, []);
    return reply.code(204).send();
  });
  app.get<{ Params: { id: string; tag: string } }>('/v3/projects/:id/tags/:tag', async (req, reply) => {
    const p = await load(req, 'identity:get_project_tags');
    if (!p.tags.includes(req.params.tag)) throw notFound('tag', req.params.tag);
    return reply.code(204).send();
  });
  app.put<{ Params: { id: string; tag: string } }>('/v3/projects/:id/tags/:tag', async (req, reply) => {
    const p = await load(req, 'identity:project_tags');
    const tag = tagField.safeParse(req.params.tag);
    if (!tag.success) throw invalid(`Invalid tag: ${req.params.tag}`);
    if (!p.tags.includes(tag.data)) {
      if (p.tags.length >= 80) throw invalid('A project has at most 80 tags.');
      await setTags(p.id, [...p.tags, tag.data]);
    }
    return reply.code(201).send();
  });
  app.delete<{ Params: { id: string; tag: string } }>('/v3/projects/:id/tags/:tag', async (req, reply) => {
    const p = await load(req, 'identity:project_tags');
    if (!p.tags.includes(req.params.tag)) throw notFound('tag', req.params.tag);
    await setTags(
      p.id,
      p.tags.filter((t) => t !== req.params.tag),
    );
    return reply.code(204).send();
  });
}

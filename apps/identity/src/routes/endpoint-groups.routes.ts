import { callerOf, notFound } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import {
  addGroupProject,
  addProjectEndpoint,
  deleteEndpointGroup,
  type EndpointGroupRow,
  endpointsMatching,
  endpointsOfProject,
  filtersOf,
  getEndpointGroup,
  groupsOfProject,
  hasGroupProject,
  hasProjectEndpoint,
  insertEndpointGroup,
  listEndpointGroups,
  projectsOfEndpoint,
  projectsOfGroup,
  removeGroupProject,
  removeProjectEndpoint,
  updateEndpointGroup,
} from '../db/endpoint-groups.repo.js';
import { getEndpoint } from '../db/endpoints.repo.js';
import { getProject } from '../db/lookups.js';
import { storable } from '../db/regions.repo.js';
import { newId } from '../domain/ids.js';
import { parseBody } from '../http/body.js';
import { found, nameField, storeOrConflict } from '../http/guards.js';
import { baseUrl, listLinks, q } from '../http/views.js';
import { projectView } from '../views/resources.view.js';
import { endpointView } from './endpoints.routes.js';

const PREFIX = '/v3/OS-EP-FILTER';
const text = (s: z.ZodString) => s.refine(storable, 'must not contain NUL characters');

/** Keystone filters on interface, service_id and region_id only; any other key is a 400. */
const filtersField = z
  .strictObject({
    interface: z.enum(['public', 'internal', 'admin']).optional(),
    service_id: text(z.string().max(255)).optional(),
    region_id: text(z.string().max(255)).nullable().optional(),
  })
  .refine((f) => Object.keys(f).length > 0, 'filters field is required and cannot be empty');
const groupFields = {
  name: text(nameField(255)),
  description: text(z.string().max(65535)).nullable(),
  filters: filtersField,
};
const createSchema = z.object({
  endpoint_group: z.strictObject({ ...groupFields, description: groupFields.description.optional() }),
});
const updateSchema = z.object({
  endpoint_group: z
    .strictObject({
      name: groupFields.name.optional(),
      description: groupFields.description.optional(),
      filters: groupFields.filters.optional(),
    })
    .refine((g) => Object.keys(g).length > 0, 'the endpoint group must name at least one attribute'),
});

export function endpointGroupView(req: FastifyRequest, g: EndpointGroupRow) {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    filters: filtersOf(g),
    links: { self: `${baseUrl(req)}${PREFIX}/endpoint_groups/${g.id}` },
  };
}

type GroupParams = { Params: { id: string } };
type GroupProjectParams = { Params: { id: string; projectId: string } };
type ProjectParams = { Params: { projectId: string } };
type ProjectEndpointParams = { Params: { projectId: string; endpointId: string } };
type EndpointParams = { Params: { endpointId: string } };

/**
 * OS-EP-FILTER: endpoint groups (a filter over endpoints) and the projects they, or single
 * endpoints, are associated with. Kumo stores and serves these associations; it does not (yet)
 * narrow a project-scoped token's catalog by them.
 */
export function endpointGroupRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;
  const authorize = (req: FastifyRequest, action: string) => policy.authorize(action, callerOf(req));

  const group = async (id: string) =>
    found(storable(id) ? await getEndpointGroup(db, id) : undefined, 'endpoint group', id);
  const project = async (id: string) =>
    found(storable(id) ? await getProject(db, id) : undefined, 'project', id);
  const endpoint = async (id: string) => found(await getEndpoint(db, id), 'endpoint', id);

  // --- endpoint groups ----------------------------------------------------------------------------

  app.get(`${PREFIX}/endpoint_groups`, async (req) => {
    authorize(req, 'identity:list_endpoint_groups');
    const name = q(req, 'name');
    const rows = name !== undefined && !storable(name) ? [] : await listEndpointGroups(db, name);
    return { endpoint_groups: rows.map((g) => endpointGroupView(req, g)), links: listLinks(req) };
  });

  app.post(`${PREFIX}/endpoint_groups`, async (req, reply) => {
    authorize(req, 'identity:create_endpoint_group');
    const { endpoint_group: b } = parseBody(createSchema, req.body);
    const row = await storeOrConflict('endpoint group', () =>
      insertEndpointGroup(db, {
        id: newId(),
        name: b.name,
        description: b.description ?? null,
        filters: b.filters,
      }),
    );
    return reply.code(201).send({ endpoint_group: endpointGroupView(req, row) });
  });

  app.get<GroupParams>(`${PREFIX}/endpoint_groups/:id`, async (req) => {
    authorize(req, 'identity:get_endpoint_group');
    return { endpoint_group: endpointGroupView(req, await group(req.params.id)) };
  });

  app.patch<GroupParams>(`${PREFIX}/endpoint_groups/:id`, async (req) => {
    authorize(req, 'identity:update_endpoint_group');
    const { endpoint_group: b } = parseBody(updateSchema, req.body);
    const cur = await group(req.params.id);
    const row = await updateEndpointGroup(db, cur.id, {
      name: b.name ?? cur.name,
      description: b.description === undefined ? cur.description : b.description,
      filters: b.filters ?? filtersOf(cur),
    });
    return { endpoint_group: endpointGroupView(req, found(row, 'endpoint group', cur.id)) };
  });

  app.delete<GroupParams>(`${PREFIX}/endpoint_groups/:id`, async (req, reply) => {
    authorize(req, 'identity:delete_endpoint_group');
    const id = req.params.id;
    if (!storable(id) || !(await deleteEndpointGroup(db, id))) throw notFound('endpoint group', id);
    return reply.code(204).send();
  });

  app.get<GroupParams>(`${PREFIX}/endpoint_groups/:id/endpoints`, async (req) => {
    authorize(req, 'identity:list_endpoints_associated_with_endpoint_group');
    const g = await group(req.params.id);
    const rows = await endpointsMatching(db, filtersOf(g));
    return { endpoints: rows.map((e) => endpointView(req, e)), links: listLinks(req) };
  });

  // --- endpoint group ↔ project -------------------------------------------------------------------

  app.get<GroupParams>(`${PREFIX}/endpoint_groups/:id/projects`, async (req) => {
    authorize(req, 'identity:list_projects_associated_with_endpoint_group');
    const g = await group(req.params.id);
    const rows = await projectsOfGroup(db, g.id);
    return { projects: rows.map((p) => projectView(req, p)), links: listLinks(req) };
  });

  app.get<GroupProjectParams>(`${PREFIX}/endpoint_groups/:id/projects/:projectId`, async (req) => {
    authorize(req, 'identity:get_endpoint_group_in_project');
    const p = await project(req.params.projectId);
    const g = await group(req.params.id);
    if (!(await hasGroupProject(db, g.id, p.id)))
      throw notFound('Endpoint Group Project Association not found');
    // Keystone's body for this call: the association itself
    return {
      project_endpoint_group: {
        endpoint_group_id: g.id,
        project_id: p.id,
        links: { self: `${baseUrl(req)}${PREFIX}/endpoint_groups/${g.id}/projects/${p.id}` },
      },
    };
  });

  app.put<GroupProjectParams>(`${PREFIX}/endpoint_groups/:id/projects/:projectId`, async (req, reply) => {
    authorize(req, 'identity:add_endpoint_group_to_project');
    const p = await project(req.params.projectId);
    const g = await group(req.params.id);
    await storeOrConflict('project_endpoint_group', () => addGroupProject(db, g.id, p.id));
    return reply.code(204).send();
  });

  app.delete<GroupProjectParams>(`${PREFIX}/endpoint_groups/:id/projects/:projectId`, async (req, reply) => {
    authorize(req, 'identity:remove_endpoint_group_from_project');
    const p = await project(req.params.projectId);
    const g = await group(req.params.id);
    if (!(await removeGroupProject(db, g.id, p.id)))
      throw notFound('Endpoint Group Project Association not found');
    return reply.code(204).send();
  });

  app.get<ProjectParams>(`${PREFIX}/projects/:projectId/endpoint_groups`, async (req) => {
    authorize(req, 'identity:list_endpoint_groups_for_project');
    const p = await project(req.params.projectId);
    const rows = await groupsOfProject(db, p.id);
    return { endpoint_groups: rows.map((g) => endpointGroupView(req, g)), links: listLinks(req) };
  });

  // --- endpoint ↔ project (direct) ----------------------------------------------------------------

  app.get<ProjectParams>(`${PREFIX}/projects/:projectId/endpoints`, async (req) => {
    authorize(req, 'identity:list_endpoints_for_project');
    const p = await project(req.params.projectId);
    const rows = await endpointsOfProject(db, p.id);
    return { endpoints: rows.map((e) => endpointView(req, e)), links: listLinks(req) };
  });

  /** GET (and so HEAD) answers 204 when the association exists, as Keystone. */
  app.get<ProjectEndpointParams>(
    `${PREFIX}/projects/:projectId/endpoints/:endpointId`,
    async (req, reply) => {
      authorize(req, 'identity:check_endpoint_in_project');
      const e = await endpoint(req.params.endpointId);
      const p = await project(req.params.projectId);
      if (!(await hasProjectEndpoint(db, p.id, e.id)))
        throw notFound(`Endpoint ${e.id} not found in project ${p.id}`);
      return reply.code(204).send();
    },
  );

  app.put<ProjectEndpointParams>(
    `${PREFIX}/projects/:projectId/endpoints/:endpointId`,
    async (req, reply) => {
      authorize(req, 'identity:add_endpoint_to_project');
      const e = await endpoint(req.params.endpointId);
      const p = await project(req.params.projectId);
      await storeOrConflict('project_endpoint', () => addProjectEndpoint(db, p.id, e.id));
      return reply.code(204).send();
    },
  );

  // no existence check of the project or endpoint (as Keystone): a leftover association can go
  app.delete<ProjectEndpointParams>(
    `${PREFIX}/projects/:projectId/endpoints/:endpointId`,
    async (req, reply) => {
      authorize(req, 'identity:remove_endpoint_from_project');
      const { projectId, endpointId } = req.params;
      if (
        !storable(projectId) ||
        !storable(endpointId) ||
        !(await removeProjectEndpoint(db, projectId, endpointId))
      )
        throw notFound(`Endpoint ${endpointId} not found in project ${projectId}`);
      return reply.code(204).send();
    },
  );

  app.get<EndpointParams>(`${PREFIX}/endpoints/:endpointId/projects`, async (req) => {
    authorize(req, 'identity:list_projects_for_endpoint');
    const e = await endpoint(req.params.endpointId);
    const rows = await projectsOfEndpoint(db, e.id);
    return { projects: rows.map((p) => projectView(req, p)), links: listLinks(req) };
  });
}

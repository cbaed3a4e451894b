import { randomUUID } from 'node:crypto';
import { callerOf, invalid } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ComputeContext } from '../context.js';
import { quotaLimit } from '../db/quotas.repo.js';
import {
  createServerGroup,
  deleteServerGroup,
  getServerGroup,
  groupMembers,
  listServerGroups,
} from '../db/server-groups.repo.js';
import { atLeast } from '../http/microversion.js';
import { MAX_LIMIT, parseBody, qBool, qInt } from '../http/nova-request.js';
import { serverGroupView } from '../views/server-groups.view.js';
import { isAdmin } from './flavors.routes.js';
import { novaName } from './flavors.schemas.js';

type IdParams = { Params: { id: string } };

const HARD = ['affinity', 'anti-affinity'] as const;
const ALL = [...HARD, 'soft-affinity', 'soft-anti-affinity'] as const;

const legacySchema = (soft: boolean) =>
  z.object({
    server_group: z.strictObject({
      name: novaName,
      policies: z.array(z.enum(soft ? ALL : HARD)).length(1, 'must hold exactly one policy'),
    }),
  });

const schema264 = z.object({
  server_group: z.strictObject({
    name: novaName,
    policy: z.enum(ALL),
    rules: z.strictObject({ max_server_per_host: z.number().int().min(1).max(2_147_483_647) }).optional(),
  }),
});

/** Server groups: affinity/anti-affinity for the scheduler, counted in the server_groups quota. */
export function serverGroupRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const { db, policy } = ctx;

  const render = async (req: FastifyRequest, rows: Awaited<ReturnType<typeof listServerGroups>>) => {
    const members = await groupMembers(
      db,
      rows.map((g) => g.id),
    );
    return rows.map((g) => serverGroupView(req, g, members.get(g.id) ?? []));
  };

  /** The group when the caller may act on it: another project's group is not found (admins see all). */
  const owned = async (req: FastifyRequest, id: string, action: string) => {
    const t = callerOf(req);
    const admin = isAdmin(ctx, t);
    const g = await getServerGroup(db, id, admin ? undefined : (t.project?.id ?? ''));
    policy.authorize(`os_compute_api:os-server-groups:${action}`, t, { project_id: g.projectId });
    return g;
  };

  app.get('/v2.1/os-server-groups', async (req) => {
    const t = callerOf(req);
    const projectId = t.project?.id ?? '';
    policy.authorize('os_compute_api:os-server-groups:index', t, { project_id: projectId });
    const all = qBool(req, 'all_projects') ?? false;
    if (all)
      policy.authorize('os_compute_api:os-server-groups:index:all_projects', t, { project_id: projectId });
    const limit = qInt(req, 'limit', 1) ?? MAX_LIMIT;
    const offset = qInt(req, 'offset') ?? 0;
    const rows = await listServerGroups(db, all ? {} : { projectId }, {
      limit: Math.min(limit, MAX_LIMIT),
      offset,
    });
    return { server_groups: await render(req, rows) };
  });

  app.get<IdParams>('/v2.1/os-server-groups/:id', async (req) => {
    const g = await owned(req, req.params.id, 'show');
    return { server_group: (await render(req, [g]))[0] };
  });

  app.post('/v2.1/os-server-groups', async (req) => {
    const t = callerOf(req);
    const projectId = t.project?.id;
    if (!projectId) throw invalid('Creating a server group needs a project-scoped token.');
    policy.authorize('os_compute_api:os-server-groups:create', t, { project_id: projectId });
    let name: string;
    let groupPolicy: string;
    let rules: Record<string, unknown> = {};
    if (atLeast(req, '2.64')) {
      const { server_group: b } = parseBody(schema264, req.body);
      if (b.rules && Object.keys(b.rules).length > 0 && b.policy !== 'anti-affinity')
        throw invalid(`Only the anti-affinity policy supports rules (policy is '${b.policy}').`);
      ({ name, policy: groupPolicy } = b);
      rules = b.rules ?? {};
    } else {
      const { server_group: b } = parseBody(legacySchema(atLeast(req, '2.15')), req.body);
      name = b.name;
      groupPolicy = b.policies[0]!;
    }
    const limit = await quotaLimit(db, projectId, 'server_groups', ctx.settings.quotaDefaults);
    const g = await createServerGroup(
      db,
      { id: randomUUID(), name, policy: groupPolicy, rules, projectId, userId: t.user.id },
      limit,
    );
    return { server_group: serverGroupView(req, g, []) };
  });

  app.delete<IdParams>('/v2.1/os-server-groups/:id', async (req, reply) => {
    const g = await owned(req, req.params.id, 'delete');
    await deleteServerGroup(db, g.id);
    return reply.code(204).send();
  });
}

import { callerOf, invalid, notFound } from '@kumo/service-kit';
import { and, eq, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import {
  addMember,
  deleteGroup,
  type GroupRow,
  getGroup,
  isMember,
  removeMember,
} from '../db/groups.repo.js';
import { getDomain, getUser } from '../db/lookups.js';
import { groups } from '../db/schema.js';
import { listUsers, userFilterSql, userFiltersOf } from '../db/users.repo.js';
import { newId } from '../domain/ids.js';
import { parseBody } from '../http/body.js';
import { descriptionField, found, idField, nameField, storeOrConflict } from '../http/guards.js';
import { listLinks, q, selfLink } from '../http/views.js';
import { userView } from '../views/resources.view.js';

const createSchema = z.object({
  group: z.looseObject({
    name: nameField(64),
    domain_id: idField.optional(),
    description: descriptionField.optional(),
  }),
});
const updateSchema = z.object({
  group: z.looseObject({
    name: nameField(64).optional(),
    domain_id: idField.optional(),
    description: descriptionField.optional(),
  }),
});

const KNOWN = new Set(['id', 'name', 'domain_id', 'description', 'links']);
const extraOf = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !KNOWN.has(k)));

export function groupView(req: FastifyRequest, g: GroupRow) {
  return {
    ...g.extra,
    id: g.id,
    name: g.name,
    domain_id: g.domainId,
    description: g.description,
    links: selfLink(req, `/v3/groups/${g.id}`),
  };
}

type GroupReq = FastifyRequest<{ Params: { id: string } }>;
type MemberReq = FastifyRequest<{ Params: { id: string; userId: string } }>;

export function groupRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;

  /** Authorize against the group (its domain when it exists), then 404 if it does not. */
  const load = async (req: GroupReq, action: string): Promise<GroupRow> => {
    const g = await getGroup(db, req.params.id);
    policy.authorize(action, callerOf(req), { group: { id: req.params.id, domain_id: g?.domainId } });
    return found(g, 'group', req.params.id);
  };

  /** A membership call: the group and the user must both exist. */
  const loadMembership = async (req: MemberReq, action: string) => {
    const g = await getGroup(db, req.params.id);
    const u = await getUser(db, req.params.userId);
    policy.authorize(action, callerOf(req), {
      group: { id: req.params.id, domain_id: g?.domainId },
      user: { id: req.params.userId, domain_id: u?.domainId },
    });
    return { group: found(g, 'group', req.params.id), user: found(u, 'user', req.params.userId) };
  };

  app.get('/v3/groups', async (req) => {
    policy.authorize('identity:list_groups', callerOf(req));
    const where: SQL[] = [];
    const name = q(req, 'name');
    if (name !== undefined) where.push(eq(groups.name, name));
    const domainId = q(req, 'domain_id');
    if (domainId !== undefined) where.push(eq(groups.domainId, domainId));
    const rows = await db
      .select()
      .from(groups)
      .where(and(...where))
      .orderBy(groups.name, groups.id);
    return { groups: rows.map((g) => groupView(req, g)), links: listLinks(req) };
  });

  app.get<{ Params: { id: string } }>('/v3/groups/:id', async (req) => {
    const g = await load(req, 'identity:get_group');
    return { group: groupView(req, g) };
  });

  app.post('/v3/groups', async (req, reply) => {
    const caller = callerOf(req);
    policy.authorize('identity:create_group', caller);
    const { group: b } = parseBody(createSchema, req.body);
    const domainId = b.domain_id ?? caller.project?.domain.id ?? caller.domain?.id ?? 'default';
    if (!(await getDomain(db, domainId))) throw notFound('domain', domainId);
    const [row] = await storeOrConflict('group', () =>
      db
        .insert(groups)
        .values({
          id: newId(),
          name: b.name,
          domainId,
          description: b.description ?? '',
          extra: extraOf(b),
        })
        .returning(),
    );
    return reply.code(201).send({ group: groupView(req, row!) });
  });

  app.patch<{ Params: { id: string } }>('/v3/groups/:id', async (req) => {
    const cur = await load(req, 'identity:update_group');
    const { group: b } = parseBody(updateSchema, req.body);
    if (b.domain_id !== undefined && b.domain_id !== cur.domainId)
      throw invalid("The group's domain_id cannot be changed.", 'ValidationError');
    if (b.id !== undefined && b.id !== cur.id)
      throw invalid("The group's id cannot be changed.", 'ValidationError');
    const [row] = await storeOrConflict('group', () =>
      db
        .update(groups)
        .set({
          name: b.name ?? cur.name,
          description: b.description === undefined ? cur.description : (b.description ?? ''),
          extra: { ...cur.extra, ...extraOf(b) },
        })
        .where(eq(groups.id, cur.id))
        .returning(),
    );
    return { group: groupView(req, row!) };
  });

  app.delete<{ Params: { id: string } }>('/v3/groups/:id', async (req, reply) => {
    const cur = await load(req, 'identity:delete_group');
    const members = await deleteGroup(db, cur.id);
    // the members lose every role they held through the group
    for (const userId of members) await ctx.revoke({ userId });
    return reply.code(204).send();
  });

  // --- membership
  app.get<{ Params: { id: string } }>('/v3/groups/:id/users', async (req) => {
    const g = await load(req, 'identity:list_users_in_group');
    const rows = await listUsers(db, userFilterSql(userFiltersOf(req)), g.id);
    return { users: rows.map((u) => userView(req, u)), links: listLinks(req) };
  });

  app.put<{ Params: { id: string; userId: string } }>('/v3/groups/:id/users/:userId', async (req, reply) => {
    const { group, user } = await loadMembership(req, 'identity:add_user_to_group');
    await storeOrConflict('group membership', () => addMember(db, group.id, user.id));
    return reply.code(204).send();
  });

  // HEAD is Fastify's automatic HEAD of this GET: same checks, no body.
  app.get<{ Params: { id: string; userId: string } }>('/v3/groups/:id/users/:userId', async (req, reply) => {
    const { group, user } = await loadMembership(req, 'identity:check_user_in_group');
    if (!(await isMember(db, group.id, user.id)))
      throw notFound(`User ${user.id} is not a member of group ${group.id}.`);
    return reply.code(204).send();
  });

  app.delete<{ Params: { id: string; userId: string } }>(
    '/v3/groups/:id/users/:userId',
    async (req, reply) => {
      const { group, user } = await loadMembership(req, 'identity:remove_user_from_group');
      if (!(await removeMember(db, group.id, user.id)))
        throw notFound(`User ${user.id} is not a member of group ${group.id}.`);
      await ctx.revoke({ userId: user.id });
      return reply.code(204).send();
    },
  );
}

import { KumoError } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ImageContext } from '../context.js';
import { addMember, deleteMember, getMember, listMembers, updateMemberStatus } from '../db/members.repo.js';
import type { Caller } from '../domain/caller.js';
import { assertNoNul, MAX_MEMBERS } from '../domain/image-input.js';
import { MEMBER_STATUSES, type MemberStatus, memberView } from '../domain/image-view.js';
import { authorize, caller, imageTarget, visibleImage } from './access.js';

type Params = { Params: { id: string; member: string } };

const memberNotFound = (imageId: string, member: string) =>
  new KumoError('not_found', `Member ${member} not found for image ${imageId}.`);

/** The owner and admins see every member; a member sees only itself. */
const seesAllMembers = (c: Caller, owner: string | null) =>
  c.isAdmin || (c.project !== undefined && c.project === owner);

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new KumoError('invalid', 'The request body must be a JSON object.');
  assertNoNul(body);
  return body as Record<string, unknown>;
}

export function membersRoutes(app: FastifyInstance, ctx: ImageContext): void {
  app.get<{ Params: { id: string } }>('/v2/images/:id/members', async (req) => {
    const c = caller(ctx, req);
    const img = await visibleImage(ctx, c, req.params.id);
    authorize(ctx, 'get_members', c, imageTarget(img));
    const all = await listMembers(ctx.db, img.id);
    const shown = seesAllMembers(c, img.owner) ? all : all.filter((m) => m.memberId === c.project);
    return { members: shown.map(memberView), schema: '/v2/schemas/members' };
  });

  app.post<{ Params: { id: string } }>('/v2/images/:id/members', async (req) => {
    const c = caller(ctx, req);
    const img = await visibleImage(ctx, c, req.params.id);
    authorize(ctx, 'add_member', c, imageTarget(img));
    const body = bodyObject(req.body);
    const member = body.member;
    if (typeof member !== 'string' || member.length === 0 || member.length > 255)
      throw new KumoError(
        'invalid',
        `Invalid 'member': expected a project id (1 to 255 characters), got ${JSON.stringify(member)}.`,
      );
    if (img.visibility !== 'shared')
      throw new KumoError(
        'forbidden',
        `Image members can only be added to shared images; image ${img.id} is ${img.visibility}.`,
      );
    const res = await addMember(ctx.db, img.id, member, MAX_MEMBERS);
    if (res === 'exists')
      throw new KumoError('conflict', `Member ${member} already exists for image ${img.id}.`);
    if (res === 'quota')
      throw new KumoError('too_large', `Maximum number of image members exceeded: at most ${MAX_MEMBERS}.`);
    return memberView(res);
  });

  app.get<Params>('/v2/images/:id/members/:member', async (req) => {
    const c = caller(ctx, req);
    const img = await visibleImage(ctx, c, req.params.id);
    authorize(ctx, 'get_member', c, imageTarget(img));
    const m = await getMember(ctx.db, img.id, req.params.member);
    if (!m || (!seesAllMembers(c, img.owner) && m.memberId !== c.project))
      throw memberNotFound(img.id, req.params.member);
    return memberView(m);
  });

  app.put<Params>('/v2/images/:id/members/:member', async (req) => {
    const c = caller(ctx, req);
    const img = await visibleImage(ctx, c, req.params.id);
    const m = await getMember(ctx.db, img.id, req.params.member);
    if (!m || (!seesAllMembers(c, img.owner) && m.memberId !== c.project))
      throw memberNotFound(img.id, req.params.member);
    authorize(ctx, 'modify_member', c, { ...imageTarget(img), member: { member_id: m.memberId } });
    const status = bodyObject(req.body).status;
    if (typeof status !== 'string' || !MEMBER_STATUSES.includes(status as MemberStatus))
      throw new KumoError(
        'invalid',
        `Invalid 'status': ${JSON.stringify(status)}; expected one of ${MEMBER_STATUSES.join(', ')}.`,
      );
    const updated = await updateMemberStatus(ctx.db, img.id, m.memberId, status as MemberStatus);
    if (!updated) throw memberNotFound(img.id, req.params.member);
    return memberView(updated);
  });

  app.delete<Params>('/v2/images/:id/members/:member', async (req, reply) => {
    const c = caller(ctx, req);
    const img = await visibleImage(ctx, c, req.params.id);
    const m = await getMember(ctx.db, img.id, req.params.member);
    if (!m || (!seesAllMembers(c, img.owner) && m.memberId !== c.project))
      throw memberNotFound(img.id, req.params.member);
    authorize(ctx, 'delete_member', c, imageTarget(img));
    if (!(await deleteMember(ctx.db, img.id, m.memberId))) throw memberNotFound(img.id, req.params.member);
    return reply.code(204).send();
  });
}

import { randomUUID } from 'node:crypto';
import { KumoError } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ImageContext } from '../context.js';
import {
  addTag,
  deleteImage,
  insertImage,
  listImages,
  removeTag,
  setStatus,
  updateImage,
} from '../db/images.repo.js';
import type { Caller } from '../domain/caller.js';
import {
  applyPatch,
  type ImageFields,
  MAX_TAGS,
  parseCreate,
  parsePatch,
  validTag,
} from '../domain/image-input.js';
import { type ImageRecord, imageView } from '../domain/image-view.js';
import { nextLink, parseListQuery } from '../domain/list-query.js';
import { authorize, caller, imageNotFound, imageTarget, visibleImage } from './access.js';

type IdParams = { Params: { id: string } };
export const PATCH_TYPES = [
  'application/openstack-images-v2.1-json-patch',
  'application/openstack-images-v2.0-json-patch',
];

/** Policy checks for a change of visibility or owner (Glance's publicize/communitize rules). */
function authorizeChange(
  ctx: ImageContext,
  c: Caller,
  before: ImageFields | undefined,
  after: ImageFields,
): void {
  if (after.visibility !== before?.visibility) {
    if (after.visibility === 'public')
      authorize(ctx, 'publicize_image', c, imageTarget({ id: '', ...after }));
    if (after.visibility === 'community')
      authorize(ctx, 'communitize_image', c, imageTarget({ id: '', ...after }));
  }
  if (before && after.owner !== before.owner && !c.isAdmin)
    throw new KumoError('forbidden', `Attribute 'owner' can only be changed by an administrator.`);
}

export function imagesRoutes(app: FastifyInstance, ctx: ImageContext): void {
  app.post('/v2/images', async (req, reply) => {
    const c = caller(ctx, req);
    const input = parseCreate(req.body, c.project ?? null);
    authorize(ctx, 'add_image', c, imageTarget({ id: input.id ?? '', ...input }));
    authorizeChange(ctx, c, undefined, input);
    const id = input.id ?? randomUUID();
    const img = await insertImage(ctx.db, id, input);
    if (!img) throw new KumoError('conflict', `Image with identifier ${id} already exists!`);
    return reply.code(201).header('location', `${ctx.baseUrl}/v2/images/${id}`).send(imageView(img));
  });

  app.get('/v2/images', async (req) => {
    // GET /v2/images/ names an image with an empty id (404 in Glance), not the list
    if (req.url.split('?')[0]!.endsWith('/')) throw imageNotFound('');
    const c = caller(ctx, req);
    const raw = req.query as Record<string, string | string[]>;
    const q = parseListQuery(raw);
    const page = await listImages(ctx.db, c, q);
    if (!page) throw new KumoError('invalid', `Invalid marker: no image with ID ${q.marker}.`);
    const body: Record<string, unknown> = {
      images: page.map(imageView),
      first: '/v2/images',
      schema: '/v2/schemas/images',
    };
    if (q.limit > 0 && page.length === q.limit) body.next = nextLink(raw, page[page.length - 1]!.id);
    return body;
  });

  app.get<IdParams>('/v2/images/:id', async (req) => {
    const img = await visibleImage(ctx, caller(ctx, req), req.params.id);
    return imageView(img);
  });

  app.patch<IdParams>('/v2/images/:id', async (req) => {
    const c = caller(ctx, req);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!PATCH_TYPES.includes(type))
      throw new KumoError('unsupported_media', `Unsupported Content-Type '${type}': use ${PATCH_TYPES[0]}.`);
    const img = await visibleImage(ctx, c, req.params.id);
    authorize(ctx, 'modify_image', c, imageTarget(img));
    const ops = parsePatch(req.body);
    const updated = await updateImage(ctx.db, img.id, (current) => {
      const next = applyPatch(current, current.status, ops);
      authorizeChange(ctx, c, current, next);
      return next;
    });
    if (!updated) throw imageNotFound(img.id);
    return imageView(updated);
  });

  app.delete<IdParams>('/v2/images/:id', async (req, reply) => {
    const c = caller(ctx, req);
    const img = await visibleImage(ctx, c, req.params.id);
    authorize(ctx, 'delete_image', c, imageTarget(img));
    const res = await deleteImage(ctx.db, img.id);
    if (res === 'missing') throw imageNotFound(img.id);
    if (res === 'protected')
      throw new KumoError('forbidden', `Image ${img.id} is protected and cannot be deleted.`);
    await ctx.store.delete(img.id).catch((err) => {
      req.log.warn({ err, imageId: img.id }, 'image data could not be removed from the store');
    });
    return reply.code(204).send();
  });

  const transition = (action: 'deactivate' | 'reactivate') => async (img: ImageRecord) => {
    const [from, to] =
      action === 'deactivate'
        ? [['active', 'deactivated'] as const, 'deactivated' as const]
        : [['deactivated', 'active'] as const, 'active' as const];
    const done = await setStatus(ctx.db, img.id, [...from], to);
    if (!done) {
      throw new KumoError(
        'forbidden',
        `Not allowed to ${action} image in status '${img.status}': only ${from[0]} images can be ${action}d.`,
      );
    }
  };
  for (const action of ['deactivate', 'reactivate'] as const) {
    app.post<IdParams>(`/v2/images/:id/actions/${action}`, async (req, reply) => {
      const c = caller(ctx, req);
      const img = await visibleImage(ctx, c, req.params.id);
      authorize(ctx, action, c, imageTarget(img));
      await transition(action)(img);
      return reply.code(204).send();
    });
  }

  app.put<{ Params: { id: string; tag: string } }>('/v2/images/:id/tags/:tag', async (req, reply) => {
    const c = caller(ctx, req);
    const img = await visibleImage(ctx, c, req.params.id);
    authorize(ctx, 'modify_image', c, imageTarget(img));
    const tag = validTag(req.params.tag);
    const res = await addTag(ctx.db, img.id, tag, MAX_TAGS);
    if (res === 'missing') throw imageNotFound(img.id);
    if (res === 'quota')
      throw new KumoError('too_large', `Maximum number of tags exceeded: at most ${MAX_TAGS}.`);
    return reply.code(204).send();
  });

  app.delete<{ Params: { id: string; tag: string } }>('/v2/images/:id/tags/:tag', async (req, reply) => {
    const c = caller(ctx, req);
    const img = await visibleImage(ctx, c, req.params.id);
    authorize(ctx, 'modify_image', c, imageTarget(img));
    if (!(await removeTag(ctx.db, img.id, req.params.tag)))
      throw new KumoError('not_found', `Tag ${req.params.tag} not found on image ${img.id}.`);
    return reply.code(204).send();
  });
}

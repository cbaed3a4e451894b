import { callerOf, KumoError } from '@kumo/service-kit';
import type { FastifyRequest } from 'fastify';
import type { ImageContext } from '../context.js';
import { findVisibleImage } from '../db/images.repo.js';
import { type Caller, callerFrom } from '../domain/caller.js';
import { normalizeUuid, UUID } from '../domain/image-input.js';
import type { ImageRecord } from '../domain/image-view.js';

export const imageNotFound = (id: string) => new KumoError('not_found', `No image found with ID ${id}`);

export const caller = (ctx: ImageContext, req: FastifyRequest): Caller =>
  callerFrom(ctx.policy, callerOf(req));

/** A path id as stored; anything that is not a UUID names no image (404, as Glance). */
export function imageIdOf(raw: string): string {
  if (!UUID.test(raw)) throw imageNotFound(raw);
  return normalizeUuid(raw);
}

/** The image the caller may see, else 404 (never 403: unseen images do not exist for the caller). */
export async function visibleImage(ctx: ImageContext, c: Caller, rawId: string): Promise<ImageRecord> {
  const id = imageIdOf(rawId);
  const img = await findVisibleImage(ctx.db, id, c);
  if (!img) throw imageNotFound(id);
  return img;
}

export const imageTarget = (img: Pick<ImageRecord, 'id' | 'owner' | 'visibility'>) => ({
  image: { id: img.id, owner: img.owner, visibility: img.visibility },
});

export function authorize(
  ctx: ImageContext,
  action: string,
  c: Caller,
  target: Record<string, unknown>,
): void {
  ctx.policy.authorize(action, c.token, target);
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isKumoError, KumoError } from '@kumo/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ImageContext } from '../context.js';
import { abortUpload, beginUpload, finishUpload, getImage, touchUpload } from '../db/images.repo.js';
import { FormatGuard } from '../domain/formats.js';
import type { ImageRecord } from '../domain/image-view.js';
import { type ByteRange, StoreError, StoreNotFoundError } from '../store/image-store.js';

/** How often a running upload refreshes its image (see resetStaleUploads). */
export const UPLOAD_HEARTBEAT_MS = 30_000;

/**
 * Receive an image's data: queued → saving (only one upload wins), stream to the store while
 * hashing and checking the format, then saving → active. A client-side failure puts the image
 * back to queued; a store failure kills it.
 */
export async function receiveImageData(
  ctx: ImageContext,
  img: ImageRecord,
  req: FastifyRequest,
): Promise<ImageRecord> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/octet-stream')
    throw new KumoError(
      'unsupported_media',
      `Image data must be sent as application/octet-stream, not '${type}'.`,
    );
  if (!img.diskFormat || !img.containerFormat)
    throw new KumoError(
      'invalid',
      'Properties disk_format, container_format must be set prior to saving data.',
    );
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > ctx.maxBytes)
    throw new KumoError(
      'too_large',
      `Image data of ${declared} bytes exceeds the limit of ${ctx.maxBytes} bytes.`,
    );
  if (img.status !== 'queued')
    throw new KumoError('conflict', `Image status transition from ${img.status} to saving is not allowed.`);
  const uploadId = randomUUID();
  if (!(await beginUpload(ctx.db, img.id, uploadId))) {
    const now = await getImage(ctx.db, img.id);
    throw new KumoError(
      'conflict',
      now
        ? `Image status transition from ${now.status} to saving is not allowed.`
        : `Image ${img.id} was deleted.`,
    );
  }
  const raw: IncomingMessage = req.raw;
  const guard = new FormatGuard(img.diskFormat);
  // the store's pipeline reports the guard's error; until it attaches, nothing else may see it
  guard.on('error', () => undefined);
  // the request's failure (client gone) reaches the store through the guard; the guard's own
  // failure (bad format) only unpipes, so the client still gets its 4xx answer
  const interrupted = () => guard.destroy(new Error('upload interrupted'));
  raw.on('error', interrupted);
  raw.on('aborted', interrupted);
  let ended = false;
  raw.on('end', () => {
    ended = true;
  });
  raw.on('close', () => {
    if (!ended) interrupted();
  });
  raw.pipe(guard);
  let stored: Awaited<ReturnType<ImageContext['store']['put']>>;
  const heartbeat = setInterval(() => {
    touchUpload(ctx.db, img.id, uploadId).catch(() => undefined);
  }, UPLOAD_HEARTBEAT_MS);
  try {
    stored = await ctx.store.put(img.id, guard, { maxBytes: ctx.maxBytes });
  } catch (err) {
    const storeFailed = err instanceof StoreError;
    await abortUpload(ctx.db, img.id, uploadId, storeFailed ? 'killed' : 'queued');
    if (storeFailed) {
      req.log.error({ err, imageId: img.id }, 'image store failed during upload');
      throw new KumoError(
        'unavailable',
        `The image store failed to save the data of image ${img.id}; the image is killed.`,
      );
    }
    if (isKumoError(err)) throw err;
    throw new KumoError('invalid', `The upload of image ${img.id} was interrupted before all data arrived.`);
  } finally {
    clearInterval(heartbeat);
  }
  const virtualSize =
    guard.info.virtualSize ?? (img.diskFormat === 'raw' || img.diskFormat === 'iso' ? stored.size : null);
  const done = await finishUpload(ctx.db, img.id, uploadId, {
    size: stored.size,
    virtualSize,
    checksum: stored.md5,
    osHashValue: stored.sha512,
  });
  if (!done) {
    // deleted (or changed) while we were writing: the data belongs to no image
    if (!(await getImage(ctx.db, img.id))) await ctx.store.delete(img.id).catch(() => undefined);
    throw new KumoError('conflict', `Image ${img.id} was deleted or changed during the upload.`);
  }
  return done;
}

/** A single `bytes=` range against `size`; undefined = whole; 'bad' = unsatisfiable. */
function parseRange(header: string | undefined, size: number): ByteRange | undefined | 'bad' {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // not one we understand: send it all (RFC 9110)
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'bad';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'bad';
  return { start, end };
}

/** Stream an image's data: 204 when it has none, 206 for a range, else 200 with Content-MD5. */
export async function sendImageData(
  ctx: ImageContext,
  img: ImageRecord,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if ((img.status !== 'active' && img.status !== 'deactivated') || img.size === null)
    return reply.code(204).send();
  const size = img.size;
  const range = parseRange(req.headers.range, size);
  if (range === 'bad') {
    return reply
      .code(416)
      .header('content-range', `bytes */${size}`)
      .type('application/json')
      .send({
        code: 416,
        title: 'Requested Range Not Satisfiable',
        message: `Range ${req.headers.range} is outside 0-${size - 1}.`,
      });
  }
  let stream: Awaited<ReturnType<ImageContext['store']['get']>>;
  try {
    stream = await ctx.store.get(img.id, range);
  } catch (err) {
    if (err instanceof StoreNotFoundError)
      throw new KumoError('not_found', `Image data for ${img.id} not found in the store.`);
    throw err;
  }
  reply.header('content-type', 'application/octet-stream').header('accept-ranges', 'bytes');
  if (range) {
    reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
      .header('content-length', range.end - range.start + 1);
  } else {
    reply.code(200).header('content-length', size);
    if (img.checksum) reply.header('content-md5', img.checksum);
  }
  return reply.send(stream);
}

import type { Image, ImagePatchOp } from '@kumo/image';
import { invalid, isKumoError, KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { atLeast } from '../http/microversion.js';
import { nextLinks, q, qInt } from '../http/nova-request.js';
import { imageDetail, imageMetadata, imageSummary } from '../views/images.view.js';

/**
 * Nova's image proxy (`/v2.1/images`, deprecated): list, detail, show and
 * delete images and edit their metadata (custom properties), all through the
 * image service with the caller's own token, so its visibility and ownership
 * rules apply. Gone (404) from 2.36 on; the metadata calls from 2.39 on.
 */

type IdReq = FastifyRequest<{ Params: { id: string } }>;
type KeyReq = FastifyRequest<{ Params: { id: string; key: string } }>;

/** Nova's limit of image properties (the `metadata_items` quota). */
const MAX_METADATA_ITEMS = 128;
const KEY_RE = /^[a-zA-Z0-9-_:. ]{1,255}$/;
/** Glance's page size ceiling. */
const PAGE = 1000;
/** At most this many pages are read to fill one filtered page. */
const MAX_PAGES = 50;

const gone = () => new KumoError('not_found', 'The resource could not be found.');

function proxyGate(req: FastifyRequest, metadata = false): void {
  if (atLeast(req, metadata ? '2.39' : '2.36')) throw gone();
}

/** Image-service errors in Nova's words: an unknown (or invisible) image is "Image not found." */
async function proxied<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isKumoError(err) && err.kind === 'not_found') throw new KumoError('not_found', 'Image not found.');
    if (isKumoError(err) && err.kind === 'forbidden')
      throw new KumoError('forbidden', err.message.replace(/^image service: [^:]*: /, ''));
    throw err;
  }
}

const tokenOf = (req: FastifyRequest) => req.authToken ?? '';

/** Nova's list filters → the image service's query, plus what it cannot filter on (minDisk, minRam). */
function listFilters(req: FastifyRequest): {
  upstream: Record<string, string>;
  keep: (img: Image) => boolean;
} {
  const upstream: Record<string, string> = {};
  const query = (req.query ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(query))
    if (key.startsWith('property-') && key.length > 9) upstream[key.slice(9)] = q(req, key) ?? '';
  const name = q(req, 'name');
  if (name !== undefined) upstream.name = name;
  const status = q(req, 'status');
  if (status !== undefined) upstream.status = status.toLowerCase();
  const since = q(req, 'changes-since');
  if (since !== undefined) {
    const d = new Date(since);
    if (Number.isNaN(d.getTime()))
      throw invalid(`Invalid filter field: changes-since. '${since}' is not an ISO 8601 time.`);
    upstream.updated_at = `gte:${d.toISOString()}`;
  }
  const server = q(req, 'server');
  if (server !== undefined) upstream.instance_uuid = server.replace(/\/+$/, '').split('/').pop() ?? '';
  const type = q(req, 'type');
  if (type !== undefined) upstream.image_type = type;
  const minRam = qInt(req, 'minRam');
  const minDisk = qInt(req, 'minDisk');
  const keep = (img: Image) =>
    (minRam === undefined || Number(img.min_ram ?? 0) >= minRam) &&
    (minDisk === undefined || Number(img.min_disk ?? 0) >= minDisk);
  return { upstream, keep };
}

/** Reads pages of the image service until `limit` images pass the local filter (all of them without a limit). */
async function collect(ctx: ComputeContext, req: FastifyRequest) {
  const { upstream, keep } = listFilters(req);
  const limit = qInt(req, 'limit') || undefined;
  let marker = q(req, 'marker');
  const out: Image[] = [];
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await ctx.images.listImages(tokenOf(req), {
      ...upstream,
      limit: Math.min(limit ?? PAGE, PAGE),
      ...(marker ? { marker } : {}),
    });
    for (const img of page.images) if (keep(img)) out.push(img);
    if (limit !== undefined && out.length >= limit) return { images: out.slice(0, limit), limit };
    if (!page.next) break;
    marker = page.next;
  }
  return { images: out, limit };
}

async function list(ctx: ComputeContext, req: FastifyRequest, detail: boolean) {
  proxyGate(req);
  const { images, limit } = await collect(ctx, req);
  const base = ctx.rt.urls.image;
  const links = limit !== undefined ? nextLinks(req, images.length, limit, images.at(-1)?.id) : undefined;
  return {
    images: images.map((i) => (detail ? imageDetail(req, base, i) : imageSummary(req, base, i))),
    ...(links ? { images_links: links } : {}),
  };
}

/** A metadata object as Nova's schema takes it: keys of 1-255 safe characters, string values ≤ 255. */
function metadataOf(body: unknown, field: 'metadata' | 'meta'): Record<string, string> {
  const b = body as Record<string, unknown> | null;
  if (!b || typeof b !== 'object' || Array.isArray(b))
    throw invalid('The request body must be a JSON object.');
  for (const k of Object.keys(b))
    if (k !== field)
      throw invalid(`Invalid input for field/attribute ${k}. Additional properties are not allowed.`);
  const m = b[field];
  if (m === undefined)
    throw invalid(`Invalid input for field/attribute ${field}. '${field}' is a required property`);
  if (!m || typeof m !== 'object' || Array.isArray(m))
    throw invalid(
      `Invalid input for field/attribute ${field}. Value: ${JSON.stringify(m)}. It is not an object.`,
    );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) {
    if (!KEY_RE.test(k))
      throw invalid(
        `Invalid input for field/attribute ${field}. '${k}' is not a valid key: 1 to 255 of letters, digits, '-_:. '.`,
      );
    if (typeof v !== 'string' || v.length > 255)
      throw invalid(
        `Invalid input for field/attribute ${field}/${k}. Value: ${JSON.stringify(v)}. It is not a string of at most 255 characters.`,
      );
    out[k] = v;
  }
  return out;
}

const pointer = (key: string) => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** Sets `set` on the image's properties (removing `remove`), after Nova's metadata_items quota check. */
async function patchMetadata(
  ctx: ComputeContext,
  req: FastifyRequest,
  img: Image,
  set: Record<string, string>,
  remove: string[] = [],
): Promise<Image> {
  const current = imageMetadata(img);
  const after = { ...current, ...set };
  for (const k of remove) delete after[k];
  if (Object.keys(after).length > MAX_METADATA_ITEMS)
    throw new KumoError(
      'forbidden',
      `Quota exceeded for metadata_items: an image may have at most ${MAX_METADATA_ITEMS} metadata items.`,
    );
  const ops: ImagePatchOp[] = [
    ...remove.filter((k) => k in current).map((k): ImagePatchOp => ({ op: 'remove', path: pointer(k) })),
    ...Object.entries(set)
      .filter(([k, v]) => current[k] !== v)
      .map(([k, v]): ImagePatchOp => ({ op: k in img ? 'replace' : 'add', path: pointer(k), value: v })),
  ];
  if (!ops.length) return img;
  return proxied(() => ctx.images.updateImage(tokenOf(req), img.id, ops));
}

const getImage = (ctx: ComputeContext, req: FastifyRequest, id: string) =>
  proxied(() => ctx.images.getImage(tokenOf(req), id));

export function imageRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get('/v2.1/images', (req) => list(ctx, req, false));
  app.get('/v2.1/images/detail', (req) => list(ctx, req, true));

  app.get('/v2.1/images/:id', async (req: IdReq) => {
    proxyGate(req);
    return { image: imageDetail(req, ctx.rt.urls.image, await getImage(ctx, req, req.params.id)) };
  });

  app.delete('/v2.1/images/:id', async (req: IdReq, reply) => {
    proxyGate(req);
    await proxied(() => ctx.images.deleteImage(tokenOf(req), req.params.id));
    return reply.code(204).send();
  });

  app.get('/v2.1/images/:id/metadata', async (req: IdReq) => {
    proxyGate(req, true);
    return { metadata: imageMetadata(await getImage(ctx, req, req.params.id)) };
  });

  // POST merges into the metadata, PUT replaces all of it
  app.post('/v2.1/images/:id/metadata', async (req: IdReq) => {
    proxyGate(req, true);
    const set = metadataOf(req.body, 'metadata');
    const img = await getImage(ctx, req, req.params.id);
    return { metadata: imageMetadata(await patchMetadata(ctx, req, img, set)) };
  });

  app.put('/v2.1/images/:id/metadata', async (req: IdReq) => {
    proxyGate(req, true);
    const set = metadataOf(req.body, 'metadata');
    const img = await getImage(ctx, req, req.params.id);
    const remove = Object.keys(imageMetadata(img)).filter((k) => !(k in set));
    return { metadata: imageMetadata(await patchMetadata(ctx, req, img, set, remove)) };
  });

  app.get('/v2.1/images/:id/metadata/:key', async (req: KeyReq) => {
    proxyGate(req, true);
    const meta = imageMetadata(await getImage(ctx, req, req.params.id));
    const value = meta[req.params.key];
    if (value === undefined) throw new KumoError('not_found', 'Invalid metadata key');
    return { meta: { [req.params.key]: value } };
  });

  app.put('/v2.1/images/:id/metadata/:key', async (req: KeyReq) => {
    proxyGate(req, true);
    const meta = metadataOf(req.body, 'meta');
    const keys = Object.keys(meta);
    if (keys.length !== 1)
      throw invalid(
        keys.length ? 'Request body contains too many items' : 'Request body must hold exactly one item',
      );
    if (keys[0] !== req.params.key) throw invalid('Request body and URI mismatch');
    const img = await getImage(ctx, req, req.params.id);
    await patchMetadata(ctx, req, img, meta);
    return { meta };
  });

  app.delete('/v2.1/images/:id/metadata/:key', async (req: KeyReq, reply) => {
    proxyGate(req, true);
    const img = await getImage(ctx, req, req.params.id);
    if (!(req.params.key in imageMetadata(img))) throw new KumoError('not_found', 'Invalid metadata key');
    await patchMetadata(ctx, req, img, {}, [req.params.key]);
    return reply.code(204).send();
  });
}

import { KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ImageContext } from '../context.js';
import { getImage } from '../db/images.repo.js';
import type { SignedMethod } from '../domain/url-signing.js';
import { authorize, caller, imageIdOf, imageNotFound } from './access.js';
import { receiveImageData, sendImageData } from './image-transfer.js';

type IdParams = { Params: { id: string } };
type SignedParams = IdParams & { Querystring: { expires?: string; sig?: string } };

/**
 * Kumo-native endpoints for the compute service and host agents: signed, token-less URLs to
 * download an active image's data or upload the data of a queued one (server snapshots).
 */
export function kumoRoutes(app: FastifyInstance, ctx: ImageContext): void {
  const issue = async (
    req: FastifyRequest<IdParams>,
    method: SignedMethod,
    wantStatus: 'active' | 'queued',
  ) => {
    const c = caller(ctx, req);
    authorize(ctx, 'kumo:image_transfer_url', c, {});
    const id = imageIdOf(req.params.id);
    const img = await getImage(ctx.db, id);
    if (!img) throw imageNotFound(id);
    if (img.status !== wantStatus)
      throw new KumoError(
        'conflict',
        `Image ${id} is ${img.status}; a ${method === 'GET' ? 'download' : 'upload'} URL needs it ${wantStatus}.`,
      );
    const expires = Math.floor(Date.now() / 1000) + ctx.urlTtlSeconds;
    const sig = ctx.signer.sign(method, id, expires);
    return {
      url: `${ctx.baseUrl}/kumo/v1/image-files/${id}?expires=${expires}&sig=${sig}`,
      expires_at: new Date(expires * 1000).toISOString(),
    };
  };
  app.post<IdParams>('/kumo/v1/images/:id/download-url', (req) => issue(req, 'GET', 'active'));
  app.post<IdParams>('/kumo/v1/images/:id/upload-url', (req) => issue(req, 'PUT', 'queued'));

  app.get<SignedParams>('/kumo/v1/image-files/:id', { config: { auth: false } }, async (req, reply) => {
    const id = imageIdOf(req.params.id);
    ctx.signer.verify('GET', id, req.query.expires, req.query.sig);
    const img = await getImage(ctx.db, id);
    if (!img) throw imageNotFound(id);
    if (img.status !== 'active') throw new KumoError('conflict', `Image ${id} is ${img.status}, not active.`);
    return sendImageData(ctx, img, req, reply);
  });

  app.put<SignedParams>('/kumo/v1/image-files/:id', { config: { auth: false } }, async (req, reply) => {
    const id = imageIdOf(req.params.id);
    ctx.signer.verify('PUT', id, req.query.expires, req.query.sig);
    const img = await getImage(ctx.db, id);
    if (!img) throw imageNotFound(id);
    await receiveImageData(ctx, img, req);
    return reply.code(204).send();
  });
}

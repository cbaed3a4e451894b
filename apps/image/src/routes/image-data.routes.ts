import { KumoError } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ImageContext } from '../context.js';
import { authorize, caller, imageTarget, visibleImage } from './access.js';
import { receiveImageData, sendImageData } from './image-transfer.js';

type IdParams = { Params: { id: string } };

export function imageDataRoutes(app: FastifyInstance, ctx: ImageContext): void {
  app.put<IdParams>('/v2/images/:id/file', async (req, reply) => {
    const c = caller(ctx, req);
    const img = await visibleImage(ctx, c, req.params.id);
    authorize(ctx, 'upload_image', c, imageTarget(img));
    await receiveImageData(ctx, img, req);
    return reply.code(204).send();
  });

  app.get<IdParams>('/v2/images/:id/file', async (req, reply) => {
    const c = caller(ctx, req);
    const img = await visibleImage(ctx, c, req.params.id);
    authorize(ctx, 'download_image', c, imageTarget(img));
    if (img.status === 'deactivated' && !c.isAdmin)
      throw new KumoError(
        'forbidden',
        'The requested image has been deactivated. Image data download is forbidden.',
      );
    return sendImageData(ctx, img, req, reply);
  });
}

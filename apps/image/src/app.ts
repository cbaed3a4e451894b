import { createServiceApp, KumoError, type TokenValidator } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ImageContext } from './context.js';
import { imageDataRoutes } from './routes/image-data.routes.js';
import { imagesRoutes, PATCH_TYPES } from './routes/images.routes.js';
import { kumoRoutes } from './routes/kumo.routes.js';
import { membersRoutes } from './routes/members.routes.js';
import { metaRoutes } from './routes/meta.routes.js';
import { metadefsRoutes } from './routes/metadefs.routes.js';

export interface ImageAppOptions {
  validator: TokenValidator;
  authUri?: string;
  readiness?: () => Promise<void>;
}

/** The image (Glance v2) app. Never listens: the caller does, tests inject. */
export function buildImageApp(ctx: ImageContext, opts: ImageAppOptions): FastifyInstance {
  const app = createServiceApp({
    service: 'image',
    logger: ctx.log,
    errorFormat: 'glance',
    validator: opts.validator,
    authUri: opts.authUri,
    readiness: opts.readiness,
  });
  // JSON-patch bodies (PATCH /v2/images/{id}) are JSON under Glance's media types
  app.addContentTypeParser(PATCH_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(new KumoError('invalid', 'The patch body is empty.'), undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new KumoError('invalid', 'Malformed request body: the patch is not valid JSON.'), undefined);
    }
  });
  // image data is streamed by the route itself (never buffered, never limited by bodyLimit)
  app.addContentTypeParser('application/octet-stream', (_req, _payload, done) => done(null, undefined));
  metaRoutes(app, ctx);
  imagesRoutes(app, ctx);
  imageDataRoutes(app, ctx);
  membersRoutes(app, ctx);
  metadefsRoutes(app, ctx);
  kumoRoutes(app, ctx);
  return app;
}

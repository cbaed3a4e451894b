import { join } from 'node:path';
import { openServiceBase, Policy, type ServiceRuntime } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import { buildImageApp } from './app.js';
import type { ImageConfig } from './config.js';
import type { ImageContext } from './context.js';
import { openImageDb } from './db/database.js';
import { resetStaleUploads } from './db/images.repo.js';
import { imagePolicyDefaults } from './domain/policy-defaults.js';
import { UrlSigner } from './domain/url-signing.js';
import { FilesystemStore } from './store/filesystem.store.js';
import type { ImageStore } from './store/image-store.js';

export interface ImageService {
  app: FastifyInstance;
  ctx: ImageContext;
  store: ImageStore;
  /** Put images whose upload died (no heartbeat for STALE_UPLOAD_MS) back to queued; runs every minute. */
  reconcile(): Promise<string[]>;
  close(): Promise<void>;
}

/** Ten missed heartbeats of a running upload. */
export const STALE_UPLOAD_MS = 5 * 60_000;

/** Build the image service on the shared runtime: database, store, signing key, app. Does not listen. */
export async function createImageService(rt: ServiceRuntime, env: ImageConfig): Promise<ImageService> {
  const base = await openServiceBase(rt, 'image');
  try {
    const store = new FilesystemStore(env.KUMO_IMAGE_STORE_DIR ?? join(rt.home, 'image-store'));
    // temporaries older than a day are left-overs of a crash mid-upload
    void store.sweepTemporaries(24 * 3600_000).catch(() => undefined);
    const ctx: ImageContext = {
      log: rt.log,
      db: openImageDb(base.pool),
      policy: new Policy(imagePolicyDefaults),
      store,
      signer: UrlSigner.fromKeyFile(join(rt.home, 'image', 'url-signing.key')),
      maxBytes: env.KUMO_IMAGE_MAX_BYTES,
      urlTtlSeconds: env.KUMO_IMAGE_URL_TTL_SECONDS,
      baseUrl: rt.urls.image.replace(/\/+$/, ''),
    };
    const app = buildImageApp(ctx, {
      validator: base.validation.validator,
      authUri: `${rt.urls.identity.replace(/\/+$/, '')}/v3`,
      readiness: async () => {
        await base.pool.query('SELECT 1');
      },
    });
    const reconcile = async () => {
      const ids = await resetStaleUploads(ctx.db, STALE_UPLOAD_MS);
      if (ids.length) rt.log.warn({ imageIds: ids }, 'uploads that stopped were reset to queued');
      return ids;
    };
    const timer = setInterval(() => {
      reconcile().catch((err) => rt.log.warn({ err }, 'stale upload reconciliation failed'));
    }, 60_000);
    timer.unref();
    return {
      app,
      ctx,
      store,
      reconcile,
      async close() {
        clearInterval(timer);
        await app.close();
        await base.close();
      },
    };
  } catch (err) {
    await base.close();
    throw err;
  }
}

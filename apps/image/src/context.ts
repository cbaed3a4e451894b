import type { Logger, Policy } from '@kumo/service-kit';
import type { ImageDb } from './db/images.repo.js';
import type { UrlSigner } from './domain/url-signing.js';
import type { ImageStore } from './store/image-store.js';

/** Everything the image routes need, built once by createImageService (or a test). */
export interface ImageContext {
  log: Logger;
  db: ImageDb;
  policy: Policy;
  store: ImageStore;
  signer: UrlSigner;
  /** Largest image accepted, in bytes. */
  maxBytes: number;
  urlTtlSeconds: number;
  /** This service's public base URL (no version), for version links and signed URLs. */
  baseUrl: string;
}

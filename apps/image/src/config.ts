import { envInt } from '@kumo/service-kit';
import { z } from 'zod';

const GiB = 1024 ** 3;

/** The image service's settings (its own KUMO_IMAGE_* variables), parsed once at start. */
export const imageConfigSchema = z.object({
  KUMO_IMAGE_PORT: envInt(9292, 1, 65535),
  /** Where the filesystem store keeps image data; default `<KUMO_HOME>/image-store`. */
  KUMO_IMAGE_STORE_DIR: z.string().min(1).optional(),
  /** Largest image the service accepts, in bytes (64 GiB). */
  KUMO_IMAGE_MAX_BYTES: envInt(64 * GiB, 1),
  /** Lifetime of the signed download/upload URLs handed to services and agents. */
  KUMO_IMAGE_URL_TTL_SECONDS: envInt(3600, 10, 7 * 24 * 3600),
});

export type ImageConfig = z.infer<typeof imageConfigSchema>;

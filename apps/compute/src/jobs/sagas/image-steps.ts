import * as P from '@kumo/agent-proto';
import type { AgentPort } from '../../agents/connector.js';
import type { GlanceImage } from '../domain-spec.js';
import { type SagaRun, StepFailed } from '../saga-run.js';

/** The image a server boots from, checked usable (active, with a sha512 to verify the download against). */
export async function fetchImage(run: SagaRun, token: string, imageId: string | null): Promise<GlanceImage> {
  if (!imageId)
    throw new StepFailed(
      'fetch_image',
      `server ${run.serverId} has no image (boot from volume is not supported)`,
      false,
    );
  let image: GlanceImage;
  try {
    image = (await run.ctx.images.getImage(token, imageId)) as GlanceImage;
  } catch (err) {
    throw new StepFailed(
      'fetch_image',
      `image ${imageId} could not be read: ${(err as Error).message}`,
      false,
    );
  }
  if (image.status && image.status !== 'active')
    throw new StepFailed('fetch_image', `image ${imageId} is ${image.status}, not active`, false);
  if (!image.os_hash_value || (image.os_hash_algo && image.os_hash_algo !== 'sha512'))
    throw new StepFailed('fetch_image', `image ${imageId} has no sha512 hash to verify its download`, false);
  return image;
}

/**
 * Step `ensure_image`: the host caches the image, downloading it from a URL
 * the image service signs and verifying its sha512. Returns the cached image
 * (its virtual size sizes the root disk).
 */
export function ensureImageOnHost(
  run: SagaRun,
  agent: AgentPort,
  token: string,
  image: GlanceImage,
): Promise<P.CachedImage | undefined> {
  return run.step('ensure_image', async () => {
    const { url } = await run.ctx.images.downloadUrl(token, image.id);
    const res = await agent.storage.ensureImage(
      {
        imageId: image.id,
        url,
        checksum: String(image.os_hash_value),
        checksumAlgo: P.ChecksumAlgo.SHA512,
        ...(image.size ? { sizeBytes: Number(image.size) } : {}),
      },
      run.call(),
    );
    return res.image;
  });
}

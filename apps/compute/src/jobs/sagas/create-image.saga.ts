import * as P from '@kumo/agent-proto';
import type { AgentPort } from '../../agents/connector.js';
import { rootDiskId } from '../domain-spec.js';
import { type SagaRun, StepFailed } from '../saga-run.js';

type ExportDisk = AgentPort['storage']['exportDisk'];

/** The agent's `storage.exportDisk`; undefined on an (older) agent without it. */
function exporter(agent: AgentPort): ExportDisk | undefined {
  const fn = (agent.storage as Partial<AgentPort['storage']>).exportDisk;
  return typeof fn === 'function' ? fn.bind(agent.storage) : undefined;
}

/**
 * createImage: the agent streams the root disk as qcow2 to the image service's
 * signed upload URL of the image the API created (queued). A failure deletes
 * that image, so no half-made image remains; the server itself is unchanged.
 */
export async function createImageSaga(run: SagaRun): Promise<void> {
  const { ctx } = run;
  const { imageId } = run.task.params as { imageId: string };
  const token = await ctx.rt.serviceToken();
  run.undo.add('delete image', () => ctx.images.deleteImage(token, imageId));
  const agent = await run.agent('snapshot');
  const exportDisk = exporter(agent);
  if (!exportDisk)
    throw new StepFailed(
      'snapshot',
      'the host agent cannot export disks (storage.exportDisk is missing)',
      false,
    );
  await run.advance('image_uploading');
  await run.step('upload_image', async () => {
    const { url } = await ctx.images.uploadUrl(token, imageId);
    await exportDisk(
      { diskId: rootDiskId(run.serverId), url, format: P.DiskFormat.QCOW2 },
      run.call(60 * 60_000),
    );
  });
  await run.settle({});
}

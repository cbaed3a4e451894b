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
  const { imageId, backup } = run.task.params as {
    imageId: string;
    backup?: { type: string; rotation: number };
  };
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
  if (backup) await run.step('rotate_backups', () => rotateBackups(run, token, backup));
  await run.settle({});
}

/**
 * createBackup's rotation (as Nova's compute manager, after the upload): the server's backups of this type,
 * newest first; all but the first `rotation` are deleted.
 */
async function rotateBackups(run: SagaRun, token: string, backup: { type: string; rotation: number }) {
  const { ctx } = run;
  // a failed rotation leaves old backups behind but does not undo the new one
  const { images } = await ctx.images
    .listImages(token, {
      instance_uuid: run.serverId,
      image_type: 'backup',
      backup_type: backup.type,
      sort: 'created_at:desc',
      limit: 1000,
    })
    .catch((err: unknown) => {
      run.log.warn({ err }, 'could not list the backups to rotate');
      return { images: [] };
    });
  for (const old of images.slice(backup.rotation)) {
    await ctx.images.deleteImage(token, old.id).catch((err: unknown) => {
      // already gone is fine; anything else is logged, not fatal (the backup itself succeeded)
      if ((err as { kind?: string }).kind !== 'not_found')
        run.log.warn({ err, imageId: old.id }, 'could not delete an old backup during rotation');
    });
  }
}

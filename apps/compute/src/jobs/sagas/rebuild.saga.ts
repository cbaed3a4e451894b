import { metadataOf } from '../../db/worker.repo.js';
import { POWER } from '../../domain/states.js';
import { domainSpec, imageProperties, rootDiskBytes, rootDiskId } from '../domain-spec.js';
import type { SagaRun } from '../saga-run.js';
import { ensureImageOnHost, fetchImage } from './image-steps.js';
import { plugVifs } from './network-steps.js';
import { stopDomain } from './power.saga.js';

/**
 * Rebuild on the same host: stop, cache the new image, replace the root disk
 * with one from the new image, redefine the domain (new config drive), start
 * again unless the server was stopped. The old disk is gone once replaced, so
 * a failure past that point leaves the server in ERROR (as Nova does).
 */
export async function rebuildSaga(run: SagaRun): Promise<void> {
  const { ctx } = run;
  const params = run.task.params as { imageId: string; name?: string };
  const wasStopped = run.server.vmState === 'stopped';
  const token = await ctx.rt.serviceToken();
  const image = await run.step('fetch_image', () => fetchImage(run, token, params.imageId));
  const agent = await run.agent('stop');

  const cached = await ensureImageOnHost(run, agent, token, image);

  await stopDomain(run);
  await run.advance('rebuild_spawning', { imageId: image.id, ...(params.name ? { name: params.name } : {}) });
  const flavor = run.server.flavor;
  await run.step('replace_disk', async () => {
    const diskId = rootDiskId(run.serverId);
    await agent.storage.deleteDisk({ diskId }, run.call(120_000));
    await agent.storage.ensureDiskFromImage(
      { diskId, imageId: image.id, sizeBytes: rootDiskBytes(flavor, image, cached?.virtualSizeBytes) },
      run.call(),
    );
  });
  const net = await plugVifs(run, agent, { undo: false });
  await run.step('ensure_domain', async () => {
    const meta = await metadataOf(ctx.db, run.serverId);
    await agent.compute.ensureDomain(
      { spec: domainSpec(run.server, flavor, imageProperties(image), meta, net) },
      run.call(),
    );
  });
  if (wasStopped) {
    await run.settle({ vmState: 'stopped', powerState: POWER.shutdown });
    return;
  }
  await run.step('start', () => agent.compute.startDomain({ instanceId: run.serverId }, run.call()));
  await run.settle({ vmState: 'active', powerState: POWER.running, launchedAt: new Date() });
}

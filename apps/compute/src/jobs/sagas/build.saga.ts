import type { ScheduleBody } from '@kumo/scheduler';
import { metadataOf, patchServer, serverGroupOf } from '../../db/worker.repo.js';
import { requestedNics } from '../../domain/server-networks.js';
import { POWER } from '../../domain/states.js';
import {
  domainSpec,
  flavorResources,
  type GlanceImage,
  imageProperties,
  rootDiskBytes,
  rootDiskId,
} from '../domain-spec.js';
import { type SagaRun, StepFailed } from '../saga-run.js';
import { ensureImageOnHost, fetchImage } from './image-steps.js';
import { allocateNetworks, plugVifs } from './network-steps.js';

type GroupPolicy = NonNullable<ScheduleBody['group']>['policy'];

/**
 * Boot: claim → host → ports created/bound (networking) → image cached → root
 * disk → VIFs plugged → domain (NICs, config drive) → start → ACTIVE. Every agent call is an `ensure…`, so a re-run after a crash
 * repeats nothing twice; each side effect registers its undo.
 */
export async function buildSaga(run: SagaRun): Promise<void> {
  const { ctx } = run;
  const s = run.server;
  const flavor = s.flavor;
  const token = await ctx.rt.serviceToken();

  const image: GlanceImage = await run.step('fetch_image', () => fetchImage(run, token, s.imageId));
  const props = imageProperties(image);

  const placed = await run.step('claim', async () => {
    const resources = flavorResources(flavor);
    if (s.host) {
      // a re-run: the claim was made and recorded; make sure it still holds on that host
      await ctx.scheduler.claimOnHost(s.id, {
        host: s.host,
        resources,
        project_id: s.projectId,
        user_id: s.userId,
      });
      return { host: s.host, availabilityZone: s.availabilityZone };
    }
    const group = s.serverGroupId ? await serverGroupOf(ctx.db, s.serverGroupId) : undefined;
    const forceHost = (run.task.params as { forceHost?: string }).forceHost;
    try {
      const picked = await ctx.scheduler.schedule({
        consumer_id: s.id,
        project_id: s.projectId,
        user_id: s.userId,
        resources,
        ...(s.availabilityZone ? { availability_zone: s.availabilityZone } : {}),
        image_properties: props,
        ...(group ? { group: { id: group.id, policy: group.policy as GroupPolicy } } : {}),
        image_id: image.id,
        ...(forceHost ? { force_host: forceHost } : {}),
      });
      return { host: picked.host, availabilityZone: picked.availability_zone };
    } catch (err) {
      // No valid host: the scheduler's message says which filter removed how many hosts
      throw new StepFailed('claim', (err as Error).message, false);
    }
  });
  run.undo.add('release allocation', () => ctx.scheduler.release(s.id));

  const { host } = placed;
  const withNics = requestedNics(s.networks).length > 0;
  // as Nova: a server asked for no zone lands in its host's zone, and shows it
  await run.advance(withNics ? 'networking' : 'block_device_mapping', {
    host,
    ...(s.availabilityZone ? {} : { availabilityZone: placed.availabilityZone ?? null }),
  });
  run.undo.add('clear host', () => patchServer(ctx.db, s.id, { host: null }));
  if (withNics) {
    // ports bound to the host before anything starts there (Nova allocates networks first)
    await allocateNetworks(run, host);
    await run.advance('block_device_mapping');
  }
  const agent = await run.agent('ensure_image');

  const cached = await ensureImageOnHost(run, agent, token, image);

  await run.step('create_disk', async () => {
    const sizeBytes = rootDiskBytes(flavor, image, cached?.virtualSizeBytes);
    run.undo.add('delete root disk', () =>
      agent.storage.deleteDisk({ diskId: rootDiskId(s.id) }, run.call(60_000)),
    );
    await agent.storage.ensureDiskFromImage(
      { diskId: rootDiskId(s.id), imageId: image.id, sizeBytes },
      run.call(),
    );
  });

  await run.advance('spawning');
  const net = await plugVifs(run, agent, { undo: true });
  await run.step('ensure_domain', async () => {
    const meta = await metadataOf(ctx.db, s.id);
    run.undo.add('destroy domain', () =>
      agent.compute.destroyDomain({ instanceId: s.id }, run.call(120_000)),
    );
    await agent.compute.ensureDomain({ spec: domainSpec(run.server, flavor, props, meta, net) }, run.call());
  });

  await run.step('start', () => agent.compute.startDomain({ instanceId: s.id }, run.call()));

  await run.settle({
    vmState: 'active',
    powerState: POWER.running,
    launchedAt: new Date(),
    fault: null,
    progress: 100,
  });
}

import type { AgentPort } from '../../agents/connector.js';
import { closeMigrations, recordMigration, setMigrationStatus } from '../../db/migrations.repo.js';
import { metadataOf } from '../../db/worker.repo.js';
import type { FlavorSnapshot } from '../../domain/server-record.js';
import { POWER } from '../../domain/states.js';
import {
  domainSpec,
  flavorResources,
  GiB,
  type GlanceImage,
  type GuestNetwork,
  imageProperties,
  rootDiskId,
} from '../domain-spec.js';
import type { SagaRun } from '../saga-run.js';
import { plugVifs } from './network-steps.js';
import { stopDomain } from './power.saga.js';

/** The boot image's properties, or none when the image is gone (they only tune the domain). */
async function bootImageProps(run: SagaRun): Promise<Record<string, string>> {
  if (!run.server.imageId) return {};
  try {
    const token = await run.ctx.rt.serviceToken();
    return imageProperties((await run.ctx.images.getImage(token, run.server.imageId)) as GlanceImage);
  } catch {
    return {};
  }
}

/** The flavor as servers embed it (the API may hand over a whole flavor row). */
function snapshotOf(f: FlavorSnapshot): FlavorSnapshot {
  return {
    id: f.id,
    name: f.name,
    vcpus: f.vcpus,
    ramMb: f.ramMb,
    diskGb: f.diskGb,
    ephemeralGb: f.ephemeralGb ?? 0,
    swapMb: f.swapMb ?? 0,
    extraSpecs: f.extraSpecs ?? {},
  };
}

/** The allocation on the server's host becomes `flavor`'s amounts (the scheduler swaps them atomically). */
function claim(run: SagaRun, flavor: FlavorSnapshot) {
  return run.ctx.scheduler.claimOnHost(run.serverId, {
    host: run.server.host!,
    resources: flavorResources(flavor),
    project_id: run.server.projectId,
    user_id: run.server.userId,
  });
}

/** Stop, redefine with `flavor`'s vCPUs and RAM, start (when `start`). */
async function redefine(
  run: SagaRun,
  agent: AgentPort,
  flavor: FlavorSnapshot,
  start: boolean,
  known?: GuestNetwork,
): Promise<void> {
  const props = await bootImageProps(run);
  const net = known ?? (await plugVifs(run, agent, { undo: false }));
  await run.step('ensure_domain', async () => {
    const meta = await metadataOf(run.ctx.db, run.serverId);
    await agent.compute.ensureDomain({ spec: domainSpec(run.server, flavor, props, meta, net) }, run.call());
  });
  if (start)
    await run.step('start', () => agent.compute.startDomain({ instanceId: run.serverId }, run.call()));
}

/**
 * Resize on the same host: claim the new flavor (replacing the old amounts),
 * stop, grow the root disk, redefine, start → VERIFY_RESIZE. A disk never
 * shrinks; a revert keeps the grown disk.
 */
export async function resizeSaga(run: SagaRun): Promise<void> {
  const next = snapshotOf((run.task.params as { flavor: FlavorSnapshot }).flavor);
  const old = run.server.oldFlavor ?? run.server.flavor;
  const wasRunning = run.server.vmState !== 'stopped';
  // the os-migrations record: `finished` at VERIFY_RESIZE, `error` when the resize fails
  await recordMigration(run.ctx.db, {
    taskId: run.task.id,
    serverId: run.serverId,
    projectId: run.server.projectId,
    userId: run.server.userId,
    migrationType: 'resize',
    sourceCompute: run.server.host,
    destCompute: run.server.host,
    oldFlavorId: old.id,
    newFlavorId: next.id,
  });
  run.undo.add('migration error', () => setMigrationStatus(run.ctx.db, run.task.id, 'error'));
  await run.step('claim', () => claim(run, next));
  run.undo.add('restore allocation', () => claim(run, old));
  const agent = await run.agent('stop');
  await stopDomain(run);
  if (wasRunning)
    run.undo.add('restart', () => agent.compute.startDomain({ instanceId: run.serverId }, run.call()));
  await run.advance('resize_migrating');
  if (next.diskGb > 0) {
    await run.step('resize_disk', async () => {
      const disk = (await agent.storage.getDisk({ diskId: rootDiskId(run.serverId) }, run.call())).disk;
      if (disk && disk.sizeBytes < next.diskGb * GiB)
        await agent.storage.resizeDisk(
          { diskId: rootDiskId(run.serverId), sizeBytes: next.diskGb * GiB },
          run.call(),
        );
    });
  }
  await run.advance('resize_finish');
  const props = await bootImageProps(run);
  const net = await plugVifs(run, agent, { undo: false });
  run.undo.add('restore domain', async () => {
    const meta = await metadataOf(run.ctx.db, run.serverId);
    await agent.compute.stopDomain({ instanceId: run.serverId, force: true }, run.call());
    await agent.compute.ensureDomain({ spec: domainSpec(run.server, old, props, meta, net) }, run.call());
  });
  await redefine(run, agent, next, wasRunning, net);
  await setMigrationStatus(run.ctx.db, run.task.id, 'finished');
  await run.settle({
    vmState: 'resized',
    powerState: wasRunning ? POWER.running : POWER.shutdown,
    flavor: next,
    oldFlavor: old,
  });
}

/** Confirm: the new flavor stays; the old one is forgotten (the allocation already holds the new amounts). */
export async function confirmResizeSaga(run: SagaRun): Promise<void> {
  await run.step('confirm_resize', async () => {});
  await closeMigrations(run.ctx.db, run.serverId, 'confirmed');
  await run.settle({
    vmState: run.server.powerState === POWER.shutdown ? 'stopped' : 'active',
    oldFlavor: null,
  });
}

/** Revert: back to the old flavor and its allocation; the grown disk stays grown (no shrink). */
export async function revertResizeSaga(run: SagaRun): Promise<void> {
  const old = run.server.oldFlavor;
  if (!old) {
    await run.settle({ vmState: 'active' });
    return;
  }
  const current = run.server.flavor;
  const wasRunning = run.server.powerState !== POWER.shutdown;
  await run.step('claim', () => claim(run, old));
  run.undo.add('restore allocation', () => claim(run, current));
  const agent = await run.agent('stop');
  await stopDomain(run);
  await redefine(run, agent, old, wasRunning);
  await closeMigrations(run.ctx.db, run.serverId, 'reverted');
  await run.settle({
    vmState: wasRunning ? 'active' : 'stopped',
    powerState: wasRunning ? POWER.running : POWER.shutdown,
    flavor: old,
    oldFlavor: null,
  });
}

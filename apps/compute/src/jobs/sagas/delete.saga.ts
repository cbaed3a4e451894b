import { interfacesOf } from '../../db/server-interfaces.repo.js';
import { patchServer } from '../../db/worker.repo.js';
import { POWER } from '../../domain/states.js';
import { rootDiskId } from '../domain-spec.js';
import { type SagaRun, StepFailed } from '../saga-run.js';
import { releaseNetworks } from './network-steps.js';

export type DeleteOutcome = 'done' | { retry: string };

/**
 * Delete: destroy the domain, delete its disks, remove its VIFs, delete the
 * ports compute created and unbind the user's, release the allocation, mark
 * the server deleted. A host that does not answer does not keep the user
 * waiting: the allocation goes at once and the server shows deleted, while the
 * task stays pending and retries (with backoff) the host cleanup until the
 * host returns.
 */
export async function deleteSaga(run: SagaRun): Promise<DeleteOutcome> {
  const { ctx } = run;
  const s = run.server;
  let unreachable: string | undefined;
  const nics = await interfacesOf(ctx.db, s.id);

  if (s.host) {
    try {
      const agent = await run.step('destroy_domain', async () => {
        const a = await run.agent('destroy_domain');
        await a.compute.destroyDomain({ instanceId: s.id }, run.call(120_000));
        return a;
      });
      await run.step('delete_disks', () =>
        agent.storage.deleteDisk({ diskId: rootDiskId(s.id) }, run.call(120_000)),
      );
      if (nics.length)
        await run.step('unplug_vifs', async () => {
          for (const n of nics) await agent.network.removeVif({ vifId: n.portId }, run.call(60_000));
        });
    } catch (err) {
      if (!(err instanceof StepFailed) || !err.unreachable) throw err;
      unreachable = err.message;
      run.log.warn(
        { host: s.host, err: err.message },
        'host unreachable: server deleted, host cleanup deferred',
      );
    }
  }

  // ports go even while the host is down (their addresses return to the pool); the rows stay until the VIFs
  // are gone too. A network service that does not answer defers this like a host that does not.
  let networkDown: string | undefined;
  try {
    await releaseNetworks(run, nics, !unreachable);
  } catch (err) {
    networkDown = err instanceof Error ? err.message : String(err);
    run.log.warn({ err: networkDown }, 'network cleanup failed: server deleted, port cleanup deferred');
  }

  if (!s.deletedAt) {
    await run.step('release_allocation', () => releaseAllocation(run));
    const now = new Date();
    await patchServer(ctx.db, s.id, {
      vmState: 'deleted',
      taskState: null,
      powerState: POWER.nostate,
      deletedAt: now,
      terminatedAt: now,
    });
    await run.reload();
  }
  const retry = unreachable ?? networkDown;
  return retry ? { retry } : 'done';
}

async function releaseAllocation(run: SagaRun): Promise<void> {
  try {
    await run.ctx.scheduler.release(run.serverId);
  } catch (err) {
    // nothing to release is fine: the build may have failed before its claim
    const e = err as { kind?: string; status?: number; statusCode?: number };
    if (e.kind === 'not_found' || e.status === 404 || e.statusCode === 404) return;
    throw err;
  }
}

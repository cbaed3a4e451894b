import * as P from '@kumo/agent-proto';
import { POWER } from '../../domain/states.js';
import type { SagaRun } from '../saga-run.js';

/** Graceful stop within the configured timeout, then forced if the guest ignored ACPI. */
export async function stopDomain(run: SagaRun, step = 'stop'): Promise<void> {
  const agent = await run.agent(step);
  const timeoutMs = run.ctx.settings.shutdownTimeoutMs;
  await run.step(step, async () => {
    const res = await agent.compute.stopDomain(
      { instanceId: run.serverId, timeoutMs, force: false },
      run.call(timeoutMs + 60_000),
    );
    if (res.domain && res.domain.power !== P.PowerState.SHUTOFF)
      await agent.compute.stopDomain({ instanceId: run.serverId, force: true }, run.call(120_000));
  });
}

export async function startSaga(run: SagaRun): Promise<void> {
  const agent = await run.agent('start');
  await run.step('start', () => agent.compute.startDomain({ instanceId: run.serverId }, run.call()));
  await run.settle({ vmState: 'active', powerState: POWER.running });
}

export async function stopSaga(run: SagaRun): Promise<void> {
  await stopDomain(run);
  await run.settle({ vmState: 'stopped', powerState: POWER.shutdown });
}

export async function rebootSaga(run: SagaRun): Promise<void> {
  const hard = (run.task.params as { type?: string }).type === 'HARD';
  const agent = await run.agent('reboot');
  await run.step(hard ? 'reboot_hard' : 'reboot', () =>
    agent.compute.rebootDomain(
      { instanceId: run.serverId, type: hard ? P.RebootType.HARD : P.RebootType.SOFT },
      run.call(run.ctx.settings.shutdownTimeoutMs + 60_000),
    ),
  );
  await run.settle({ vmState: 'active', powerState: POWER.running });
}

export async function pauseSaga(run: SagaRun): Promise<void> {
  const agent = await run.agent('pause');
  await run.step('pause', () => agent.compute.pauseDomain({ instanceId: run.serverId }, run.call()));
  await run.settle({ vmState: 'paused', powerState: POWER.paused });
}

export async function unpauseSaga(run: SagaRun): Promise<void> {
  const agent = await run.agent('unpause');
  await run.step('unpause', () => agent.compute.resumeDomain({ instanceId: run.serverId }, run.call()));
  await run.settle({ vmState: 'active', powerState: POWER.running });
}

/**
 * Suspend. The agent has no managed-save yet, so this is the fallback: the
 * domain is paused in memory (vCPUs stopped, RAM kept, not saved to disk);
 * the API shows SUSPENDED with power state 7 as Nova does.
 */
export async function suspendSaga(run: SagaRun): Promise<void> {
  const agent = await run.agent('suspend');
  await run.step('suspend', () => agent.compute.pauseDomain({ instanceId: run.serverId }, run.call()));
  await run.settle({ vmState: 'suspended', powerState: POWER.suspended });
}

export async function resumeSaga(run: SagaRun): Promise<void> {
  const agent = await run.agent('resume');
  await run.step('resume', () => agent.compute.resumeDomain({ instanceId: run.serverId }, run.call()));
  await run.settle({ vmState: 'active', powerState: POWER.running });
}

import {
  addInterface,
  interfacesOf,
  nextPosition,
  removeInterface,
} from '../../db/server-interfaces.repo.js';
import type { TaskParams } from '../../domain/tasks.js';
import { refreshAddresses } from '../../network/network-info.js';
import { type SagaRun, StepFailed } from '../saga-run.js';
import { bindingOf, domainInterfaceOf, networkOf, releasePort } from './network-steps.js';

/**
 * Hot-plug a port (the API checked it, or created it on the requested
 * network): bind it to the server's host, record it, plug its VIF, attach it
 * to the domain, refresh the addresses. Undo: detach, unplug, forget, and
 * delete (compute's port) or unbind (the user's).
 */
export async function attachInterfaceSaga(run: SagaRun): Promise<void> {
  const { ctx } = run;
  const s = run.server;
  const p = run.task.params as TaskParams<'attach_interface'>;
  const net = networkOf(run, 'bind_port');
  if (!s.host) throw new StepFailed('bind_port', `server ${s.id} has no host`, false);
  const host = s.host;
  const token = await ctx.rt.serviceToken();
  const port = await run.step('bind_port', async () => {
    const current = await net.getPort(token, p.portId);
    if (current.device_id && current.device_id !== s.id)
      throw new StepFailed('bind_port', `Port ${p.portId} is still in use.`, false);
    run.undo.add('release port', () => releasePort(net, token, p.portId, p.createdByNova));
    return net.updatePort(token, p.portId, bindingOf(s.id, host, s.availabilityZone));
  });
  const rows = await interfacesOf(ctx.db, s.id);
  if (!rows.some((r) => r.portId === port.id)) {
    await addInterface(ctx.db, {
      serverId: s.id,
      portId: port.id,
      networkId: port.network_id,
      mac: port.mac_address,
      createdByNova: p.createdByNova,
      tag: p.tag ?? null,
      position: await nextPosition(ctx.db, s.id),
    });
    run.undo.add('forget interface', () => removeInterface(ctx.db, s.id, port.id));
  }
  const agent = await run.agent('plug_vif');
  const binding = await run.step('plug_vif', async () => {
    run.undo.add('remove vif', () => agent.network.removeVif({ vifId: port.id }, run.call(60_000)));
    const res = await agent.network.ensureVif(
      { vifId: port.id, instanceId: s.id, mac: port.mac_address, network: port.network_id },
      run.call(),
    );
    return res.binding;
  });
  await run.step('attach_interface', async () => {
    run.undo.add('detach interface', () =>
      agent.compute.detachInterface({ instanceId: s.id, vifId: port.id }, run.call(60_000)),
    );
    await agent.compute.attachInterface(
      { instanceId: s.id, interface: domainInterfaceOf(port.id, port.mac_address, binding) },
      run.call(),
    );
  });
  await refreshAddresses(ctx, s.id).catch((err: unknown) =>
    run.log.warn({ err }, 'addresses not refreshed after attach'),
  );
}

/**
 * Unplug a port: detach it from the domain, remove its VIF, delete it
 * (compute's) or unbind it (the user's), forget it, refresh the addresses.
 * A port or domain already gone is fine (the detach is then done).
 */
export async function detachInterfaceSaga(run: SagaRun): Promise<void> {
  const { ctx } = run;
  const s = run.server;
  const { portId } = run.task.params as TaskParams<'detach_interface'>;
  const row = (await interfacesOf(ctx.db, s.id)).find((r) => r.portId === portId);
  if (!row) return;
  if (s.host) {
    const agent = await run.agent('detach_interface');
    await run.step('detach_interface', async () => {
      try {
        await agent.compute.detachInterface({ instanceId: s.id, vifId: portId }, run.call(60_000));
      } catch (err) {
        if ((err as { code?: number }).code !== 5) throw err; // NOT_FOUND: no domain, nothing to detach
      }
      await agent.network.removeVif({ vifId: portId }, run.call(60_000));
    });
  }
  const net = networkOf(run, 'release_port');
  await run.step('release_port', () =>
    ctx.rt.serviceToken().then((token) => releasePort(net, token, portId, row.createdByNova)),
  );
  await removeInterface(ctx.db, s.id, portId);
  await refreshAddresses(ctx, s.id).catch((err: unknown) =>
    run.log.warn({ err }, 'addresses not refreshed after detach'),
  );
}

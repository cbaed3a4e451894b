import * as P from '@kumo/agent-proto';
import type { NetworkClient, Port } from '@kumo/network';
import type { AgentPort } from '../../agents/connector.js';
import {
  addInterface,
  type InterfaceRow,
  interfacesOf,
  markPortReleased,
  removeInterface,
} from '../../db/server-interfaces.repo.js';
import { deviceOwnerOf, requestedNics } from '../../domain/server-networks.js';
import { portLoader, refreshAddresses } from '../../network/network-info.js';
import type { GuestNetwork } from '../domain-spec.js';
import { type SagaRun, StepFailed } from '../saga-run.js';

/** The network service, or a failed step when a server with NICs meets a compute without one. */
export function networkOf(run: SagaRun, step: string): NetworkClient {
  const net = run.ctx.network;
  if (!net)
    throw new StepFailed(
      step,
      'the server has network interfaces but no network service is configured',
      false,
    );
  return net;
}

/** Port fields that bind a port to a server on a host (Nova's binding update). */
export const bindingOf = (serverId: string, host: string, az: string | null) => ({
  device_id: serverId,
  device_owner: deviceOwnerOf(az),
  'binding:host_id': host,
});

/** Port fields that return a user's port to the pool. */
export const UNBOUND = { device_id: '', device_owner: '', 'binding:host_id': '' } as const;

const ignoreMissing = (err: unknown) => {
  if ((err as { kind?: string }).kind !== 'not_found') throw err;
};

/** Delete a port compute created, or unbind a user's port (a port already gone is fine). */
export async function releasePort(net: NetworkClient, token: string, portId: string, createdByNova: boolean) {
  if (createdByNova) await net.deletePort(token, portId).catch(ignoreMissing);
  else await net.updatePort(token, portId, UNBOUND).catch(ignoreMissing);
}

/**
 * The build's network step: for each requested NIC (servers.networks) a port
 * bound to the server on `host` — created on the network (fixed IP and
 * security groups as asked) or the user's port bound — recorded in
 * server_interfaces. A re-run reuses the recorded ports and adopts a port it
 * created but did not record (crash in between). Undo: ports compute created
 * are deleted, the user's are unbound.
 */
export async function allocateNetworks(run: SagaRun, host: string): Promise<void> {
  const s = run.server;
  const nics = requestedNics(s.networks);
  if (!nics.length) return;
  const net = networkOf(run, 'allocate_network');
  await run.step('allocate_network', async () => {
    const token = await run.ctx.rt.serviceToken();
    const binding = bindingOf(s.id, host, s.availabilityZone);
    const rows = await interfacesOf(run.ctx.db, s.id);
    const recorded = new Set(rows.map((r) => r.portId));
    let strays: Port[] | undefined;
    const groups = (run.task.params as { securityGroupIds?: string[] }).securityGroupIds;
    for (const [position, nic] of nics.entries()) {
      const have = rows.find((r) => r.position === position);
      let port: Port;
      let createdByNova: boolean;
      if (have) {
        createdByNova = have.createdByNova;
        port = await net.updatePort(token, have.portId, binding);
      } else if (nic.port) {
        createdByNova = false;
        const current = await net.getPort(token, nic.port);
        if (current.device_id && current.device_id !== s.id)
          throw new StepFailed('allocate_network', `Port ${nic.port} is still in use.`, false);
        port = await net.updatePort(token, nic.port, binding);
      } else {
        createdByNova = true;
        const found: Port[] =
          strays ?? (await net.listPorts(token, { device_id: s.id })).filter((p) => !recorded.has(p.id));
        const stray = found.find((p) => p.network_id === nic.network);
        strays = found.filter((p) => p !== stray);
        if (stray) port = stray;
        else
          port = await net.createPort(token, {
            network_id: nic.network,
            project_id: s.projectId,
            ...binding,
            ...(nic.fixedIp ? { fixed_ips: [{ ip_address: nic.fixedIp }] } : {}),
            ...(groups ? { security_groups: groups } : {}),
          });
      }
      const portId = port.id;
      run.undo.add(`release port ${portId}`, async () => {
        await releasePort(net, await run.ctx.rt.serviceToken(), portId, createdByNova);
        await removeInterface(run.ctx.db, s.id, portId);
      });
      recorded.add(portId);
      await addInterface(run.ctx.db, {
        serverId: s.id,
        portId,
        networkId: port.network_id,
        mac: port.mac_address,
        createdByNova,
        tag: nic.tag ?? null,
        position,
      });
    }
  });
}

/** The domain interface of a port as the agent's binding says to plug it. */
export function domainInterfaceOf(
  portId: string,
  mac: string,
  b: P.VifBinding | undefined,
): P.DomainInterface {
  return {
    vifId: portId,
    mac,
    bridge: b?.bridge ?? '',
    model: P.NicModel.VIRTIO,
    ...(b?.targetDev ? { targetDev: b.targetDev } : {}),
  };
}

/**
 * The server's NICs on its host: each recorded port's VIF ensured by the agent
 * (idempotent), the domain interfaces from the bindings, and what the config
 * drive says about them (ports, networks, subnets). With `undo`, a failure
 * later in the saga removes the VIFs again (build).
 */
export async function plugVifs(run: SagaRun, agent: AgentPort, o: { undo: boolean }): Promise<GuestNetwork> {
  const rows = (await interfacesOf(run.ctx.db, run.serverId)).filter((r) => !r.portReleased);
  if (!rows.length) return { interfaces: [], nics: [] };
  const net = networkOf(run, 'plug_vifs');
  return run.step('plug_vifs', async () => {
    const info = await portLoader(net, await run.ctx.rt.serviceToken()).load(rows.map((r) => r.portId));
    const out: GuestNetwork = { interfaces: [], nics: [] };
    for (const row of rows) {
      const port = info.ports.get(row.portId);
      if (!port) throw new StepFailed('plug_vifs', `Port ${row.portId} could not be found.`, false);
      if (o.undo)
        run.undo.add(`remove vif ${row.portId}`, () =>
          agent.network.removeVif({ vifId: row.portId }, run.call(60_000)),
        );
      const res = await agent.network.ensureVif(
        { vifId: row.portId, instanceId: run.serverId, mac: port.mac_address, network: port.network_id },
        run.call(),
      );
      out.interfaces.push(domainInterfaceOf(row.portId, port.mac_address, res.binding));
      out.nics.push({
        port,
        network: info.networks.get(port.network_id),
        subnets: info.subnets,
        ...(row.tag ? { tag: row.tag } : {}),
      });
    }
    await refreshAddresses(run.ctx, run.serverId, rows, info);
    return out;
  });
}

/**
 * Delete's network cleanup for the recorded interfaces: each port deleted
 * (compute's) or unbound (the user's) once; rows whose VIF is gone too are
 * removed. `vifsGone`: the host removed every VIF (or never had them).
 */
export async function releaseNetworks(run: SagaRun, rows: InterfaceRow[], vifsGone: boolean): Promise<void> {
  if (!rows.length) return;
  const net = networkOf(run, 'deallocate_network');
  await run.step('deallocate_network', async () => {
    const token = await run.ctx.rt.serviceToken();
    for (const row of rows) {
      if (!row.portReleased) {
        await releasePort(net, token, row.portId, row.createdByNova);
        await markPortReleased(run.ctx.db, run.serverId, row.portId);
      }
      if (vifsGone) await removeInterface(run.ctx.db, run.serverId, row.portId);
    }
  });
}

import type { FloatingIp, Network, NetworkClient, Port, Subnet } from '@kumo/network';
import type { ServiceRuntime } from '@kumo/service-kit';
import type { Db } from '../context.js';
import { type InterfaceRow, interfacesOf, saveAddresses } from '../db/server-interfaces.repo.js';
import { addressesOf, type ServerAddresses } from '../domain/server-networks.js';

/** A server's ports with what the views and the config drive need about them, read in four calls. */
export interface PortInfo {
  ports: Map<string, Port>;
  networks: Map<string, Network>;
  subnets: Map<string, Subnet>;
  floating: FloatingIp[];
}

const byId = <T extends { id: string }>(items: T[]) => new Map(items.map((i) => [i.id, i]));

/** Loads ports by id and their networks, subnets and floating IPs (no call per port). */
export function portLoader(net: NetworkClient, token: string) {
  return {
    async load(portIds: string[]): Promise<PortInfo> {
      if (!portIds.length) return { ports: new Map(), networks: new Map(), subnets: new Map(), floating: [] };
      const ports = byId(await net.listPorts(token, { id: portIds }));
      const list = [...ports.values()];
      const netIds = [...new Set(list.map((p) => p.network_id))];
      const subnetIds = [...new Set(list.flatMap((p) => p.fixed_ips.map((f) => f.subnet_id)))];
      const [networks, subnets, floating] = await Promise.all([
        netIds.length ? net.listNetworks(token, { id: netIds }) : [],
        subnetIds.length ? net.listSubnets(token, { id: subnetIds }) : [],
        net.listFloatingIps(token, { port_id: [...ports.keys()] }),
      ]);
      return { ports, networks: byId(networks), subnets: byId(subnets), floating };
    },
  };
}

/** What refreshing needs of a compute or worker context. */
export interface NetworkInfoDeps {
  db: Db;
  rt: Pick<ServiceRuntime, 'serviceToken'>;
  network?: NetworkClient;
}

/**
 * Recompute and cache a server's `addresses` from its ports (fixed IPs, then
 * each one's floating IPs, under the network's name). Rows default to the
 * server's recorded interfaces; `info` saves the reads when the caller has it.
 */
export async function refreshAddresses(
  deps: NetworkInfoDeps,
  serverId: string,
  rows?: InterfaceRow[],
  info?: PortInfo,
): Promise<ServerAddresses> {
  const live = (rows ?? (await interfacesOf(deps.db, serverId))).filter((r) => !r.portReleased);
  if (!live.length) {
    await saveAddresses(deps.db, serverId, {});
    return {};
  }
  if (!deps.network) return {};
  const have =
    info ?? (await portLoader(deps.network, await deps.rt.serviceToken()).load(live.map((r) => r.portId)));
  const present = live.filter((r) => have.ports.has(r.portId));
  const addresses = addressesOf(
    present.map((r) => {
      const p = have.ports.get(r.portId)!;
      return { networkId: p.network_id, mac: p.mac_address, fixedIps: p.fixed_ips };
    }),
    new Map([...have.networks.values()].map((n) => [n.id, n.name || n.id])),
    have.floating,
    present.map((r) => r.portId),
  );
  await saveAddresses(deps.db, serverId, addresses);
  return addresses;
}

import { mapNetwork } from './mapping-network.js';
import { mapPort } from './mapping-port.js';
import { mapFloatingIp, mapRouter, type RouterMappingOptions } from './mapping-router.js';
import { mapDropGroup, mapSecurityGroup } from './mapping-security-group.js';
import type { OvnStateSource } from './model.js';
import { type DesiredRow, type OwnerKind, parseOwner } from './nb-rows.js';

export type MappingOptions = RouterMappingOptions;

/** The NB rows an owner should have now (empty when its Neutron object is gone). */
export async function desiredRows(
  owner: string,
  source: OvnStateSource,
  opts: MappingOptions,
): Promise<DesiredRow[]> {
  const o = parseOwner(owner);
  if (!o) return [];
  return desiredFor(o.kind, o.id, source, opts);
}

async function desiredFor(
  kind: OwnerKind,
  id: string,
  source: OvnStateSource,
  opts: MappingOptions,
): Promise<DesiredRow[]> {
  switch (kind) {
    case 'network': {
      const net = await source.network(id);
      return net ? mapNetwork(net) : [];
    }
    case 'port': {
      const port = await source.port(id);
      const net = port ? await source.network(port.networkId) : undefined;
      return port && net ? mapPort(port, net) : [];
    }
    case 'security_group': {
      const sg = await source.securityGroup(id);
      return sg ? mapSecurityGroup(sg) : [];
    }
    case 'router': {
      const r = await source.router(id);
      return r ? mapRouter(r, opts) : [];
    }
    case 'floating_ip': {
      const f = await source.floatingIp(id);
      return f ? mapFloatingIp(f) : [];
    }
    case 'global':
      return mapDropGroup();
  }
}

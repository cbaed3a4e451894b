import type * as P from '@kumo/agent-proto';
import type { NetworkDriver } from '../drivers/network.js';
import { ensureVifIn, parseRequest, vifIn } from './from-wire.js';
import { type RpcDeps, unary } from './rpc.js';
import { vifOut } from './to-wire.js';

/** kumo.agent.v1.NetworkService on a NetworkDriver. */
export function networkService(deps: RpcDeps & { network: NetworkDriver }): P.NetworkServiceServer {
  const n = deps.network;
  return {
    ensureVif: unary(deps, 'EnsureVif', async (req: P.EnsureVifRequest) => {
      const r = parseRequest(ensureVifIn, req);
      return {
        binding: vifOut(
          await n.ensureVif({ vif: r.vifId, instance: r.instanceId, mac: r.mac, network: r.network }),
        ),
      };
    }),
    removeVif: unary(deps, 'RemoveVif', async (req: P.RemoveVifRequest) => {
      await n.removeVif(parseRequest(vifIn, req).vifId);
      return {};
    }),
    listVifs: unary(deps, 'ListVifs', async () => ({ bindings: (await n.listVifs()).map(vifOut) })),
  };
}

import type { Network, NetworkClient } from '@kumo/network';
import { callerOf, KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { isUuid } from '../domain/server-validation.js';
import { novaNetworkView, tenantNetworkView } from '../views/nova-network.view.js';
import { authorizeProxy, proxied, proxyNetwork, tokenOf } from './nova-network-common.js';
import { isComputeAdmin } from './server-common.js';

type IdReq = FastifyRequest<{ Params: { id: string } }>;

const networkNotFound = (id: string) => () => new KumoError('not_found', `Network ${id} could not be found.`);

/** The first IPv4 subnet's CIDR of each network (one call for all). */
async function cidrs(net: NetworkClient, token: string, networks: Network[]): Promise<Map<string, string>> {
  const ids = networks.map((n) => n.id);
  if (!ids.length) return new Map();
  const subnets = await net.listSubnets(token, { network_id: ids });
  const out = new Map<string, string>();
  for (const s of subnets) if (s.ip_version === 4 && !out.has(s.network_id)) out.set(s.network_id, s.cidr);
  for (const s of subnets) if (!out.has(s.network_id)) out.set(s.network_id, s.cidr);
  return out;
}

/** os-networks and os-tenant-networks (< 2.36): the networks the caller sees, in nova-network's shapes. */
export function novaNetworkRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const admin = (req: FastifyRequest) => isComputeAdmin(ctx, callerOf(req));

  app.get('/v2.1/os-networks', async (req) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-networks:list');
    const token = tokenOf(req);
    const networks = await net.listNetworks(token);
    const c = await cidrs(net, token, networks);
    return { networks: networks.map((n) => novaNetworkView(n, c.get(n.id) ?? null, admin(req))) };
  });

  app.get('/v2.1/os-networks/:id', async (req: IdReq) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-networks:view');
    const id = req.params.id;
    if (!isUuid(id)) throw networkNotFound(id)();
    const token = tokenOf(req);
    const n = await proxied(net.getNetwork(token, id), networkNotFound(id));
    const c = await cidrs(net, token, [n]);
    return { network: novaNetworkView(n, c.get(n.id) ?? null, admin(req)) };
  });

  app.get('/v2.1/os-tenant-networks', async (req) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-tenant-networks:list');
    const token = tokenOf(req);
    const networks = await net.listNetworks(token);
    const c = await cidrs(net, token, networks);
    return { networks: networks.map((n) => tenantNetworkView(n, c.get(n.id) ?? null)) };
  });

  app.get('/v2.1/os-tenant-networks/:id', async (req: IdReq) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-tenant-networks:show');
    const id = req.params.id;
    if (!isUuid(id)) throw networkNotFound(id)();
    const token = tokenOf(req);
    const n = await proxied(net.getNetwork(token, id), networkNotFound(id));
    const c = await cidrs(net, token, [n]);
    return { network: tenantNetworkView(n, c.get(n.id) ?? null) };
  });
}

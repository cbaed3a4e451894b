import { isIP } from 'node:net';
import { invalid } from '@kumo/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { interfacesOf } from '../db/server-interfaces.repo.js';
import { checkLock } from '../domain/server-states.js';
import { isUuid, type Obj } from '../domain/server-validation.js';
import { atLeast } from '../http/microversion.js';
import { refreshAddresses } from '../network/network-info.js';
import { proxied, proxyNetwork, resourceNotFound } from './nova-network-common.js';
import { loadServer } from './server-common.js';

type IdReq = FastifyRequest<{ Params: { id: string } }>;

/** The server's live ports in guest order (service token: binding fields are admin-only). */
async function serverPorts(ctx: ComputeContext, serverId: string) {
  const rows = (await interfacesOf(ctx.db, serverId)).filter((r) => !r.portReleased);
  if (!rows.length || !ctx.network) return [];
  const ports = await ctx.network.listPorts(await ctx.rt.serviceToken(), { id: rows.map((r) => r.portId) });
  return rows.flatMap((r) => ports.filter((p) => p.id === r.portId));
}

/** addFixedIp (< 2.44): one more address on the server's first port on `networkId`, from each of its subnets. */
export async function addFixedIp(ctx: ComputeContext, req: IdReq, reply: FastifyReply, args: Obj) {
  const net = proxyNetwork(ctx, req, '2.44');
  const networkId = args.networkId;
  if (typeof networkId !== 'string' || !isUuid(networkId))
    throw invalid(`Invalid input for field/attribute networkId. Value: ${String(networkId)}.`);
  const { row, admin } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-multinic');
  checkLock(row, admin);
  const port = (await serverPorts(ctx, row.id)).find((p) => p.network_id === networkId.toLowerCase());
  if (!port) throw invalid(`Network ${networkId} is not attached to instance ${row.id}.`);
  const token = await ctx.rt.serviceToken();
  const network = await net.getNetwork(token, port.network_id);
  const subnet = network.subnets[0];
  if (!subnet) throw invalid(`Zero fixed IPs could be found on network ${networkId}.`);
  await proxied(
    net.updatePort(token, port.id, {
      fixed_ips: [...port.fixed_ips, { subnet_id: subnet }],
    }),
  );
  await refreshAddresses(ctx, row.id).catch(() => undefined);
  return reply.code(202).send();
}

/** removeFixedIp (< 2.44): the address leaves the port that holds it. */
export async function removeFixedIp(ctx: ComputeContext, req: IdReq, reply: FastifyReply, args: Obj) {
  const net = proxyNetwork(ctx, req, '2.44');
  const address = args.address;
  if (typeof address !== 'string' || !isIP(address))
    throw invalid(`Invalid input for field/attribute address. Value: ${String(address)}.`);
  const { row, admin } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-multinic');
  checkLock(row, admin);
  const port = (await serverPorts(ctx, row.id)).find((p) =>
    p.fixed_ips.some((f) => f.ip_address === address),
  );
  if (!port) throw invalid(`Fixed IP address ${address} not found on instance ${row.id}.`);
  await proxied(
    net.updatePort(await ctx.rt.serviceToken(), port.id, {
      fixed_ips: port.fixed_ips.filter((f) => f.ip_address !== address),
    }),
  );
  await refreshAddresses(ctx, row.id).catch(() => undefined);
  return reply.code(202).send();
}

/** os-virtual-interfaces: nova-network only; with Neutron Nova answers 400 (404 from 2.44). */
export function virtualInterfaceRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get('/v2.1/servers/:id/os-virtual-interfaces', async (req: IdReq) => {
    if (atLeast(req, '2.44')) throw resourceNotFound();
    await loadServer(ctx, req, req.params.id, 'os_compute_api:os-virtual-interfaces');
    throw invalid('Listing virtual interfaces is not supported by this cloud.');
  });
}

import { isIP } from 'node:net';
import type { FloatingIp, Network, NetworkClient } from '@kumo/network';
import { callerOf, invalid, KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { interfacesOf } from '../db/server-interfaces.repo.js';
import { checkLock } from '../domain/server-states.js';
import { isUuid, type Obj } from '../domain/server-validation.js';
import { refreshAddresses } from '../network/network-info.js';
import { novaFloatingIpView } from '../views/nova-network.view.js';
import { authorizeProxy, proxied, proxyNetwork, tokenOf } from './nova-network-common.js';
import { loadServer } from './server-common.js';

type IdReq = FastifyRequest<{ Params: { id: string } }>;

const fipNotFound = (id: string) => () => new KumoError('not_found', `Floating IP ${id} could not be found`);

/** External networks: Nova's floating IP pools. */
const pools = (net: NetworkClient, token: string) => net.listNetworks(token, { 'router:external': true });

/** Floating IPs in Nova's shape (pool names and instance ids looked up in two calls). */
async function render(net: NetworkClient, token: string, fips: FloatingIp[]) {
  const [external, ports] = await Promise.all([
    pools(net, token),
    fips.some((f) => f.port_id)
      ? net.listPorts(token, { id: fips.flatMap((f) => (f.port_id ? [f.port_id] : [])) })
      : Promise.resolve([]),
  ]);
  const names = new Map(external.map((n) => [n.id, n.name]));
  const devices = new Map(ports.map((p) => [p.id, p.device_id || '']));
  for (const [k, v] of devices) if (!v) devices.delete(k);
  return fips.map((f) => novaFloatingIpView(f, names, devices));
}

/** The pool to allocate from: by name or id; none given: the only external network (or one named 'nova'/'public'). */
function poolOf(external: Network[], pool: unknown): Network {
  if (pool !== undefined && pool !== null) {
    if (typeof pool !== 'string') throw invalid('Invalid input for field/attribute pool.');
    const hit = external.find((n) => n.id === pool) ?? external.find((n) => n.name === pool);
    if (!hit) throw new KumoError('not_found', `Floating IP pool not found: ${pool}`);
    return hit;
  }
  const only =
    external.length === 1 ? external[0] : external.find((n) => n.name === 'nova' || n.name === 'public');
  if (!only) throw new KumoError('not_found', 'Floating IP pool not found.');
  return only;
}

/** addFloatingIp (< 2.44): associate the address with the server's port (the one holding fixed_address, or the first). */
export async function addFloatingIp(ctx: ComputeContext, req: IdReq, reply: FastifyReply, args: Obj) {
  const net = proxyNetwork(ctx, req, '2.44');
  const address = args.address;
  if (typeof address !== 'string' || !isIP(address))
    throw invalid(`Invalid input for field/attribute address. Value: ${String(address)}.`);
  const fixed = args.fixed_address;
  if (fixed !== undefined && (typeof fixed !== 'string' || !isIP(fixed)))
    throw invalid(`Invalid input for field/attribute fixed_address. Value: ${String(fixed)}.`);
  const { row, admin } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-floating-ips:add');
  checkLock(row, admin);
  const token = tokenOf(req);
  const [fip] = await net.listFloatingIps(token, { floating_ip_address: address });
  if (!fip) throw new KumoError('not_found', `floating IP not found: ${address}`);
  const rows = (await interfacesOf(ctx.db, row.id)).filter((r) => !r.portReleased);
  if (!rows.length) throw invalid('No nw_info cache associated with instance');
  const ports = await net.listPorts(await ctx.rt.serviceToken(), { id: rows.map((r) => r.portId) });
  const ordered = rows.flatMap((r) => ports.filter((p) => p.id === r.portId));
  const target = ordered
    .flatMap((p) => p.fixed_ips.map((f) => ({ port: p, ip: f.ip_address })))
    .find((x) => (fixed ? x.ip === fixed : isIP(x.ip) === 4));
  if (!target)
    throw invalid(
      fixed ? `Specified fixed address not assigned to instance` : 'No fixed IPs associated to instance',
    );
  const taken = await net.listFloatingIps(token, { port_id: target.port.id });
  if (taken.some((f) => f.id !== fip.id && f.fixed_ip_address === target.ip))
    throw invalid(`Fixed IP ${target.ip} already has a floating IP associated.`);
  await proxied(
    net.updateFloatingIp(token, fip.id, { port_id: target.port.id, fixed_ip_address: target.ip }),
  );
  await refreshAddresses(ctx, row.id).catch(() => undefined);
  return reply.code(202).send();
}

/** removeFloatingIp (< 2.44): the address must be associated with one of the server's ports. */
export async function removeFloatingIp(ctx: ComputeContext, req: IdReq, reply: FastifyReply, args: Obj) {
  const net = proxyNetwork(ctx, req, '2.44');
  const address = args.address;
  if (typeof address !== 'string' || !isIP(address))
    throw invalid(`Invalid input for field/attribute address. Value: ${String(address)}.`);
  const { row, admin } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-floating-ips:remove');
  checkLock(row, admin);
  const token = tokenOf(req);
  const [fip] = await net.listFloatingIps(token, { floating_ip_address: address });
  if (!fip) throw new KumoError('not_found', `floating IP not found: ${address}`);
  const mine = new Set((await interfacesOf(ctx.db, row.id)).map((r) => r.portId));
  if (!fip.port_id || !mine.has(fip.port_id))
    throw new KumoError('conflict', `Floating IP ${address} is not associated with instance ${row.id}.`);
  await proxied(net.updateFloatingIp(token, fip.id, { port_id: null }));
  await refreshAddresses(ctx, row.id).catch(() => undefined);
  return reply.code(202).send();
}

export function novaFloatingIpRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get('/v2.1/os-floating-ips', async (req) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-floating-ips:list');
    const token = tokenOf(req);
    const fips = await net.listFloatingIps(token, { project_id: callerOf(req).project?.id ?? '' });
    return { floating_ips: await render(net, token, fips) };
  });

  app.get('/v2.1/os-floating-ips/:id', async (req: IdReq) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-floating-ips:show');
    const id = req.params.id;
    if (!isUuid(id)) throw fipNotFound(id)();
    const token = tokenOf(req);
    const fip = await proxied(net.getFloatingIp(token, id), fipNotFound(id));
    const [view] = await render(net, token, [fip]);
    return { floating_ip: view };
  });

  app.post('/v2.1/os-floating-ips', async (req) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-floating-ips:create');
    const body = (req.body ?? {}) as Obj;
    const pool = body.pool;
    const token = tokenOf(req);
    const target = poolOf(await pools(net, token), pool);
    const fip = await proxied(net.createFloatingIp(token, { floating_network_id: target.id })).catch(
      (err: unknown) => {
        if ((err as { kind?: string }).kind === 'forbidden')
          throw new KumoError('forbidden', 'Maximum number of floating IPs exceeded');
        throw err;
      },
    );
    return { floating_ip: novaFloatingIpView(fip, new Map([[target.id, target.name]]), new Map()) };
  });

  app.delete('/v2.1/os-floating-ips/:id', async (req: IdReq, reply) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-floating-ips:delete');
    const id = req.params.id;
    if (!isUuid(id)) throw fipNotFound(id)();
    await proxied(net.deleteFloatingIp(tokenOf(req), id), fipNotFound(id));
    return reply.code(202).send();
  });

  app.get('/v2.1/os-floating-ip-pools', async (req) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-floating-ip-pools');
    return { floating_ip_pools: (await pools(net, tokenOf(req))).map((n) => ({ name: n.name })) };
  });
}

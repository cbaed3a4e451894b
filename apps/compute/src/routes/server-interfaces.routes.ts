import { isIP } from 'node:net';
import type { Port } from '@kumo/network';
import { conflict, invalid, isKumoError, KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { startServerTask } from '../db/instance-actions.repo.js';
import { interfacesOf } from '../db/server-interfaces.repo.js';
import type { ServerRow } from '../db/servers.repo.js';
import { waitForTask } from '../db/tasks.repo.js';
import { deviceOwnerOf } from '../domain/server-networks.js';
import { checkActionState } from '../domain/server-states.js';
import {
  badField,
  canonicalUuid,
  isObj,
  isUuid,
  notFoundServer,
  requireEnvelope,
} from '../domain/server-validation.js';
import { atLeast } from '../http/microversion.js';
import { dispatchAll, loadServer } from './server-common.js';
import { availableNetworks, securityGroupIdsOf } from './server-networks.js';

type IdReq = FastifyRequest<{ Params: { id: string } }>;
type PortReq = FastifyRequest<{ Params: { id: string; portId: string } }>;

/** Nova's check_instance_state of attach/detach_interface (no task_state change: the agent serializes). */
const RULES = {
  attach: {
    action: 'attach_interface',
    vm: ['active', 'paused', 'stopped'],
    task: [null],
    next: 'networking',
    kind: 'attach_interface',
  },
  detach: {
    action: 'detach_interface',
    vm: ['active', 'paused', 'stopped'],
    task: [null],
    next: 'networking',
    kind: 'detach_interface',
  },
} as const;

/** How long the API waits for an attach to finish on the host (Nova's attach is a synchronous call). */
const ATTACH_WAIT_MS = 120_000;

function networkOf(ctx: ComputeContext) {
  if (!ctx.network) throw new KumoError('not_found', 'Networks are not available: no network service.');
  return ctx.network;
}

/** An interface as Nova shows it (`interfaceAttachment`); `tag` from 2.70. */
export function attachmentView(req: FastifyRequest, p: Port, tag: string | null | undefined) {
  return {
    port_state: p.status,
    fixed_ips: p.fixed_ips.map((f) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address })),
    port_id: p.id,
    net_id: p.network_id,
    mac_addr: p.mac_address,
    ...(atLeast(req, '2.70') ? { tag: tag ?? null } : {}),
  };
}

interface AttachRequest {
  portId?: string;
  netId?: string;
  fixedIp?: string;
  tag?: string;
}

function attachArgs(req: FastifyRequest): AttachRequest {
  const a = requireEnvelope(req.body, 'interfaceAttachment');
  const allowed = ['port_id', 'net_id', 'fixed_ips', ...(atLeast(req, '2.49') ? ['tag'] : [])];
  for (const k of Object.keys(a))
    if (!allowed.includes(k))
      throw invalid(
        `Invalid input for field/attribute interfaceAttachment. Additional properties are not allowed ('${k}' was unexpected)`,
      );
  const out: AttachRequest = {};
  for (const [k, field] of [
    ['port_id', 'portId'],
    ['net_id', 'netId'],
  ] as const) {
    const v = a[k];
    if (v === undefined || v === null) continue;
    if (!isUuid(v)) throw badField(`interfaceAttachment.${k}`, v, "is not a 'uuid'");
    out[field] = canonicalUuid(v);
  }
  if (a.fixed_ips !== undefined) {
    const f = a.fixed_ips;
    if (!Array.isArray(f) || f.length > 1)
      throw badField('interfaceAttachment.fixed_ips', f, 'must be an array of at most 1 item');
    const ip = f[0];
    if (ip !== undefined) {
      if (!isObj(ip) || typeof ip.ip_address !== 'string' || !isIP(ip.ip_address))
        throw badField('interfaceAttachment.fixed_ips', ip, "must be [{'ip_address': <IP address>}]");
      out.fixedIp = ip.ip_address;
    }
  }
  if (a.tag !== undefined) {
    if (typeof a.tag !== 'string' || a.tag.length < 1 || a.tag.length > 60 || /[,/]/.test(a.tag))
      throw badField('interfaceAttachment.tag', a.tag, "must be 1 to 60 characters without ',' or '/'");
    out.tag = a.tag;
  }
  if (out.portId && out.netId) throw invalid('Must not input both network_id and port_id');
  if (out.fixedIp && !out.netId) throw invalid('Must input network_id when request IP address');
  return out;
}

const missing = (err: unknown) => isKumoError(err) && (err.kind === 'not_found' || err.kind === 'forbidden');

/**
 * The port to attach: the user's (checked free), or a new one on the network
 * (the caller's token: Neutron's checks and quota apply; 4xx now, not a failed task).
 */
async function portFor(
  ctx: ComputeContext,
  req: FastifyRequest,
  row: ServerRow,
  a: AttachRequest,
): Promise<{ port: Port; createdByNova: boolean }> {
  const net = networkOf(ctx);
  const token = req.authToken ?? '';
  if (a.portId) {
    const port = await net.getPort(token, a.portId).catch((err: unknown) => {
      throw missing(err) ? new KumoError('not_found', `Port ${a.portId} could not be found.`) : err;
    });
    if (port.device_id) throw conflict(`Port ${port.id} is still in use.`);
    return { port, createdByNova: false };
  }
  let netId = a.netId;
  if (!netId) {
    const nets = await availableNetworks(net, token, row.projectId);
    if (nets.length !== 1)
      throw invalid(
        nets.length
          ? 'Multiple possible networks found, use a Network ID to be more specific.'
          : 'No network is available to attach an interface to.',
      );
    netId = nets[0]!.id;
  }
  await net.getNetwork(token, netId).catch((err: unknown) => {
    throw missing(err) ? new KumoError('not_found', `Network ${netId} could not be found.`) : err;
  });
  const groups = await securityGroupIdsOf(ctx, token, row);
  try {
    const port = await net.createPort(token, {
      network_id: netId,
      device_id: row.id,
      device_owner: deviceOwnerOf(row.availabilityZone),
      ...(a.fixedIp ? { fixed_ips: [{ ip_address: a.fixedIp }] } : {}),
      ...(groups ? { security_groups: groups } : {}),
    });
    return { port, createdByNova: true };
  } catch (err) {
    if (isKumoError(err) && err.kind === 'conflict' && err.type === 'IpAddressAlreadyAllocated')
      throw conflict(`Fixed IP address ${a.fixedIp} is already in use on instance ${row.id}.`);
    if (isKumoError(err) && err.kind === 'conflict' && err.type === 'IpAddressGenerationFailure')
      throw invalid(`No fixed IP addresses available for network: ${netId}`);
    throw err;
  }
}

export function serverInterfaceRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get('/v2.1/servers/:id/os-interface', async (req: IdReq) => {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-attach-interfaces:list');
    if (!ctx.network) return { interfaceAttachments: [] };
    const [ports, rows] = await Promise.all([
      ctx.network.listPorts(await ctx.rt.serviceToken(), { device_id: row.id }),
      interfacesOf(ctx.db, row.id),
    ]);
    const tags = new Map(rows.map((r) => [r.portId, r.tag]));
    const order = new Map(rows.map((r) => [r.portId, r.position]));
    ports.sort((a, b) => (order.get(a.id) ?? 1e9) - (order.get(b.id) ?? 1e9));
    return { interfaceAttachments: ports.map((p) => attachmentView(req, p, tags.get(p.id))) };
  });

  app.get('/v2.1/servers/:id/os-interface/:portId', async (req: PortReq) => {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-attach-interfaces:show');
    const net = networkOf(ctx);
    const portId = req.params.portId;
    const notAttached = () =>
      new KumoError('not_found', `Instance ${row.id} does not have a port with id ${portId}`);
    if (!isUuid(portId)) throw notAttached();
    const port = await net
      .getPort(await ctx.rt.serviceToken(), canonicalUuid(portId))
      .catch((err: unknown) => {
        throw missing(err) ? new KumoError('not_found', `Port ${portId} could not be found.`) : err;
      });
    if (port.device_id !== row.id) throw notAttached();
    const rows = await interfacesOf(ctx.db, row.id);
    return { interfaceAttachment: attachmentView(req, port, rows.find((r) => r.portId === port.id)?.tag) };
  });

  app.post('/v2.1/servers/:id/os-interface', async (req: IdReq) => {
    const a = attachArgs(req);
    const { row, tok, admin } = await loadServer(
      ctx,
      req,
      req.params.id,
      'os_compute_api:os-attach-interfaces:create',
    );
    checkActionState(row, RULES.attach, admin); // before creating anything
    const { port, createdByNova } = await portFor(ctx, req, row, a);
    let taskId: string | null = null;
    try {
      const res = await startServerTask(ctx.db, {
        serverId: row.id,
        guard: (cur) => checkActionState(cur, RULES.attach, admin),
        set: () => ({}),
        action: {
          requestId: req.id,
          action: 'attach_interface',
          projectId: row.projectId,
          userId: tok.user.id,
        },
        task: {
          kind: 'attach_interface',
          params: { portId: port.id, createdByNova, ...(a.tag ? { tag: a.tag } : {}) },
        },
      });
      if (!res) throw notFoundServer(req.params.id);
      taskId = res.taskId;
    } catch (err) {
      if (createdByNova)
        await networkOf(ctx)
          .deletePort(await ctx.rt.serviceToken(), port.id)
          .catch(() => undefined);
      throw err;
    }
    await dispatchAll(ctx, req, [taskId]);
    const outcome = taskId ? await waitForTask(ctx.db, taskId, ATTACH_WAIT_MS) : 'done';
    if (outcome === 'failed')
      throw new KumoError('internal', `Failed to attach network adapter device to ${row.id}`);
    if (outcome === 'timeout')
      throw new KumoError(
        'unavailable',
        `Attaching port ${port.id} to ${row.id} is taking long; it goes on.`,
      );
    const now = await networkOf(ctx).getPort(await ctx.rt.serviceToken(), port.id);
    return { interfaceAttachment: attachmentView(req, now, a.tag) };
  });

  app.delete('/v2.1/servers/:id/os-interface/:portId', async (req: PortReq, reply) => {
    const { row, tok, admin } = await loadServer(
      ctx,
      req,
      req.params.id,
      'os_compute_api:os-attach-interfaces:delete',
    );
    const portId = isUuid(req.params.portId) ? canonicalUuid(req.params.portId) : req.params.portId;
    const rows = await interfacesOf(ctx.db, row.id);
    if (!rows.some((r) => r.portId === portId && !r.portReleased))
      throw new KumoError('not_found', `Port ${req.params.portId} is not attached`);
    const res = await startServerTask(ctx.db, {
      serverId: row.id,
      guard: (cur) => checkActionState(cur, RULES.detach, admin),
      set: () => ({}),
      action: {
        requestId: req.id,
        action: 'detach_interface',
        projectId: row.projectId,
        userId: tok.user.id,
      },
      task: { kind: 'detach_interface', params: { portId } },
    });
    if (!res) throw notFoundServer(req.params.id);
    await dispatchAll(ctx, req, [res.taskId]);
    return reply.code(202).send();
  });
}

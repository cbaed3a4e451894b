import { isIP } from 'node:net';
import type { SecurityGroup } from '@kumo/network';
import { callerOf, invalid, KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { interfacesOf, saveSecurityGroups } from '../db/server-interfaces.repo.js';
import type { ServerRow } from '../db/servers.repo.js';
import { checkLock } from '../domain/server-states.js';
import { isUuid, type Obj, requireEnvelope } from '../domain/server-validation.js';
import { novaGroupView, novaRuleView } from '../views/nova-network.view.js';
import { authorizeProxy, proxied, proxyNetwork, sgProperty, tokenOf } from './nova-network-common.js';
import { loadServer } from './server-common.js';

type IdReq = FastifyRequest<{ Params: { id: string } }>;

const groupNotFound = (id: string) => () => new KumoError('not_found', `Security group ${id} not found.`);

const byId = (groups: SecurityGroup[]) => new Map(groups.map((g) => [g.id, g]));

/** A rule's port range for Neutron from Nova's from_port/to_port (ICMP: type/code, -1 = any). */
function portRange(protocol: string | null, from: unknown, to: unknown): [number | null, number | null] {
  if (from === undefined && to === undefined) return [null, null];
  const num = (v: unknown) => {
    const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw invalid(`Invalid port range ${from}:${to}.`);
    return n;
  };
  const f = num(from);
  const t = num(to);
  if (protocol === 'icmp') {
    if (f < -1 || f > 255 || t < -1 || t > 255) throw invalid(`Invalid port range ${f}:${t}.`);
    return [f === -1 ? null : f, t === -1 ? null : t];
  }
  if (f < 1 || f > 65535 || t < 1 || t > 65535 || f > t) throw invalid(`Invalid port range ${f}:${t}.`);
  return [f, t];
}

function protocolOf(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  const p = String(v).toLowerCase();
  if (['tcp', 'udp', 'icmp'].includes(p)) return p;
  if (/^\d{1,3}$/.test(p) && Number(p) <= 255) return p;
  throw invalid(`Invalid IP protocol ${String(v)}.`);
}

/** Nova's rule body → Neutron's ingress rule. */
function ruleBody(r: Obj) {
  if (!isUuid(r.parent_group_id)) throw invalid('Security group id should be uuid');
  const protocol = protocolOf(r.ip_protocol);
  const [min, max] = protocol ? portRange(protocol, r.from_port, r.to_port) : [null, null];
  let cidr: string | null = null;
  if (r.cidr !== undefined && r.cidr !== null && r.cidr !== '') {
    const [addr = '', len, ...rest] = String(r.cidr).split('/');
    const family = isIP(addr);
    const bits = len === undefined ? (family === 6 ? 128 : 32) : Number(len);
    if (!family || rest.length || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32))
      throw invalid(`Invalid CIDR ${String(r.cidr)}.`);
    cidr = `${addr}/${bits}`;
  }
  let group: string | null = null;
  if (r.group_id !== undefined && r.group_id !== null && r.group_id !== '') {
    if (!isUuid(r.group_id)) throw invalid('Security group id should be uuid');
    group = r.group_id;
  }
  if (!protocol && !group && !cidr) throw invalid('Not enough parameters to build a valid rule.');
  return {
    security_group_id: r.parent_group_id,
    direction: 'ingress',
    ethertype: cidr && isIP(cidr.split('/')[0] ?? '') === 6 ? 'IPv6' : 'IPv4',
    protocol,
    port_range_min: min,
    port_range_max: max,
    ...(group ? { remote_group_id: group } : { remote_ip_prefix: cidr ?? '0.0.0.0/0' }),
  } as const;
}

/** The security groups on a server's ports (Nova's GET /servers/{id}/os-security-groups). */
async function serverGroups(ctx: ComputeContext, row: ServerRow): Promise<SecurityGroup[]> {
  if (!ctx.network) return [];
  const token = await ctx.rt.serviceToken();
  const ports = await ctx.network.listPorts(token, { device_id: row.id });
  const ids = [...new Set(ports.flatMap((p) => p.security_groups ?? []))];
  return ids.length ? ctx.network.listSecurityGroups(token, { id: ids }) : [];
}

/**
 * addSecurityGroup / removeSecurityGroup: the group (by name or id, in the
 * server's project) is added to / removed from every port of the server.
 */
export async function changeServerGroup(
  ctx: ComputeContext,
  req: IdReq,
  reply: FastifyReply,
  args: Obj,
  op: 'add' | 'remove',
) {
  const name = args.name;
  if (typeof name !== 'string' || !name.trim())
    throw invalid(`Invalid input for field/attribute ${op}SecurityGroup. 'name' is a required property`);
  const { row, admin } = await loadServer(ctx, req, req.params.id, `os_compute_api:os-security-groups:${op}`);
  checkLock(row, admin);
  const net = ctx.network;
  if (!net)
    throw new KumoError('not_found', `Security group ${name} not found for project ${row.projectId}.`);
  const token = await ctx.rt.serviceToken();
  const groups = await net.listSecurityGroups(token, { project_id: row.projectId });
  const matches = groups.filter((g) => g.id === name || g.name === name);
  if (matches.length > 1)
    throw new KumoError(
      'conflict',
      `Multiple security_group matches found for name '${name}', use an ID to be more specific.`,
    );
  const group = matches[0];
  if (!group)
    throw new KumoError('not_found', `Security group ${name} not found for project ${row.projectId}.`);
  const rows = (await interfacesOf(ctx.db, row.id)).filter((r) => !r.portReleased);
  if (!rows.length) throw invalid(`Server ${row.id} has no network interface to apply security groups to.`);
  const ports = await net.listPorts(token, { id: rows.map((r) => r.portId) });
  if (op === 'add' && ports.every((p) => p.security_groups.includes(group.id)))
    throw invalid(`Security group ${name} is already associated with the instance ${row.id}`);
  if (op === 'remove' && !ports.some((p) => p.security_groups.includes(group.id)))
    throw invalid(`Security group ${name} not associated with the instance ${row.id}`);
  for (const p of ports) {
    const has = p.security_groups.includes(group.id);
    if (op === 'add' && !has)
      await net.updatePort(token, p.id, { security_groups: [...p.security_groups, group.id] });
    if (op === 'remove' && has)
      await net.updatePort(token, p.id, { security_groups: p.security_groups.filter((g) => g !== group.id) });
  }
  const names = row.securityGroups.filter((g) => g.name !== group.name && g.name !== group.id);
  await saveSecurityGroups(ctx.db, row.id, op === 'add' ? [...names, { name: group.name }] : names);
  return reply.code(202).send();
}

export function novaSecurityGroupRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get(
    '/v2.1/os-security-groups',
    async (req: FastifyRequest<{ Querystring: Record<string, string> }>) => {
      const net = proxyNetwork(ctx, req);
      authorizeProxy(ctx, req, 'os_compute_api:os-security-groups:get');
      const tok = callerOf(req);
      const all =
        ['1', 'true', 'True'].includes(req.query.all_tenants ?? '') &&
        ctx.policy.enforce('os_compute_api:servers:admin', tok);
      const groups = await net.listSecurityGroups(
        tokenOf(req),
        all ? {} : { project_id: tok.project?.id ?? '' },
      );
      const map = byId(groups);
      return { security_groups: groups.map((g) => novaGroupView(g, map)) };
    },
  );

  app.post('/v2.1/os-security-groups', async (req) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-security-groups:create');
    const b = requireEnvelope(req.body, 'security_group');
    const name = sgProperty(b.name, 'name', 1);
    const description = b.description === undefined ? '' : sgProperty(b.description, 'description', 0);
    const g = await proxied(net.createSecurityGroup(tokenOf(req), { name, description }));
    return { security_group: novaGroupView(g, byId([g])) };
  });

  app.get('/v2.1/os-security-groups/:id', async (req: IdReq) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-security-groups:show');
    const id = req.params.id;
    if (!isUuid(id)) throw groupNotFound(id)();
    const g = await proxied(net.getSecurityGroup(tokenOf(req), id), groupNotFound(id));
    const remote = [
      ...new Set(g.security_group_rules.map((r) => r.remote_group_id).filter((x): x is string => !!x)),
    ];
    const others = remote.length ? await net.listSecurityGroups(tokenOf(req), { id: remote }) : [];
    return { security_group: novaGroupView(g, byId([g, ...others])) };
  });

  app.put('/v2.1/os-security-groups/:id', async (req: IdReq) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-security-groups:update');
    const id = req.params.id;
    const b = requireEnvelope(req.body, 'security_group');
    const name = sgProperty(b.name, 'name', 1);
    const description = b.description === undefined ? '' : sgProperty(b.description, 'description', 0);
    if (!isUuid(id)) throw groupNotFound(id)();
    const g = await proxied(
      net.updateSecurityGroup(tokenOf(req), id, { name, description }),
      groupNotFound(id),
    );
    return { security_group: novaGroupView(g, byId([g])) };
  });

  app.delete('/v2.1/os-security-groups/:id', async (req: IdReq, reply) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-security-groups:delete');
    const id = req.params.id;
    if (!isUuid(id)) throw groupNotFound(id)();
    await proxied(net.deleteSecurityGroup(tokenOf(req), id), groupNotFound(id));
    return reply.code(202).send();
  });

  app.post('/v2.1/os-security-group-rules', async (req) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-security-groups:rule:create');
    const b = requireEnvelope(req.body, 'security_group_rule');
    const body = ruleBody(b);
    const token = tokenOf(req);
    const parent = await proxied(
      net.getSecurityGroup(token, body.security_group_id),
      groupNotFound(body.security_group_id),
    );
    const remoteId = 'remote_group_id' in body ? body.remote_group_id : undefined;
    const remote = remoteId
      ? await proxied(net.getSecurityGroup(token, remoteId), groupNotFound(remoteId))
      : undefined;
    const rule = await proxied(net.createSecurityGroupRule(token, body));
    return { security_group_rule: novaRuleView(rule, byId(remote ? [parent, remote] : [parent])) };
  });

  app.delete('/v2.1/os-security-group-rules/:id', async (req: IdReq, reply) => {
    const net = proxyNetwork(ctx, req);
    authorizeProxy(ctx, req, 'os_compute_api:os-security-groups:rule:delete');
    const id = req.params.id;
    const missing = () => new KumoError('not_found', `Rule (${id}) not found`);
    if (!isUuid(id)) throw missing();
    await proxied(net.deleteSecurityGroupRule(tokenOf(req), id), missing);
    return reply.code(202).send();
  });

  app.get('/v2.1/servers/:id/os-security-groups', async (req: IdReq) => {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-security-groups:list');
    const groups = await serverGroups(ctx, row);
    const map = byId(groups);
    return { security_groups: groups.map((g) => novaGroupView(g, map)) };
  });
}

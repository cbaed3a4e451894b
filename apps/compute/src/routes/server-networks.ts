import { isIP } from 'node:net';
import type { Network, NetworkClient } from '@kumo/network';
import { callerOf, conflict, invalid, isKumoError, KumoError } from '@kumo/service-kit';
import type { FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import type { RequestedNic, ServerNetworks } from '../domain/server-networks.js';
import { badField, canonicalUuid, isObj, isUuid } from '../domain/server-validation.js';
import { atLeast } from '../http/microversion.js';

/** `networks` of a create request after the format checks: 'none', 'auto' or the NIC entries. */
export type ParsedNetworks =
  | 'none'
  | 'auto'
  | { uuid?: string; port?: string; fixedIp?: string; tag?: string }[];

/** Nova's format checks of `networks` (no I/O). Absent before 2.37 means 'auto'; from 2.37 it is required. */
export function parseNetworks(req: FastifyRequest, v: unknown): ParsedNetworks {
  if (v === undefined) {
    if (atLeast(req, '2.37'))
      throw invalid("Invalid input for field/attribute server. 'networks' is a required property");
    return 'auto';
  }
  if (typeof v === 'string') {
    if (!atLeast(req, '2.37')) throw badField('networks', v, "is not of type 'array'");
    if (v === 'none' || v === 'auto') return v;
    throw badField('networks', v, "is not one of ['none', 'auto']");
  }
  if (!Array.isArray(v)) throw badField('networks', v, "is not of type 'array', 'string'");
  const ports = new Set<string>();
  return v.map((n) => {
    if (!isObj(n)) throw badField('networks', n, "is not of type 'object'");
    for (const k of Object.keys(n)) {
      const allowed = ['uuid', 'port', 'fixed_ip', ...(atLeast(req, '2.32') ? ['tag'] : [])];
      if (!allowed.includes(k))
        throw invalid(
          `Invalid input for field/attribute networks. Additional properties are not allowed ('${k}' was unexpected)`,
        );
    }
    for (const k of ['uuid', 'port', 'fixed_ip', 'tag'])
      if (n[k] !== undefined && n[k] !== null && typeof n[k] !== 'string')
        throw badField(`networks.${k}`, n[k], "is not of type 'string'");
    const port = typeof n.port === 'string' && n.port !== '' ? n.port : undefined;
    const uuid = typeof n.uuid === 'string' ? n.uuid : undefined;
    if (port !== undefined) {
      if (!isUuid(port)) throw badField('networks.port', port, "is not a 'uuid'");
      if (ports.has(canonicalUuid(port))) throw invalid(`Port ${port} is specified more than once.`);
      ports.add(canonicalUuid(port));
    } else {
      if (uuid === undefined) throw invalid("Bad network format: missing 'uuid'");
      if (!isUuid(uuid)) throw invalid(`Bad networks format: network uuid is not in proper format (${uuid})`);
    }
    const fixedIp = typeof n.fixed_ip === 'string' ? n.fixed_ip : undefined;
    if (fixedIp !== undefined && !isIP(fixedIp)) throw invalid(`Invalid fixed IP address (${fixedIp})`);
    const tag = typeof n.tag === 'string' ? n.tag : undefined;
    if (tag !== undefined && (tag.length < 1 || tag.length > 60 || /[,/]/.test(tag)))
      throw badField('networks.tag', tag, "must be 1 to 60 characters without ',' or '/'");
    return {
      ...(uuid !== undefined && port === undefined ? { uuid: canonicalUuid(uuid) } : {}),
      ...(port !== undefined ? { port: canonicalUuid(port) } : {}),
      ...(fixedIp !== undefined ? { fixedIp } : {}),
      ...(tag !== undefined ? { tag } : {}),
    };
  });
}

const tokenOf = (req: FastifyRequest) => req.authToken ?? '';

/** A Neutron not-found (or forbidden) as Nova's own error; anything else passes through. */
async function orElse<T>(p: Promise<T>, onMissing: () => KumoError): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (isKumoError(err) && (err.kind === 'not_found' || err.kind === 'forbidden')) throw onMissing();
    throw err;
  }
}

/**
 * The networks a project boots on when it names none (Nova's
 * _get_available_networks): its own non-shared, non-external networks, or
 * when it has none, the shared ones.
 */
export async function availableNetworks(
  net: NetworkClient,
  token: string,
  projectId: string,
): Promise<Network[]> {
  const own = await net.listNetworks(token, { project_id: projectId, shared: false });
  const usable = own.filter((n) => !n['router:external']);
  if (usable.length) return usable;
  const shared = await net.listNetworks(token, { shared: true });
  return shared.filter((n) => !n['router:external']);
}

/**
 * The NICs a create request asks for, checked against the network service
 * with the caller's token (so bad input is a 4xx now, not an ERROR server later).
 */
export async function resolveNetworks(
  ctx: ComputeContext,
  req: FastifyRequest,
  requested: ParsedNetworks,
  projectId: string,
  maxCount: number,
): Promise<ServerNetworks> {
  if (requested === 'none') return 'none';
  // an empty list asks for nothing in particular: Nova then takes the available network, as for 'auto'
  const parsed = Array.isArray(requested) && requested.length === 0 ? 'auto' : requested;
  const net = ctx.network;
  if (!net) {
    if (parsed === 'auto') return 'none';
    throw invalid('Networks are not available: this cloud runs without a network service.');
  }
  const token = tokenOf(req);
  if (parsed === 'auto') {
    const nets = await availableNetworks(net, token, projectId);
    if (nets.length > 1)
      throw conflict('Multiple possible networks found, use a Network ID to be more specific.');
    // none at all: Kumo boots without a NIC (docs/adr/0015-auto-networks.md)
    return nets.length ? [{ network: nets[0]!.id }] : 'none';
  }
  if (parsed.some((n) => n.port) && maxCount > 1)
    throw invalid(
      'Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.',
    );
  const networks = new Map<string, Network>();
  const out: RequestedNic[] = [];
  for (const n of parsed) {
    if (n.port) {
      const port = await orElse(
        net.getPort(token, n.port),
        () => new KumoError('invalid', `Port id ${n.port} could not be found.`),
      );
      if (port.device_id) throw conflict(`Port ${port.id} is still in use.`, 'PortInUse');
      if (port.project_id !== projectId && !ctx.policy.enforce('os_compute_api:servers:admin', callerOf(req)))
        throw invalid(`Port id ${n.port} could not be found.`);
      out.push({ network: port.network_id, port: port.id, ...(n.tag ? { tag: n.tag } : {}) });
      continue;
    }
    const id = n.uuid!;
    let network = networks.get(id);
    if (!network) {
      network = await orElse(net.getNetwork(token, id), () => invalid(`Network ${id} could not be found.`));
      networks.set(id, network);
    }
    if (!network.subnets.length)
      throw invalid(`Network ${id} requires a subnet in order to boot instances on.`);
    if (n.fixedIp) {
      if (maxCount > 1) throw invalid('max_count cannot be greater than 1 if an fixed_ip is specified.');
      const used = await net.listPorts(token, { network_id: id, fixed_ips: `ip_address=${n.fixedIp}` });
      if (used.length) throw invalid(`Fixed IP address ${n.fixedIp} is already in use.`);
    }
    out.push({ network: id, ...(n.fixedIp ? { fixedIp: n.fixedIp } : {}), ...(n.tag ? { tag: n.tag } : {}) });
  }
  return out;
}

/**
 * `security_groups` [{name}] of a create request, each a name or an id of a
 * group of the project: the names to show and the ids the ports get. Without
 * a network service only 'default' exists.
 */
export async function resolveSecurityGroups(
  ctx: ComputeContext,
  req: FastifyRequest,
  v: unknown,
  projectId: string,
): Promise<{ names: { name: string }[]; ids?: string[] }> {
  if (v !== undefined && !Array.isArray(v)) throw badField('security_groups', v, "is not of type 'array'");
  const wanted = [
    ...new Set(
      ((v as unknown[] | undefined) ?? []).map((g) => {
        if (!isObj(g) || typeof g.name !== 'string' || !g.name || g.name.length > 255)
          throw badField('security_groups', g, "must be an object with a 'name'");
        return g.name;
      }),
    ),
  ];
  if (!ctx.network) {
    for (const name of wanted)
      if (name !== 'default') throw invalid(`Security group ${name} not found for project ${projectId}.`);
    return { names: [{ name: 'default' }] };
  }
  if (!wanted.length) return { names: [{ name: 'default' }] };
  const groups = await ctx.network.listSecurityGroups(tokenOf(req), { project_id: projectId });
  const ids = wanted.map((name) => {
    const byId = groups.find((g) => g.id === name);
    if (byId) return byId.id;
    const byName = groups.filter((g) => g.name === name);
    if (byName.length > 1)
      throw conflict(
        `Multiple security_group matches found for name '${name}', use an ID to be more specific.`,
      );
    if (!byName.length) throw invalid(`Security group ${name} not found for project ${projectId}.`);
    return byName[0]!.id;
  });
  return { names: wanted.map((name) => ({ name })), ids };
}

/**
 * The ids of a server's security groups (servers.security_groups names) in its
 * project, for ports compute creates later (attach); undefined for the
 * default group only (the network service applies it).
 */
export async function securityGroupIdsOf(
  ctx: ComputeContext,
  token: string,
  row: { projectId: string; securityGroups: { name: string }[] },
): Promise<string[] | undefined> {
  const names = row.securityGroups.map((g) => g.name);
  if (!ctx.network || names.every((n) => n === 'default')) return undefined;
  const groups = await ctx.network.listSecurityGroups(token, { project_id: row.projectId });
  return names.flatMap((n) => {
    const g = groups.find((x) => x.id === n) ?? groups.find((x) => x.name === n);
    return g ? [g.id] : [];
  });
}

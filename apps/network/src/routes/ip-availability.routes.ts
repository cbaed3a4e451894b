import type { FastifyInstance } from 'fastify';
import type { NetworkContext } from '../context.js';
import { usedCountOf } from '../db/ipam.repo.js';
import { attrTypes, listPage, sortableAttrs } from '../db/list.repo.js';
import { getNetwork, networkListSpec } from '../db/networks.repo.js';
import type { NetworkRow } from '../db/schema.js';
import { subnetsOfNetwork } from '../db/subnets.repo.js';
import { networkNotFound, policyDenied } from '../domain/errors.js';
import { parseIp } from '../domain/ip.js';
import { parseListQuery, pickFields } from '../domain/list-query.js';
import { callerFrom, fieldsOf, rawQueryOf } from './common.js';

/** Addresses in a subnet's pools. */
const poolSize = (pools: { start: string; end: string }[]): number =>
  pools.reduce((n, p) => n + Number(parseIp(p.end)!.value - parseIp(p.start)!.value + 1n), 0);

async function availability(ctx: NetworkContext, n: NetworkRow) {
  const subs = await subnetsOfNetwork(ctx.db, n.id);
  const used = await usedCountOf(
    ctx.db,
    subs.map((s) => s.id),
  );
  const per = subs.map((s) => ({
    subnet_id: s.id,
    subnet_name: s.name,
    cidr: s.cidr,
    ip_version: s.ipVersion,
    total_ips: poolSize(s.allocationPools),
    used_ips: used.get(s.id) ?? 0,
  }));
  return {
    network_id: n.id,
    network_name: n.name,
    tenant_id: n.projectId,
    project_id: n.projectId,
    total_ips: per.reduce((a, s) => a + s.total_ips, 0),
    used_ips: per.reduce((a, s) => a + s.used_ips, 0),
    subnet_ip_availability: per,
  };
}

/** network-ip-availabilities (admin only, as Neutron's default policy). */
export function ipAvailabilityRoutes(app: FastifyInstance, ctx: NetworkContext): void {
  app.get('/v2.0/network-ip-availabilities', async (req) => {
    if (!callerFrom(ctx, req).isAdmin) throw policyDenied('get_network_ip_availability');
    const raw = { ...rawQueryOf(req) };
    // network_id/network_name map to the network list's id/name; ip_version filters subnets
    const ipVersion = raw.ip_version;
    delete raw.ip_version;
    if (raw.network_id !== undefined) [raw.id, raw.network_id] = [raw.network_id, undefined];
    if (raw.network_name !== undefined) [raw.name, raw.network_name] = [raw.network_name, undefined];
    const clean = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
    const types = Object.fromEntries(
      Object.entries(attrTypes(networkListSpec)).filter(([k]) =>
        ['id', 'name', 'tenant_id', 'project_id'].includes(k),
      ),
    );
    const q = parseListQuery(clean, types, sortableAttrs(networkListSpec));
    const page = await listPage<NetworkRow>(ctx.db, networkListSpec, q);
    const out = [];
    for (const n of page.rows) {
      const a = await availability(ctx, n);
      if (ipVersion !== undefined) {
        const want = (Array.isArray(ipVersion) ? ipVersion : [ipVersion]).map(Number);
        a.subnet_ip_availability = a.subnet_ip_availability.filter((s) => want.includes(s.ip_version));
        if (!a.subnet_ip_availability.length) continue;
      }
      out.push(pickFields(a, q.fields));
    }
    return { network_ip_availabilities: out };
  });

  app.get<{ Params: { id: string } }>('/v2.0/network-ip-availabilities/:id', async (req) => {
    if (!callerFrom(ctx, req).isAdmin) throw policyDenied('get_network_ip_availability');
    const n = await getNetwork(ctx.db, req.params.id);
    if (!n) throw networkNotFound(req.params.id);
    return { network_ip_availability: pickFields(await availability(ctx, n), fieldsOf(req)) };
  });
}

import type { FastifyInstance } from 'fastify';
import type { NetworkContext } from '../context.js';
import type { NetworkTx } from '../db/database.js';
import { lockSubnetTx } from '../db/ipam.repo.js';
import { attrTypes, listPage, sortableAttrs } from '../db/list.repo.js';
import { getNetworkForUpdate } from '../db/networks.repo.js';
import { checkQuotaTx } from '../db/quotas.repo.js';
import type { SubnetRow } from '../db/schema.js';
import {
  allocateFromPoolTx,
  defaultSubnetpool,
  getSubnetpool,
  poolIdsOfSubnets,
  recordAllocationTx,
  visibleSubnetpools,
} from '../db/subnetpools.repo.js';
import {
  deleteSubnetTx,
  getSubnet,
  insertSubnetTx,
  subnetListSpec,
  subnetsOfNetwork,
  updateSubnetTx,
  visibleSubnets,
} from '../db/subnets.repo.js';
import { createBodies, resourceBody } from '../domain/attrs.js';
import { badRequest, networkNotFound, policyDenied, subnetNotFound } from '../domain/errors.js';
import { type Cidr, cidrString, cidrsOverlap, parseCidr } from '../domain/ip.js';
import { parseListQuery, pickFields } from '../domain/list-query.js';
import { checkRevision, newStandardAttrs } from '../domain/standard-attrs.js';
import {
  checkCidr,
  checkDns,
  checkGateway,
  checkGatewayOutsidePools,
  checkIpv6Modes,
  checkPools,
  checkRoutes,
  defaultPools,
  parseSubnetCreate,
  parseSubnetUpdate,
  type SubnetCreateAttrs,
} from '../domain/subnet-input.js';
import { subnetView } from '../domain/subnet-view.js';
import { subnetpoolNotFound } from '../domain/subnetpool-input.js';
import {
  type Caller,
  callerFrom,
  fieldsOf,
  ifMatchOf,
  listBody,
  owningProject,
  rawQueryOf,
} from './common.js';

type IdParams = { Params: { id: string } };

/** The subnet if the caller sees it (own, on its networks or on shared ones; admins: all), else 404. */
async function visibleSubnet(ctx: NetworkContext, c: Caller, id: string): Promise<SubnetRow> {
  const s = await getSubnet(ctx.db, id, visibleSubnets(c.projectId, c.isAdmin));
  if (!s) throw subnetNotFound(id);
  return s;
}

const overlapMessage = (cidr: string, networkId: string) =>
  badRequest(
    `Invalid input for operation: Requested subnet with cidr: ${cidr} for network: ${networkId} overlaps with another subnet.`,
    'InvalidInput',
  );

const fromPool = (a: SubnetCreateAttrs) => !!a.subnetpool_id || !!a.use_default_subnetpool;

/** Gateway, allocation pools and host routes of a new subnet with this CIDR (Neutron's 400s). */
function shapeOf(a: SubnetCreateAttrs, cidr: Cidr) {
  checkIpv6Modes(a.ip_version!, a.ipv6_ra_mode, a.ipv6_address_mode, cidr);
  const gateway = checkGateway(cidr, a.gateway_ip);
  const pools = a.allocation_pools
    ? checkPools(cidr, a.allocation_pools, gateway)
    : defaultPools(cidr, gateway);
  return { gateway, pools, routes: checkRoutes(cidr, a.host_routes ?? []) };
}

async function poolIdOf(ctx: NetworkContext, subnetId: string): Promise<string | null> {
  return (await poolIdsOfSubnets(ctx.db, [subnetId])).get(subnetId) ?? null;
}

/** The pool (named or the version's default; the caller must see it) and the CIDR it hands out. */
async function allocateFromPool(
  c: Caller,
  tx: NetworkTx,
  a: SubnetCreateAttrs,
  siblings: Cidr[],
  cidr: Cidr | undefined,
): Promise<{ poolId: string; cidr: Cidr }> {
  const scope = visibleSubnetpools(c.projectId, c.isAdmin);
  let poolId = a.subnetpool_id;
  if (!poolId) {
    const dflt = await defaultSubnetpool(tx, a.ip_version!, scope);
    if (!dflt) {
      throw badRequest(
        `Bad subnets request: No default subnetpool found for IPv${a.ip_version}.`,
        'BadRequest',
      );
    }
    poolId = dflt.id;
  } else if (!(await getSubnetpool(tx, poolId, scope))) throw subnetpoolNotFound(poolId);
  const pool = await getSubnetpool(tx, poolId);
  if (pool && pool.ipVersion !== a.ip_version) {
    throw badRequest(
      `Bad subnets request: Cannot allocate IPv${a.ip_version} subnet from IPv${pool.ipVersion} subnet pool.`,
      'BadRequest',
    );
  }
  const got = await allocateFromPoolTx(tx, poolId, siblings, { cidr, prefixlen: a.prefixlen });
  if (!got) throw subnetpoolNotFound(poolId);
  return { poolId, cidr: got.cidr };
}

export function subnetsRoutes(app: FastifyInstance, ctx: NetworkContext): void {
  app.post('/v2.0/subnets', async (req, reply) => {
    const c = callerFrom(ctx, req);
    const { items, bulk } = createBodies(req.body, 'subnet', 'subnets');
    const parsed = items.map((b) => {
      const a = parseSubnetCreate(b);
      const projectId = owningProject(c, a, 'create_subnet');
      const cidr = a.cidr !== undefined ? checkCidr(a.cidr, a.ip_version!) : undefined;
      const dns = checkDns(a.dns_nameservers ?? []);
      // from a pool the CIDR is chosen in the transaction; its shape is checked then
      return { a, projectId, cidr, dns, shape: cidr && !fromPool(a) ? shapeOf(a, cidr) : undefined };
    });
    const rows = await ctx.db.transaction(async (tx) => {
      const out: { row: SubnetRow; poolId: string | null }[] = [];
      for (const p of parsed) {
        const net = await getNetworkForUpdate(tx, p.a.network_id!);
        if (!net || !(c.isAdmin || net.projectId === c.projectId || net.shared || net.external)) {
          throw networkNotFound(p.a.network_id!);
        }
        if (!c.isAdmin && net.projectId !== c.projectId) throw policyDenied('create_subnet');
        await checkQuotaTx(tx, p.projectId, 'subnet');
        const siblings = (await subnetsOfNetwork(tx, net.id)).map((o) => parseCidr(o.cidr)!);
        let cidr = p.cidr;
        let poolId: string | null = null;
        if (fromPool(p.a)) {
          const got = await allocateFromPool(c, tx, p.a, siblings, cidr);
          cidr = got.cidr;
          poolId = got.poolId;
        }
        const shape = p.shape ?? shapeOf(p.a, cidr!);
        const text = cidrString(cidr!);
        for (const other of siblings) {
          if (cidrsOverlap(other, cidr!)) throw overlapMessage(text, net.id);
        }
        const row = await insertSubnetTx(tx, {
          ...newStandardAttrs(p.projectId, p.a),
          networkId: net.id,
          ipVersion: cidr!.version,
          cidr: text,
          gatewayIp: shape.gateway,
          enableDhcp: p.a.enable_dhcp ?? true,
          ipv6RaMode: p.a.ipv6_ra_mode ?? null,
          ipv6AddressMode: p.a.ipv6_address_mode ?? null,
          dnsNameservers: p.dns,
          hostRoutes: shape.routes,
          allocationPools: shape.pools,
        });
        if (poolId) await recordAllocationTx(tx, row.id, poolId, text);
        out.push({ row, poolId });
      }
      return out;
    });
    for (const { row } of rows) ctx.sync.request('network', row.networkId);
    const vs = rows.map(({ row, poolId }) => subnetView(row, poolId));
    return reply.code(201).send(bulk ? { subnets: vs } : { subnet: vs[0] });
  });

  app.get('/v2.0/subnets', async (req) => {
    const c = callerFrom(ctx, req);
    const q = parseListQuery(rawQueryOf(req), attrTypes(subnetListSpec), sortableAttrs(subnetListSpec));
    const page = await listPage<SubnetRow>(ctx.db, subnetListSpec, q, visibleSubnets(c.projectId, c.isAdmin));
    const pools = await poolIdsOfSubnets(
      ctx.db,
      page.rows.map((r) => r.id),
    );
    const vs = page.rows.map((r) => subnetView(r, pools.get(r.id) ?? null));
    return listBody(ctx, 'subnets', req, q, vs, page.hasMore);
  });

  app.get<IdParams>('/v2.0/subnets/:id', async (req) => {
    const s = await visibleSubnet(ctx, callerFrom(ctx, req), req.params.id);
    return { subnet: pickFields(subnetView(s, await poolIdOf(ctx, s.id)), fieldsOf(req)) };
  });

  app.put<IdParams>('/v2.0/subnets/:id', async (req) => {
    const c = callerFrom(ctx, req);
    const expected = ifMatchOf(req);
    const a = parseSubnetUpdate(resourceBody(req.body, 'subnet'));
    const before = await visibleSubnet(ctx, c, req.params.id);
    if (!c.isAdmin && before.projectId !== c.projectId) throw policyDenied('update_subnet');
    const poolId = await poolIdOf(ctx, before.id);
    const row = await ctx.db.transaction(async (tx) => {
      const s = await lockSubnetTx(tx, before.id);
      if (!s) throw subnetNotFound(before.id);
      checkRevision(expected, s.revisionNumber);
      const cidr = parseCidr(s.cidr)!;
      const readOnly = {
        network_id: s.networkId,
        ip_version: s.ipVersion,
        cidr: s.cidr,
        ipv6_ra_mode: s.ipv6RaMode,
        ipv6_address_mode: s.ipv6AddressMode,
        tenant_id: s.projectId,
        project_id: s.projectId,
        subnetpool_id: poolId,
        segment_id: null,
      } as const;
      for (const [k, cur] of Object.entries(readOnly)) {
        const want = a[k as keyof typeof readOnly];
        const same =
          k === 'cidr' && typeof want === 'string'
            ? parseCidr(want) && cidrString(parseCidr(want)!) === cur
            : want === cur;
        if (want !== undefined && !same) throw badRequest(`Cannot update read-only attribute ${k}`);
      }
      const gateway = a.gateway_ip !== undefined ? checkGateway(cidr, a.gateway_ip) : s.gatewayIp;
      const pools =
        a.allocation_pools !== undefined ? checkPools(cidr, a.allocation_pools, gateway) : s.allocationPools;
      checkGatewayOutsidePools(gateway, pools);
      return updateSubnetTx(tx, s.id, {
        ...(a.name !== undefined ? { name: a.name } : {}),
        ...(a.description !== undefined ? { description: a.description } : {}),
        ...(a.gateway_ip !== undefined ? { gatewayIp: gateway } : {}),
        ...(a.allocation_pools !== undefined ? { allocationPools: pools } : {}),
        ...(a.dns_nameservers !== undefined ? { dnsNameservers: checkDns(a.dns_nameservers) } : {}),
        ...(a.host_routes !== undefined ? { hostRoutes: checkRoutes(cidr, a.host_routes) } : {}),
        ...(a.enable_dhcp !== undefined ? { enableDhcp: a.enable_dhcp } : {}),
      });
    });
    if (!row) throw subnetNotFound(before.id);
    ctx.sync.request('network', row.networkId);
    return { subnet: subnetView(row, poolId) };
  });

  app.delete<IdParams>('/v2.0/subnets/:id', async (req, reply) => {
    const c = callerFrom(ctx, req);
    const expected = ifMatchOf(req);
    const before = await visibleSubnet(ctx, c, req.params.id);
    if (!c.isAdmin && before.projectId !== c.projectId) throw policyDenied('delete_subnet');
    const portIds = await ctx.db.transaction(async (tx) => {
      // the network row first (as subnet create does), then the subnet: no lock-order inversion
      await getNetworkForUpdate(tx, before.networkId);
      const s = await lockSubnetTx(tx, before.id);
      if (!s) throw subnetNotFound(before.id);
      checkRevision(expected, s.revisionNumber);
      return deleteSubnetTx(tx, s);
    });
    for (const id of portIds) ctx.sync.request('port', id);
    ctx.sync.request('network', before.networkId);
    return reply.code(204).send();
  });
}

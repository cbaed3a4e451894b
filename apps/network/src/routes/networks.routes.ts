import type { FastifyInstance } from 'fastify';
import type { NetworkContext } from '../context.js';
import { attrTypes, listPage, sortableAttrs } from '../db/list.repo.js';
import {
  allocateVniTx,
  deleteNetworkTx,
  getNetwork,
  getNetworkForUpdate,
  hasForeignPorts,
  insertNetworkTx,
  networkListSpec,
  segmentInUse,
  subnetIdsOf,
  updateNetworkTx,
  visibleNetworks,
} from '../db/networks.repo.js';
import { checkQuotaTx } from '../db/quotas.repo.js';
import type { NetworkRow } from '../db/schema.js';
import { createBodies, resourceBody } from '../domain/attrs.js';
import { badRequest, conflictOf, networkNotFound, policyDenied } from '../domain/errors.js';
import { parseListQuery, pickFields } from '../domain/list-query.js';
import {
  checkAvailabilityZones,
  checkMtu,
  maxMtuOf,
  parseNetworkCreate,
  parseNetworkUpdate,
  segmentInUse as segmentInUseError,
  segmentOf,
} from '../domain/network-input.js';
import { networkView } from '../domain/network-view.js';
import { checkRevision, newStandardAttrs } from '../domain/standard-attrs.js';
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

/** The network if the caller sees it (own, shared, external; admins: all), else 404. */
export async function visibleNetwork(ctx: NetworkContext, c: Caller, id: string): Promise<NetworkRow> {
  const n = await getNetwork(ctx.db, id);
  if (!n || !(c.isAdmin || n.projectId === c.projectId || n.shared || n.external)) throw networkNotFound(id);
  return n;
}

/** Owners and admins change a network; others who see it get Neutron's 403. */
function checkOwner(c: Caller, n: NetworkRow, action: string): void {
  if (!c.isAdmin && n.projectId !== c.projectId) throw policyDenied(action);
}

async function views(ctx: NetworkContext, rows: NetworkRow[], isAdmin: boolean) {
  const subs = await subnetIdsOf(
    ctx.db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => networkView(r, subs.get(r.id) ?? [], isAdmin));
}

export function networksRoutes(app: FastifyInstance, ctx: NetworkContext): void {
  app.post('/v2.0/networks', async (req, reply) => {
    const c = callerFrom(ctx, req);
    const { items, bulk } = createBodies(req.body, 'network', 'networks');
    const parsed = items.map((b) => {
      const a = parseNetworkCreate(b);
      const projectId = owningProject(c, a, 'create_network');
      if (a.shared && !c.isAdmin) throw policyDenied('create_network:shared');
      if (a['router:external'] && !c.isAdmin) throw policyDenied('create_network:router:external');
      const provider = [
        'provider:network_type',
        'provider:physical_network',
        'provider:segmentation_id',
      ] as const;
      if (provider.some((k) => a[k] !== undefined && a[k] !== null) && !c.isAdmin) {
        throw policyDenied('create_network:provider');
      }
      const segment = segmentOf(a, ctx.tunnelType);
      const max = maxMtuOf(segment.networkType, ctx.defaultMtu);
      if (a.mtu !== undefined) checkMtu(a.mtu, max);
      const azs = checkAvailabilityZones(a.availability_zone_hints);
      return {
        a,
        projectId,
        segment,
        mtu: a.mtu ?? (segment.networkType === 'flat' ? 1500 : ctx.defaultMtu),
        azs,
      };
    });
    const rows = await ctx.db.transaction(async (tx) => {
      const out: NetworkRow[] = [];
      for (const { a, projectId, segment, mtu, azs } of parsed) {
        await checkQuotaTx(tx, projectId, 'network');
        let seg = segment.segmentationId;
        if (seg === undefined) seg = await allocateVniTx(tx, segment.networkType);
        else if (await segmentInUse(tx, segment.networkType, seg, segment.physicalNetwork)) {
          throw segmentInUseError(segment);
        }
        out.push(
          await insertNetworkTx(tx, {
            ...newStandardAttrs(projectId, a),
            adminStateUp: a.admin_state_up ?? true,
            shared: a.shared ?? false,
            external: a['router:external'] ?? false,
            mtu,
            portSecurityEnabled: a.port_security_enabled ?? true,
            networkType: segment.networkType,
            physicalNetwork: segment.physicalNetwork,
            segmentationId: seg,
            availabilityZoneHints: azs,
          }),
        );
      }
      return out;
    });
    for (const r of rows) ctx.sync.request('network', r.id);
    const vs = await views(ctx, rows, c.isAdmin);
    return reply.code(201).send(bulk ? { networks: vs } : { network: vs[0] });
  });

  app.get('/v2.0/networks', async (req) => {
    const c = callerFrom(ctx, req);
    const q = parseListQuery(rawQueryOf(req), attrTypes(networkListSpec), sortableAttrs(networkListSpec));
    const page = await listPage<NetworkRow>(
      ctx.db,
      networkListSpec,
      q,
      visibleNetworks(c.projectId, c.isAdmin),
    );
    return listBody(ctx, 'networks', req, q, await views(ctx, page.rows, c.isAdmin), page.hasMore);
  });

  app.get<IdParams>('/v2.0/networks/:id', async (req) => {
    const c = callerFrom(ctx, req);
    const n = await visibleNetwork(ctx, c, req.params.id);
    const [v] = await views(ctx, [n], c.isAdmin);
    return { network: pickFields(v!, fieldsOf(req)) };
  });

  app.put<IdParams>('/v2.0/networks/:id', async (req) => {
    const c = callerFrom(ctx, req);
    const expected = ifMatchOf(req);
    const a = parseNetworkUpdate(resourceBody(req.body, 'network'));
    const row = await ctx.db.transaction(async (tx) => {
      const n = await getNetworkForUpdate(tx, req.params.id);
      if (!n || !(c.isAdmin || n.projectId === c.projectId || n.shared || n.external)) {
        throw networkNotFound(req.params.id);
      }
      checkOwner(c, n, 'update_network');
      checkRevision(expected, n.revisionNumber);
      for (const k of ['tenant_id', 'project_id'] as const) {
        if (a[k] !== undefined && a[k] !== n.projectId)
          throw badRequest(`Cannot update read-only attribute ${k}`);
      }
      const provider = {
        'provider:network_type': n.networkType,
        'provider:physical_network': n.physicalNetwork,
        'provider:segmentation_id': n.segmentationId,
      } as const;
      for (const [k, cur] of Object.entries(provider)) {
        const want = a[k as keyof typeof provider];
        if (want !== undefined && want !== cur) {
          throw badRequest(
            'Invalid input for operation: Plugin does not support updating provider attributes.',
            'InvalidInput',
          );
        }
      }
      if (a.shared !== undefined && a.shared !== n.shared && !c.isAdmin)
        throw policyDenied('update_network:shared');
      if (a['router:external'] !== undefined && a['router:external'] !== n.external && !c.isAdmin) {
        throw policyDenied('update_network:router:external');
      }
      if (a.shared === false && n.shared && (await hasForeignPorts(tx, n.id, n.projectId))) {
        throw conflictOf(
          'InvalidSharedSetting',
          `Unable to reconfigure sharing settings for network ${n.id}. Multiple tenants are using it.`,
        );
      }
      if (a.mtu !== undefined) checkMtu(a.mtu, maxMtuOf(n.networkType, ctx.defaultMtu));
      return updateNetworkTx(tx, n.id, {
        ...(a.name !== undefined ? { name: a.name } : {}),
        ...(a.description !== undefined ? { description: a.description } : {}),
        ...(a.admin_state_up !== undefined ? { adminStateUp: a.admin_state_up } : {}),
        ...(a.shared !== undefined ? { shared: a.shared } : {}),
        ...(a['router:external'] !== undefined ? { external: a['router:external'] } : {}),
        ...(a.mtu !== undefined ? { mtu: a.mtu } : {}),
        ...(a.port_security_enabled !== undefined ? { portSecurityEnabled: a.port_security_enabled } : {}),
      });
    });
    if (!row) throw networkNotFound(req.params.id);
    ctx.sync.request('network', row.id);
    const [v] = await views(ctx, [row], c.isAdmin);
    return { network: v };
  });

  app.delete<IdParams>('/v2.0/networks/:id', async (req, reply) => {
    const c = callerFrom(ctx, req);
    const expected = ifMatchOf(req);
    const n = await visibleNetwork(ctx, c, req.params.id);
    checkOwner(c, n, 'delete_network');
    const res = await ctx.db.transaction(async (tx) => {
      const cur = await getNetworkForUpdate(tx, n.id);
      if (!cur) throw networkNotFound(n.id);
      checkRevision(expected, cur.revisionNumber);
      return deleteNetworkTx(tx, n.id);
    });
    if (!res.deleted) throw networkNotFound(n.id);
    for (const id of res.floatingIpIds) ctx.sync.request('floating_ip', id);
    for (const id of res.portIds) ctx.sync.request('port', id);
    ctx.sync.request('network', n.id);
    return reply.code(204).send();
  });
}

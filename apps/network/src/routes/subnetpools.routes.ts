import type { FastifyInstance } from 'fastify';
import type { NetworkContext } from '../context.js';
import { attrTypes, listPage, sortableAttrs } from '../db/list.repo.js';
import {
  checkDefaultFreeTx,
  deleteSubnetpoolTx,
  getSubnetpool,
  insertSubnetpoolTx,
  lockSubnetpoolTx,
  type SubnetpoolRow,
  subnetpoolListSpec,
  updateSubnetpoolTx,
  visibleSubnetpools,
} from '../db/subnetpools.repo.js';
import { createBodies, resourceBody } from '../domain/attrs.js';
import { badRequest, policyDenied } from '../domain/errors.js';
import { cidrString, type IpVersion } from '../domain/ip.js';
import { parseListQuery, pickFields } from '../domain/list-query.js';
import { checkRevision, newStandardAttrs } from '../domain/standard-attrs.js';
import { cidrsOf } from '../domain/subnetpool-alloc.js';
import {
  checkPrefixesGrow,
  normalisePrefixes,
  parseSubnetpoolCreate,
  parseSubnetpoolUpdate,
  prefixBounds,
  subnetpoolNotFound,
} from '../domain/subnetpool-input.js';
import { subnetpoolView } from '../domain/subnetpool-view.js';
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

/** The pool if the caller sees it (own or shared; admins: all), else 404. */
export async function visibleSubnetpool(ctx: NetworkContext, c: Caller, id: string): Promise<SubnetpoolRow> {
  const p = await getSubnetpool(ctx.db, id, visibleSubnetpools(c.projectId, c.isAdmin));
  if (!p) throw subnetpoolNotFound(id);
  return p;
}

const checkOwner = (c: Caller, p: SubnetpoolRow, action: string) => {
  if (!c.isAdmin && p.projectId !== c.projectId) throw policyDenied(action);
};

export function subnetpoolsRoutes(app: FastifyInstance, ctx: NetworkContext): void {
  app.post('/v2.0/subnetpools', async (req, reply) => {
    const c = callerFrom(ctx, req);
    const { items, bulk } = createBodies(req.body, 'subnetpool', 'subnetpools');
    const parsed = items.map((b) => {
      const a = parseSubnetpoolCreate(b);
      const projectId = owningProject(c, a, 'create_subnetpool');
      if (a.shared && !c.isAdmin) throw policyDenied('create_subnetpool:shared');
      if (a.is_default && !c.isAdmin) throw policyDenied('create_subnetpool:is_default');
      const { version, prefixes } = normalisePrefixes(a.prefixes!);
      const bounds = prefixBounds(version, {
        min: a.min_prefixlen,
        max: a.max_prefixlen,
        default: a.default_prefixlen,
      });
      return { a, projectId, version, prefixes, bounds };
    });
    const rows = await ctx.db.transaction(async (tx) => {
      const out: SubnetpoolRow[] = [];
      for (const { a, projectId, version, prefixes, bounds } of parsed) {
        if (a.is_default) await checkDefaultFreeTx(tx, version);
        out.push(
          await insertSubnetpoolTx(tx, {
            ...newStandardAttrs(projectId, a),
            ipVersion: version,
            prefixes: prefixes.map(cidrString),
            defaultPrefixlen: bounds.default,
            minPrefixlen: bounds.min,
            maxPrefixlen: bounds.max,
            shared: a.shared ?? false,
            isDefault: a.is_default ?? false,
          }),
        );
      }
      return out;
    });
    const vs = rows.map(subnetpoolView);
    return reply.code(201).send(bulk ? { subnetpools: vs } : { subnetpool: vs[0] });
  });

  app.get('/v2.0/subnetpools', async (req) => {
    const c = callerFrom(ctx, req);
    const q = parseListQuery(
      rawQueryOf(req),
      attrTypes(subnetpoolListSpec),
      sortableAttrs(subnetpoolListSpec),
    );
    const page = await listPage<SubnetpoolRow>(
      ctx.db,
      subnetpoolListSpec,
      q,
      visibleSubnetpools(c.projectId, c.isAdmin),
    );
    return listBody(ctx, 'subnetpools', req, q, page.rows.map(subnetpoolView), page.hasMore);
  });

  app.get<IdParams>('/v2.0/subnetpools/:id', async (req) => {
    const p = await visibleSubnetpool(ctx, callerFrom(ctx, req), req.params.id);
    return { subnetpool: pickFields(subnetpoolView(p), fieldsOf(req)) };
  });

  app.put<IdParams>('/v2.0/subnetpools/:id', async (req) => {
    const c = callerFrom(ctx, req);
    const expected = ifMatchOf(req);
    const a = parseSubnetpoolUpdate(resourceBody(req.body, 'subnetpool'));
    const before = await visibleSubnetpool(ctx, c, req.params.id);
    checkOwner(c, before, 'update_subnetpool');
    const row = await ctx.db.transaction(async (tx) => {
      const p = await lockSubnetpoolTx(tx, before.id);
      if (!p) throw subnetpoolNotFound(before.id);
      checkRevision(expected, p.revisionNumber);
      const readOnly = {
        ip_version: p.ipVersion,
        shared: p.shared,
        tenant_id: p.projectId,
        project_id: p.projectId,
      };
      for (const [k, cur] of Object.entries(readOnly)) {
        const want = a[k as keyof typeof readOnly];
        if (want !== undefined && want !== cur) throw badRequest(`Cannot update read-only attribute ${k}`);
      }
      if (a.is_default !== undefined && a.is_default !== p.isDefault) {
        if (!c.isAdmin) throw policyDenied('update_subnetpool:is_default');
        if (a.is_default) await checkDefaultFreeTx(tx, p.ipVersion, p.id);
      }
      let prefixes = p.prefixes;
      if (a.prefixes !== undefined) {
        const next = normalisePrefixes(a.prefixes);
        if (next.version !== p.ipVersion) {
          throw badRequest('Cannot mix IPv4 and IPv6 prefixes in a subnet pool.', 'PrefixVersionMismatch');
        }
        checkPrefixesGrow(cidrsOf(p.prefixes), next.prefixes);
        prefixes = next.prefixes.map(cidrString);
      }
      const bounds = prefixBounds(p.ipVersion as IpVersion, {
        min: a.min_prefixlen ?? p.minPrefixlen,
        max: a.max_prefixlen ?? p.maxPrefixlen,
        default: a.default_prefixlen ?? p.defaultPrefixlen,
      });
      return updateSubnetpoolTx(tx, p.id, {
        ...(a.name !== undefined ? { name: a.name } : {}),
        ...(a.description !== undefined ? { description: a.description } : {}),
        ...(a.is_default !== undefined ? { isDefault: a.is_default } : {}),
        prefixes,
        minPrefixlen: bounds.min,
        maxPrefixlen: bounds.max,
        defaultPrefixlen: bounds.default,
      });
    });
    if (!row) throw subnetpoolNotFound(before.id);
    return { subnetpool: subnetpoolView(row) };
  });

  app.delete<IdParams>('/v2.0/subnetpools/:id', async (req, reply) => {
    const c = callerFrom(ctx, req);
    const expected = ifMatchOf(req);
    const p = await visibleSubnetpool(ctx, c, req.params.id);
    checkOwner(c, p, 'delete_subnetpool');
    const deleted = await ctx.db.transaction(async (tx) => {
      const cur = await lockSubnetpoolTx(tx, p.id);
      if (!cur) return false;
      checkRevision(expected, cur.revisionNumber);
      return deleteSubnetpoolTx(tx, p.id);
    });
    if (!deleted) throw subnetpoolNotFound(p.id);
    return reply.code(204).send();
  });
}

import type { FastifyInstance } from 'fastify';
import type { NetworkContext } from '../context.js';
import { disassociateFloatingIpsOfPortTx } from '../db/floating-ips.repo.js';
import { attrTypes, listPage, sortableAttrs } from '../db/list.repo.js';
import { getNetwork } from '../db/networks.repo.js';
import { updatePortTx } from '../db/port-update.repo.js';
import {
  createPortTx,
  deletePortTx,
  findPort,
  lockPortTx,
  type PortCreate,
  type PortRecord,
  portListSpec,
  toRecords,
  visiblePorts,
} from '../db/ports.repo.js';
import type { PortRow } from '../db/schema.js';
import { createBodies, resourceBody } from '../domain/attrs.js';
import { badRequest, conflictOf, networkNotFound, policyDenied, portNotFound } from '../domain/errors.js';
import { parseListQuery, pickFields } from '../domain/list-query.js';
import { PROTECTED_OWNERS, parsePortCreate, parsePortUpdate } from '../domain/port-input.js';
import { portView } from '../domain/port-view.js';
import { checkRevision } from '../domain/standard-attrs.js';
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

/** The port if the caller sees it (own, or on its networks; admins: all), else 404. */
async function visiblePort(ctx: NetworkContext, c: Caller, id: string): Promise<PortRecord> {
  const p = await findPort(ctx.db, id, visiblePorts(c.projectId, c.isAdmin));
  if (!p) throw portNotFound(id);
  return p;
}

const view = (c: Caller) => (p: PortRecord) => portView(p, c.isService);

export function portsRoutes(app: FastifyInstance, ctx: NetworkContext): void {
  app.post('/v2.0/ports', async (req, reply) => {
    const c = callerFrom(ctx, req);
    const { items, bulk } = createBodies(req.body, 'port', 'ports');
    const inputs: PortCreate[] = [];
    for (const b of items) {
      const a = parsePortCreate(b);
      const projectId = owningProject(c, a, 'create_port');
      const net = await getNetwork(ctx.db, a.network_id!);
      if (!net || !(c.isAdmin || net.projectId === c.projectId || net.shared || net.external)) {
        throw networkNotFound(a.network_id!);
      }
      const networkOwner = c.isAdmin || net.projectId === c.projectId;
      if (a['binding:host_id'] !== undefined || a['binding:profile'] !== undefined) {
        if (!c.isService) throw policyDenied('create_port:binding:host_id');
      }
      if (!networkOwner) {
        if (a.mac_address !== undefined) throw policyDenied('create_port:mac_address');
        if (a.fixed_ips?.some((f) => f.ipAddress !== undefined))
          throw policyDenied('create_port:fixed_ips:ip_address');
        if (a.device_owner?.startsWith('network:')) throw policyDenied('create_port:device_owner');
      }
      inputs.push({
        projectId,
        networkId: net.id,
        name: a.name,
        description: a.description,
        adminStateUp: a.admin_state_up,
        macAddress: a.mac_address,
        fixedIps: a.fixed_ips,
        deviceId: a.device_id,
        deviceOwner: a.device_owner,
        securityGroupIds: a.security_groups === null ? null : a.security_groups,
        portSecurityEnabled: a.port_security_enabled,
        allowedAddressPairs: a.allowed_address_pairs,
        bindingHostId: a['binding:host_id'],
        bindingProfile: a['binding:profile'] ?? undefined,
        bindingVnicType: a['binding:vnic_type'],
        tags: a.tags,
      });
    }
    const records = await ctx.db.transaction(async (tx) => {
      const out: PortRecord[] = [];
      for (const input of inputs) out.push(await createPortTx(tx, input, c.isAdmin));
      return out;
    });
    for (const p of records) {
      // the create may have made the project's default security group: OVN needs its port group too
      for (const sg of p.securityGroupIds) ctx.sync.request('security_group', sg);
      ctx.sync.request('port', p.id);
    }
    const vs = records.map(view(c));
    return reply.code(201).send(bulk ? { ports: vs } : { port: vs[0] });
  });

  app.get('/v2.0/ports', async (req) => {
    const c = callerFrom(ctx, req);
    const q = parseListQuery(rawQueryOf(req), attrTypes(portListSpec), sortableAttrs(portListSpec));
    const page = await listPage<PortRow>(ctx.db, portListSpec, q, visiblePorts(c.projectId, c.isAdmin));
    const records = await toRecords(ctx.db, page.rows);
    return listBody(ctx, 'ports', req, q, records.map(view(c)), page.hasMore);
  });

  app.get<IdParams>('/v2.0/ports/:id', async (req) => {
    const c = callerFrom(ctx, req);
    const p = await visiblePort(ctx, c, req.params.id);
    return { port: pickFields(view(c)(p), fieldsOf(req)) };
  });

  app.put<IdParams>('/v2.0/ports/:id', async (req) => {
    const c = callerFrom(ctx, req);
    const expected = ifMatchOf(req);
    const a = parsePortUpdate(resourceBody(req.body, 'port'));
    const before = await visiblePort(ctx, c, req.params.id);
    const net = await getNetwork(ctx.db, before.networkId);
    const networkOwner = c.isAdmin || net?.projectId === c.projectId;
    if (!c.isAdmin && before.projectId !== c.projectId && !networkOwner) throw policyDenied('update_port');
    for (const k of ['network_id', 'tenant_id', 'project_id'] as const) {
      const cur = k === 'network_id' ? before.networkId : before.projectId;
      if (a[k] !== undefined && a[k] !== cur) throw badRequest(`Cannot update read-only attribute ${k}`);
    }
    if ((a['binding:host_id'] !== undefined || a['binding:profile'] !== undefined) && !c.isService) {
      throw policyDenied('update_port:binding:host_id');
    }
    if (a.mac_address !== undefined && a.mac_address !== before.macAddress && !c.isAdmin) {
      throw policyDenied('update_port:mac_address');
    }
    if (!networkOwner) {
      if (a.fixed_ips?.some((f) => f.ipAddress !== undefined))
        throw policyDenied('update_port:fixed_ips:ip_address');
      if (a.device_owner?.startsWith('network:')) throw policyDenied('update_port:device_owner');
    }
    const { record, fips } = await ctx.db.transaction(async (tx) => {
      const row = await lockPortTx(tx, before.id);
      if (!row) throw portNotFound(before.id);
      checkRevision(expected, row.revisionNumber);
      const record = await updatePortTx(
        tx,
        row,
        {
          name: a.name,
          description: a.description,
          adminStateUp: a.admin_state_up,
          macAddress: a.mac_address,
          fixedIps: a.fixed_ips,
          deviceId: a.device_id,
          deviceOwner: a.device_owner,
          securityGroupIds: a.security_groups,
          portSecurityEnabled: a.port_security_enabled,
          allowedAddressPairs: a.allowed_address_pairs,
          bindingHostId: a['binding:host_id'],
          bindingProfile: a['binding:profile'] === null ? {} : a['binding:profile'],
          bindingVnicType: a['binding:vnic_type'],
        },
        c.isAdmin,
      );
      // a floating IP whose fixed address went away is disassociated
      const fips =
        a.fixed_ips !== undefined
          ? await disassociateFloatingIpsOfPortTx(
              tx,
              record.id,
              record.fixedIps.map((f) => f.ipAddress),
            )
          : [];
      return { record, fips };
    });
    ctx.sync.request('port', record.id);
    for (const id of fips) ctx.sync.request('floating_ip', id);
    return { port: view(c)(record) };
  });

  app.delete<IdParams>('/v2.0/ports/:id', async (req, reply) => {
    const c = callerFrom(ctx, req);
    const expected = ifMatchOf(req);
    const before = await visiblePort(ctx, c, req.params.id);
    const net = await getNetwork(ctx.db, before.networkId);
    if (!c.isAdmin && before.projectId !== c.projectId && net?.projectId !== c.projectId) {
      throw policyDenied('delete_port');
    }
    if (PROTECTED_OWNERS.includes(before.deviceOwner)) {
      throw conflictOf(
        'PortInUse',
        `Port ${before.id} cannot be deleted directly via the port API: has device owner ${before.deviceOwner}.`,
      );
    }
    const fips = await ctx.db.transaction(async (tx) => {
      const row = await lockPortTx(tx, before.id);
      if (!row) throw portNotFound(before.id);
      checkRevision(expected, row.revisionNumber);
      const fips = await disassociateFloatingIpsOfPortTx(tx, row.id);
      await deletePortTx(tx, row.id);
      return fips;
    });
    for (const id of fips) ctx.sync.request('floating_ip', id);
    ctx.sync.request('port', before.id);
    return reply.code(204).send();
  });
}

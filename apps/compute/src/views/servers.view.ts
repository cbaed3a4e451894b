import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ServerRow } from '../db/servers.repo.js';
import { basicAddresses } from '../domain/server-networks.js';
import { serverStatus, type TaskState, type VmState } from '../domain/states.js';
import { atLeast } from '../http/microversion.js';
import { baseUrl, novaTime, resourceLinks } from '../http/nova-request.js';

/** Nova's created/updated format: 2012-08-20T21:11:09Z. */
export const isoZ = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Nova's hostId: sha224 of project id + host, "" when not on a host. */
export const hostIdOf = (projectId: string, host: string | null | undefined) =>
  host ? createHash('sha224').update(`${projectId}${host}`).digest('hex') : '';

export const instanceName = (id: string) => `instance-${id.replace(/-/g, '').slice(0, 8)}`;

const PROGRESS_STATUSES = new Set(['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING']);

export const statusOf = (r: ServerRow) => serverStatus(r.vmState as VmState, r.taskState as TaskState | null);

/** What a server view shows beyond the row. */
export interface ServerExtras {
  metadata: Record<string, string>;
  tags: string[];
}

export interface ServerViewOpts {
  /** show: GET one; list: /servers/detail; update/rebuild: their responses. */
  mode: 'show' | 'list' | 'update' | 'rebuild';
  /** May see OS-EXT-SRV-ATTR:* (admin by default). */
  extendedAttrs: boolean;
  /** host_status (2.16) when the caller may see it. */
  hostStatus?: string;
  /** May see fault details. */
  isAdmin: boolean;
}

/** A server in `GET /servers`: id, name, links. */
export function serverSummary(req: FastifyRequest, r: ServerRow) {
  return { id: r.id, name: r.name, links: resourceLinks(req, 'servers', r.id) };
}

function flavorView(req: FastifyRequest, r: ServerRow) {
  const f = r.flavor;
  if (!atLeast(req, '2.47'))
    return {
      id: f.id,
      links: [{ rel: 'bookmark', href: `${baseUrl(req)}/flavors/${encodeURIComponent(f.id)}` }],
    };
  return {
    vcpus: f.vcpus,
    ram: f.ramMb,
    disk: f.diskGb,
    ephemeral: f.ephemeralGb,
    swap: f.swapMb,
    original_name: f.name,
    extra_specs: f.extraSpecs,
  };
}

function imageView(req: FastifyRequest, r: ServerRow) {
  if (!r.imageId) return '';
  return {
    id: r.imageId,
    links: [{ rel: 'bookmark', href: `${baseUrl(req)}/images/${encodeURIComponent(r.imageId)}` }],
  };
}

/**
 * A server in Nova's shape for the request's microversion: the common fields
 * (update below 2.75) or the detail fields (show, list detail, and update/
 * rebuild from 2.75), each field gated by the version that introduced it.
 */
export function serverView(req: FastifyRequest, r: ServerRow, x: ServerExtras, o: ServerViewOpts) {
  const status = statusOf(r);
  const out: Record<string, unknown> = {
    id: r.id,
    name: r.name,
    status,
    tenant_id: r.projectId,
    user_id: r.userId,
    metadata: x.metadata,
    hostId: hostIdOf(r.projectId, r.host),
    image: imageView(req, r),
    flavor: flavorView(req, r),
    created: isoZ(r.createdAt),
    updated: isoZ(r.updatedAt),
    addresses: r.addresses,
    accessIPv4: r.accessIpv4 ?? '',
    accessIPv6: r.accessIpv6 ?? '',
    links: resourceLinks(req, 'servers', r.id),
    'OS-DCF:diskConfig': r.diskConfig,
  };
  if (PROGRESS_STATUSES.has(status)) out.progress = r.progress;
  if ((status === 'ERROR' || status === 'DELETED') && r.fault) {
    const { code, message, created, details } = r.fault;
    out.fault = {
      code,
      message,
      created,
      ...(details !== undefined && (o.isAdmin || code !== 500) ? { details } : {}),
    };
  }
  if (atLeast(req, '2.9')) out.locked = r.locked;
  if (atLeast(req, '2.73')) out.locked_reason = r.lockedReason;
  if (atLeast(req, '2.19')) out.description = r.description;
  if (atLeast(req, '2.26')) out.tags = x.tags;
  if (atLeast(req, '2.63')) out.trusted_image_certificates = null;

  const detail = o.mode === 'show' || o.mode === 'list' || atLeast(req, '2.75');
  if (detail) Object.assign(out, detailFields(req, r, o));
  // the OS-EXT-IPS keys belong to the detail views (Nova's extend_address)
  else out.addresses = basicAddresses(r.addresses);
  if (o.mode !== 'list' && atLeast(req, '2.71')) out.server_groups = r.serverGroupId ? [r.serverGroupId] : [];
  if (o.mode === 'rebuild') {
    if (atLeast(req, '2.54')) out.key_name = r.keyName;
    if (atLeast(req, '2.57')) {
      out.user_data = r.userData;
      delete out['OS-EXT-SRV-ATTR:user_data'];
    }
  }
  return out;
}

function detailFields(req: FastifyRequest, r: ServerRow, o: ServerViewOpts): Record<string, unknown> {
  const out: Record<string, unknown> = {
    key_name: r.keyName,
    // Nova leaves the key out when the server is in no group (e.g. after removeSecurityGroup of the last)
    ...(r.securityGroups.length ? { security_groups: r.securityGroups } : {}),
    'OS-EXT-AZ:availability_zone': r.availabilityZone ?? '',
    'OS-SRV-USG:launched_at': novaTime(r.launchedAt),
    'OS-SRV-USG:terminated_at': novaTime(r.terminatedAt),
    'OS-EXT-STS:vm_state': r.vmState,
    'OS-EXT-STS:task_state': r.taskState,
    'OS-EXT-STS:power_state': r.powerState,
    config_drive: r.configDrive ? 'True' : '',
    'os-extended-volumes:volumes_attached': [],
  };
  if (o.extendedAttrs) {
    out['OS-EXT-SRV-ATTR:host'] = r.host;
    out['OS-EXT-SRV-ATTR:hypervisor_hostname'] = r.host;
    out['OS-EXT-SRV-ATTR:instance_name'] = instanceName(r.id);
    if (atLeast(req, '2.3')) {
      out['OS-EXT-SRV-ATTR:reservation_id'] = r.reservationId;
      out['OS-EXT-SRV-ATTR:launch_index'] = r.launchIndex;
      out['OS-EXT-SRV-ATTR:kernel_id'] = '';
      out['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
      out['OS-EXT-SRV-ATTR:hostname'] = r.hostname;
      out['OS-EXT-SRV-ATTR:root_device_name'] = '/dev/vda';
      out['OS-EXT-SRV-ATTR:user_data'] = r.userData;
    }
  } else if (atLeast(req, '2.90')) {
    // 2.90: the hostname is no longer admin-only
    out['OS-EXT-SRV-ATTR:hostname'] = r.hostname;
  }
  if (atLeast(req, '2.16') && o.hostStatus !== undefined) out.host_status = o.hostStatus;
  return out;
}

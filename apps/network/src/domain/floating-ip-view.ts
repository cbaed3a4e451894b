import type { floatingIps } from '../db/schema-l3.js';
import { badRequest } from './errors.js';
import { canonicalIp } from './ip.js';
import { standardView } from './standard-attrs.js';

export type FloatingIpRow = typeof floatingIps.$inferSelect;

/** The associated port as fip-port-details shows it. */
export interface FipPortDetails {
  name: string;
  network_id: string;
  mac_address: string;
  admin_state_up: boolean;
  status: string;
  device_id: string;
  device_owner: string;
}

/** Neutron's floatingip view. Status: ACTIVE when associated, DOWN otherwise. */
export function floatingIpView(f: FloatingIpRow, portDetails: FipPortDetails | null = null) {
  return {
    id: f.id,
    ...standardView(f),
    floating_ip_address: f.floatingIpAddress,
    floating_network_id: f.floatingNetworkId,
    router_id: f.routerId,
    port_id: f.portId,
    fixed_ip_address: f.fixedIpAddress,
    status: f.portId ? 'ACTIVE' : 'DOWN',
    port_details: f.portId ? portDetails : null,
  };
}

export interface FloatingIpInput {
  floatingNetworkId?: string;
  /** undefined: not in the request; null: disassociate. */
  portId?: string | null;
  fixedIpAddress?: string;
  floatingIpAddress?: string;
  subnetId?: string;
  description?: string;
  projectId?: string;
  tags?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown) => (typeof v === 'string' ? v.slice(0, 80) : JSON.stringify(v)?.slice(0, 80));

function id(attr: string, v: unknown): string {
  if (typeof v !== 'string' || v === '')
    throw badRequest(`Invalid input for ${attr}. Reason: '${shown(v)}' is not a valid UUID.`);
  return v;
}

function ip(attr: string, v: unknown): string {
  const s = canonicalIp(v);
  if (!s) throw badRequest(`Invalid input for ${attr}. Reason: '${shown(v)}' is not a valid IP address.`);
  return s;
}

const CREATE = new Set([
  'floating_network_id',
  'port_id',
  'fixed_ip_address',
  'floating_ip_address',
  'subnet_id',
  'description',
  'tenant_id',
  'project_id',
  'tags',
  'id',
]);
const UPDATE = new Set(['port_id', 'fixed_ip_address', 'description']);

/** The body of POST (create) or PUT (update) /v2.0/floatingips[/id]. */
export function parseFloatingIp(body: unknown, mode: 'create' | 'update'): FloatingIpInput {
  const f = isObject(body) ? body.floatingip : undefined;
  if (!isObject(f)) throw badRequest('Resource body required: floatingip must be an object.');
  const allowed = mode === 'create' ? CREATE : UPDATE;
  const bad = Object.keys(f).filter((k) => !allowed.has(k));
  if (bad.length) {
    const ro = bad.every((k) => CREATE.has(k));
    throw badRequest(
      `${ro ? 'Cannot update read-only attribute' : 'Unrecognized attribute(s)'} '${bad.join(', ')}'`,
    );
  }
  const out: FloatingIpInput = {};
  if (mode === 'create') {
    if (f.floating_network_id === undefined || f.floating_network_id === null) {
      throw badRequest("Failed to parse request. Required attribute 'floating_network_id' not specified");
    }
    out.floatingNetworkId = id('floating_network_id', f.floating_network_id);
  }
  if (f.port_id !== undefined) out.portId = f.port_id === null ? null : id('port_id', f.port_id);
  if (f.fixed_ip_address !== undefined && f.fixed_ip_address !== null)
    out.fixedIpAddress = ip('fixed_ip_address', f.fixed_ip_address);
  if (f.floating_ip_address !== undefined && f.floating_ip_address !== null) {
    out.floatingIpAddress = ip('floating_ip_address', f.floating_ip_address);
  }
  if (f.subnet_id !== undefined && f.subnet_id !== null) out.subnetId = id('subnet_id', f.subnet_id);
  if (f.description !== undefined && f.description !== null) {
    if (typeof f.description !== 'string' || f.description.length > 255) {
      throw badRequest(
        `Invalid input for description. Reason: '${shown(f.description)}' is not a valid string of at most 255 characters.`,
      );
    }
    out.description = f.description;
  }
  const owner = f.project_id ?? f.tenant_id;
  if (owner !== undefined) {
    if (typeof owner !== 'string')
      throw badRequest(`Invalid input for project_id. Reason: '${shown(owner)}' is not a valid string.`);
    out.projectId = owner;
  }
  if (f.tags !== undefined) out.tags = f.tags;
  if (out.fixedIpAddress !== undefined && !out.portId) {
    throw badRequest(
      'Bad floatingip request: fixed_ip_address cannot be specified without a port_id.',
      'BadRequest',
    );
  }
  return out;
}

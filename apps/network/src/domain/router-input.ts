import type { RouterRoute } from '../db/schema-l3.js';
import { badRequest, notFoundOf } from './errors.js';
import { type Cidr, canonicalIp, cidrContains, cidrString, parseCidr, parseIp } from './ip.js';

/** Neutron's max_routes (extraroute). */
export const MAX_ROUTES = 30;

export interface GatewayFixedIp {
  subnetId?: string;
  ipAddress?: string;
}

/** external_gateway_info as asked: null clears the gateway. */
export type GatewayInput = null | {
  networkId: string;
  /** undefined: keep (update) or default true (create). */
  enableSnat?: boolean;
  externalFixedIps?: GatewayFixedIp[];
};

export interface RouterInput {
  name?: string;
  description?: string;
  adminStateUp?: boolean;
  /** undefined: not in the request. */
  gateway?: GatewayInput;
  routes?: RouterRoute[];
  projectId?: string;
  availabilityZoneHints?: string[];
  tags?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown) => (typeof v === 'string' ? v.slice(0, 80) : JSON.stringify(v)?.slice(0, 80));

function str(attr: string, v: unknown, max = 255): string {
  if (typeof v !== 'string')
    throw badRequest(`Invalid input for ${attr}. Reason: '${shown(v)}' is not a valid string.`);
  if (v.length > max)
    throw badRequest(
      `Invalid input for ${attr}. Reason: '${v.slice(0, 20)}...' exceeds maximum length of ${max}.`,
    );
  return v;
}

export function bool(attr: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', 'false'].includes(v.toLowerCase())) return v.toLowerCase() === 'true';
  throw badRequest(`Invalid input for ${attr}. Reason: '${shown(v)}' is not a valid boolean value.`);
}

function parseGateway(v: unknown): GatewayInput {
  if (v === null || v === undefined) return null;
  if (!isObject(v))
    throw badRequest(`Invalid input for external_gateway_info. Reason: '${shown(v)}' is not a dictionary.`);
  if (Object.keys(v).length === 0) return null;
  const bad = Object.keys(v).filter(
    (k) => !['network_id', 'enable_snat', 'external_fixed_ips', 'qos_policy_id'].includes(k),
  );
  if (bad.length)
    throw badRequest(
      `Invalid input for external_gateway_info. Reason: Unexpected keys supplied: ${bad.join(', ')}.`,
    );
  if (typeof v.network_id !== 'string' || v.network_id === '') {
    throw badRequest(
      "Invalid input for external_gateway_info. Reason: Validation of dictionary's keys failed. Expected keys: {'network_id'}.",
    );
  }
  const out: NonNullable<GatewayInput> = { networkId: v.network_id };
  if (v.enable_snat !== undefined && v.enable_snat !== null)
    out.enableSnat = bool('enable_snat', v.enable_snat);
  if (v.external_fixed_ips !== undefined && v.external_fixed_ips !== null) {
    if (!Array.isArray(v.external_fixed_ips)) {
      throw badRequest(
        "Invalid input for external_gateway_info. Reason: 'external_fixed_ips' must be a list.",
      );
    }
    out.externalFixedIps = v.external_fixed_ips.map((f: unknown) => {
      if (!isObject(f))
        throw badRequest(`Invalid input for external_fixed_ips. Reason: '${shown(f)}' is not a dictionary.`);
      const fi: GatewayFixedIp = {};
      if (f.subnet_id !== undefined && f.subnet_id !== null) fi.subnetId = str('subnet_id', f.subnet_id);
      if (f.ip_address !== undefined && f.ip_address !== null) {
        const ip = canonicalIp(f.ip_address);
        if (!ip)
          throw badRequest(
            `Invalid input for external_fixed_ips. Reason: '${shown(f.ip_address)}' is not a valid IP address.`,
          );
        fi.ipAddress = ip;
      }
      return fi;
    });
  }
  return out;
}

/** routes of PUT /routers/{id}: [{destination: cidr, nexthop: ip}], null clears. Shape only. */
export function parseRoutes(v: unknown): RouterRoute[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw badRequest(`Invalid input for routes. Reason: '${shown(v)}' is not a list.`);
  const out: RouterRoute[] = [];
  for (const r of v) {
    if (!isObject(r) || Object.keys(r).some((k) => k !== 'destination' && k !== 'nexthop')) {
      throw badRequest(`Invalid input for routes. Reason: Invalid data format for hostroute: '${shown(r)}'.`);
    }
    const dest = parseCidr(r.destination);
    const hop = parseIp(r.nexthop);
    if (!dest)
      throw badRequest(
        `Invalid input for routes. Reason: '${shown(r.destination)}' is not a valid IP subnet.`,
      );
    if (dest.hostBits) {
      const norm = cidrString(dest);
      throw badRequest(
        `Invalid input for routes. Reason: '${shown(r.destination)}' isn't a recognized IP subnet cidr, '${norm}' is recommended.`,
      );
    }
    if (!hop)
      throw badRequest(`Invalid input for routes. Reason: '${shown(r.nexthop)}' is not a valid IP address.`);
    if (hop.version !== dest.version) {
      throw badRequest(
        `Invalid format for routes: ${shown(r)}, the nexthop has a different IP version than the destination.`,
        'InvalidRoutes',
      );
    }
    const route = { destination: cidrString(dest), nexthop: canonicalIp(r.nexthop)! };
    if (out.some((x) => x.destination === route.destination && x.nexthop === route.nexthop)) {
      throw badRequest(`Invalid input for routes. Reason: Duplicate hostroute '${shown(r)}'.`);
    }
    out.push(route);
  }
  if (out.length > MAX_ROUTES) {
    throw badRequest(
      `Unable to complete operation for routes. The number of routes exceeds the maximum ${MAX_ROUTES}.`,
      'RoutesExhausted',
    );
  }
  return out;
}

/**
 * Check each route's nexthop against the router's connected subnets (interfaces and gateway):
 * it must lie in one of them and must not be one of the router's own addresses.
 */
export function validateNexthops(routes: RouterRoute[], connected: Cidr[], ownIps: string[]): void {
  for (const r of routes) {
    const hop = parseIp(r.nexthop)!;
    if (!connected.some((c) => cidrContains(c, hop))) {
      throw badRequest(
        `Invalid format for routes: ${JSON.stringify(r)}, the nexthop is not connected with router`,
        'InvalidRoutes',
      );
    }
    if (ownIps.includes(r.nexthop)) {
      throw badRequest(
        `Invalid format for routes: ${JSON.stringify(r)}, the nexthop is used by router`,
        'InvalidRoutes',
      );
    }
  }
}

const CREATE = new Set([
  'name',
  'description',
  'admin_state_up',
  'external_gateway_info',
  'tenant_id',
  'project_id',
  'availability_zone_hints',
  'distributed',
  'ha',
  'flavor_id',
  'tags',
  'id',
  'enable_ndp_proxy',
]);
const UPDATE = new Set([
  'name',
  'description',
  'admin_state_up',
  'external_gateway_info',
  'routes',
  'distributed',
  'ha',
]);

/** The body of POST (create) or PUT (update) /v2.0/routers[/id]. */
export function parseRouter(body: unknown, mode: 'create' | 'update'): RouterInput {
  const r = isObject(body) ? body.router : undefined;
  if (!isObject(r)) throw badRequest('Resource body required: router must be an object.');
  const allowed = mode === 'create' ? CREATE : UPDATE;
  const bad = Object.keys(r).filter((k) => !allowed.has(k));
  if (bad.length) {
    const ro = bad.every((k) => CREATE.has(k) || k === 'routes');
    throw badRequest(
      `${ro ? 'Attribute(s) cannot be set' : 'Unrecognized attribute(s)'} '${bad.join(', ')}'`,
    );
  }
  const out: RouterInput = {};
  if (r.name !== undefined && r.name !== null) out.name = str('name', r.name);
  if (r.description !== undefined && r.description !== null)
    out.description = str('description', r.description);
  if (r.admin_state_up !== undefined) out.adminStateUp = bool('admin_state_up', r.admin_state_up);
  if (r.external_gateway_info !== undefined) out.gateway = parseGateway(r.external_gateway_info);
  if (r.routes !== undefined) out.routes = parseRoutes(r.routes);
  const owner = r.project_id ?? r.tenant_id;
  if (owner !== undefined) out.projectId = str('project_id', owner);
  if (r.availability_zone_hints !== undefined && r.availability_zone_hints !== null) {
    if (!Array.isArray(r.availability_zone_hints))
      throw badRequest('Invalid input for availability_zone_hints. Reason: not a list.');
    out.availabilityZoneHints = r.availability_zone_hints.map((z: unknown) =>
      str('availability_zone_hints', z),
    );
    const unknown = out.availabilityZoneHints.filter((z) => z !== 'nova');
    if (unknown.length)
      throw notFoundOf('AvailabilityZoneNotFound', `AvailabilityZone ${unknown[0]} could not be found.`);
  }
  for (const flag of ['distributed', 'ha'] as const) {
    if (r[flag] !== undefined && r[flag] !== null && bool(flag, r[flag])) {
      throw badRequest(`Setting ${flag}=True is not supported: Kumo's routers are OVN logical routers.`);
    }
  }
  if (r.flavor_id !== undefined && r.flavor_id !== null)
    throw badRequest('Router flavors are not supported.');
  if (r.tags !== undefined) out.tags = r.tags;
  return out;
}

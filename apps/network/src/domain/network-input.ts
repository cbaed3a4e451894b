import type { TunnelType } from '../config.js';
import { bool, id, int, list, nullable, type Parsed, parseAttrs, str } from './attrs.js';
import { badRequest, conflictOf, notFoundOf } from './errors.js';
import { validTags } from './standard-attrs.js';

export const MAX_VNI = 16_777_215;
/** The MTU ceiling of flat (provider) networks: the physical network's. */
export const FLAT_MAX_MTU = 1500;
export const NETWORK_TYPES = ['geneve', 'vxlan', 'flat'] as const;
export const AVAILABILITY_ZONES = ['nova'];

const common = {
  name: str(255),
  description: str(255),
  admin_state_up: bool,
  shared: bool,
  'router:external': bool,
  mtu: int(68, 65535),
  port_security_enabled: bool,
  'provider:network_type': nullable(str(32)),
  'provider:physical_network': nullable(str(64)),
  'provider:segmentation_id': nullable(int(0, 2_147_483_647)),
  tenant_id: id,
  project_id: id,
};

export const networkCreateShape = {
  ...common,
  availability_zone_hints: list(str(255), 16),
  tags: (v: unknown) => validTags(v),
};
export const networkUpdateShape = { ...common };

export type NetworkCreateAttrs = Parsed<typeof networkCreateShape>;
export type NetworkUpdateAttrs = Parsed<typeof networkUpdateShape>;

export const parseNetworkCreate = (body: Record<string, unknown>): NetworkCreateAttrs =>
  parseAttrs(body, networkCreateShape);
export const parseNetworkUpdate = (body: Record<string, unknown>): NetworkUpdateAttrs =>
  parseAttrs(body, networkUpdateShape);

export interface Segment {
  networkType: string;
  physicalNetwork: string | null;
  /** null for flat networks; undefined = allocate one. */
  segmentationId: number | null | undefined;
}

/** The provider segment of a new network (tenant networks: the overlay, a VNI allocated later). */
export function segmentOf(a: NetworkCreateAttrs, tunnel: TunnelType): Segment {
  const type = a['provider:network_type'] ?? tunnel;
  if (!(NETWORK_TYPES as readonly string[]).includes(type)) {
    throw badRequest(
      `Invalid input for operation: network_type value '${type}' not supported.`,
      'InvalidInput',
    );
  }
  const phys = a['provider:physical_network'] ?? null;
  const seg = a['provider:segmentation_id'] ?? undefined;
  if (type === 'flat') {
    if (!phys)
      throw badRequest(
        'Invalid input for operation: physical_network required for flat provider network.',
        'InvalidInput',
      );
    if (seg !== undefined && seg !== null) {
      throw badRequest(
        'Invalid input for operation: segmentation_id specified for flat provider network.',
        'InvalidInput',
      );
    }
    return { networkType: type, physicalNetwork: phys, segmentationId: null };
  }
  if (phys) {
    throw badRequest(
      `Invalid input for operation: provider:physical_network specified for ${type} network.`,
      'InvalidInput',
    );
  }
  if (seg !== undefined && seg !== null && (seg < 1 || seg > MAX_VNI)) {
    throw badRequest(
      `Invalid input for operation: ${type} network ID ${seg} is out of range (1 to ${MAX_VNI}).`,
      'InvalidInput',
    );
  }
  return { networkType: type, physicalNetwork: null, segmentationId: seg ?? undefined };
}

export const segmentInUse = (s: Segment) =>
  s.networkType === 'flat'
    ? conflictOf(
        'FlatNetworkInUse',
        `Unable to create the flat network. Physical network ${s.physicalNetwork} is in use.`,
      )
    : conflictOf(
        'TunnelIdInUse',
        `Unable to create the network. The tunnel ID ${s.segmentationId} is in use.`,
      );

/** The largest MTU of a network of this type. */
export const maxMtuOf = (networkType: string, defaultMtu: number): number =>
  networkType === 'flat' ? Math.max(FLAT_MAX_MTU, defaultMtu) : defaultMtu;

export function checkMtu(mtu: number, max: number): void {
  if (mtu > max) {
    throw badRequest(
      `Invalid input for operation: Requested MTU is too big, maximum is ${max}.`,
      'InvalidInput',
    );
  }
}

export function checkAvailabilityZones(hints: string[] | undefined): string[] {
  for (const z of hints ?? []) {
    if (!AVAILABILITY_ZONES.includes(z)) {
      throw notFoundOf('AvailabilityZoneNotFound', `AvailabilityZone ${z} could not be found.`);
    }
  }
  return [...new Set(hints ?? [])];
}

import type { FastifyRequest } from 'fastify';
import type { QuotaResource } from '../config.js';
import { atLeast } from '../http/microversion.js';

/**
 * Quota resources Nova still lists below some microversion but Kumo does not
 * enforce (networking moved to Neutron at 2.36, file injection went at 2.57):
 * stored and shown as set, with Nova's defaults.
 */
export const LEGACY_QUOTA_DEFAULTS = {
  injected_files: 5,
  injected_file_content_bytes: 10240,
  injected_file_path_bytes: 255,
  floating_ips: 10,
  fixed_ips: -1,
  security_groups: 10,
  security_group_rules: 20,
} as const;
export type LegacyQuota = keyof typeof LEGACY_QUOTA_DEFAULTS;
export type AnyQuota = QuotaResource | LegacyQuota;

const NETWORK: LegacyQuota[] = ['floating_ips', 'fixed_ips', 'security_groups', 'security_group_rules'];
const FILES: LegacyQuota[] = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];

/** The quota keys a request's microversion shows and accepts. */
export function quotaKeys(req: FastifyRequest): AnyQuota[] {
  const keys: AnyQuota[] = [
    'instances',
    'cores',
    'ram',
    'metadata_items',
    'key_pairs',
    'server_groups',
    'server_group_members',
  ];
  if (!atLeast(req, '2.57')) keys.push(...FILES);
  if (!atLeast(req, '2.36')) keys.push(...NETWORK);
  return keys;
}

export function quotaSetView(req: FastifyRequest, limits: Record<AnyQuota, number>): Record<string, number> {
  return Object.fromEntries(quotaKeys(req).map((k) => [k, limits[k]]));
}

export function quotaDetailView(
  req: FastifyRequest,
  limits: Record<AnyQuota, number>,
  inUse: Partial<Record<AnyQuota, number>>,
) {
  return Object.fromEntries(
    quotaKeys(req).map((k) => [k, { limit: limits[k], in_use: inUse[k] ?? 0, reserved: 0 }]),
  );
}

/** `GET /limits` absolute limits, per microversion. */
export function absoluteLimitsView(
  req: FastifyRequest,
  l: Record<AnyQuota, number>,
  used: {
    instances: number;
    cores: number;
    ram: number;
    serverGroups: number;
    securityGroups?: number;
    floatingIps?: number;
  },
) {
  return {
    maxTotalInstances: l.instances,
    maxTotalCores: l.cores,
    maxTotalRAMSize: l.ram,
    maxServerMeta: l.metadata_items,
    maxTotalKeypairs: l.key_pairs,
    maxServerGroups: l.server_groups,
    maxServerGroupMembers: l.server_group_members,
    totalInstancesUsed: used.instances,
    totalCoresUsed: used.cores,
    totalRAMUsed: used.ram,
    totalServerGroupsUsed: used.serverGroups,
    ...(atLeast(req, '2.39') ? {} : { maxImageMeta: l.metadata_items }),
    ...(atLeast(req, '2.57')
      ? {}
      : { maxPersonality: l.injected_files, maxPersonalitySize: l.injected_file_content_bytes }),
    ...(atLeast(req, '2.36')
      ? {}
      : {
          maxSecurityGroups: l.security_groups,
          maxSecurityGroupRules: l.security_group_rules,
          maxTotalFloatingIps: l.floating_ips,
          totalFloatingIpsUsed: used.floatingIps ?? 0,
          totalSecurityGroupsUsed: used.securityGroups ?? 0,
        }),
  };
}

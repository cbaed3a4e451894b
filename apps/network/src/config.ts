import { envInt } from '@kumo/service-kit';
import { z } from 'zod';

export const TUNNEL_TYPES = ['geneve', 'vxlan'] as const;
export type TunnelType = (typeof TUNNEL_TYPES)[number];

/** The MTU left for guests on a 1500-byte underlay: Geneve's header is 58 bytes (with options), VXLAN's 50. */
export const defaultMtuOf = (t: TunnelType): number => (t === 'vxlan' ? 1450 : 1442);

/**
 * The network service's settings (its own KUMO_NETWORK_* / KUMO_OVN_* variables), parsed once at
 * start. A plain object schema: `kumo`'s config extends itself with `.shape`.
 */
export const networkConfigSchema = z.object({
  KUMO_NETWORK_PORT: envInt(9696, 1, 65535),
  /** The OVN northbound database, e.g. `tcp:127.0.0.1:6641` or `unix:/run/ovn/ovnnb_db.sock`; unset = no OVN. */
  KUMO_OVN_NB_CONNECTION: z.string().min(1).optional(),
  KUMO_NETWORK_TUNNEL_TYPE: z.enum(TUNNEL_TYPES).default('geneve'),
  /** The largest (and default) MTU of tenant networks; unset = from the tunnel type (1442 Geneve, 1450 VXLAN). */
  KUMO_NETWORK_MTU: z.coerce.number().int().min(68).max(65535).optional(),
  /** Chassis (host ids) that may carry router gateways, most preferred first: `host-a,host-b`. */
  KUMO_OVN_GATEWAY_CHASSIS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  /** Period of the full Neutron ↔ OVN comparison that repairs drift (0 = only at start and on reconnect). */
  KUMO_OVN_RESYNC_INTERVAL_MS: envInt(60_000, 0),
});

export type NetworkConfig = z.infer<typeof networkConfigSchema>;

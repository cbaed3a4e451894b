import { isIP } from 'node:net';

/**
 * Networks of a server, as the API resolved them from the request's
 * `networks` (stored in servers.networks): one entry per NIC, in guest order.
 * `port` is a port the user gave (bound, never deleted by compute); otherwise
 * compute creates a port on `network` (with `fixedIp` when asked).
 */
export interface RequestedNic {
  network: string;
  port?: string;
  fixedIp?: string;
  tag?: string;
}

/** What servers.networks holds: 'none' or the resolved NICs ('auto' is resolved by the API). */
export type ServerNetworks = 'none' | RequestedNic[];

/** servers.networks as written before networks existed ('none' / 'auto' strings) or as a NIC list. */
export function requestedNics(stored: unknown): RequestedNic[] {
  if (!Array.isArray(stored)) return [];
  return stored.filter(
    (n): n is RequestedNic => typeof n === 'object' && n !== null && typeof n.network === 'string',
  );
}

/** One address of Nova's `addresses` (the OS-EXT-IPS* keys are shown in server details only). */
export interface ServerAddress {
  version: 4 | 6;
  addr: string;
  'OS-EXT-IPS:type': 'fixed' | 'floating';
  'OS-EXT-IPS-MAC:mac_addr': string;
}

export type ServerAddresses = Record<string, ServerAddress[]>;

/** What the addresses are computed from: a server's ports (guest order), their networks' names, floating IPs. */
export interface PortAddressInput {
  networkId: string;
  mac: string;
  fixedIps: { ip_address: string }[];
}

/**
 * Nova's `addresses`: per network name, each port's fixed IPs followed by the
 * floating IPs associated with them (as Nova's network info model lists them).
 */
export function addressesOf(
  ports: PortAddressInput[],
  networkNames: ReadonlyMap<string, string>,
  floating: { fixed_ip_address: string | null; floating_ip_address: string; port_id: string | null }[],
  portIds: string[],
): ServerAddresses {
  const out: ServerAddresses = {};
  ports.forEach((p, i) => {
    const label = networkNames.get(p.networkId) ?? p.networkId;
    const list = out[label] ?? [];
    out[label] = list;
    for (const f of p.fixedIps) {
      list.push(address(f.ip_address, 'fixed', p.mac));
      for (const fip of floating)
        if (fip.port_id === portIds[i] && fip.fixed_ip_address === f.ip_address)
          list.push(address(fip.floating_ip_address, 'floating', p.mac));
    }
  });
  return out;
}

function address(addr: string, type: 'fixed' | 'floating', mac: string): ServerAddress {
  return {
    version: isIP(addr) === 6 ? 6 : 4,
    addr,
    'OS-EXT-IPS:type': type,
    'OS-EXT-IPS-MAC:mac_addr': mac,
  };
}

/** The `/ips` and pre-detail form: only version and addr. */
export function basicAddresses(
  a: Record<string, unknown[]>,
): Record<string, { version: unknown; addr: unknown }[]> {
  const out: Record<string, { version: unknown; addr: unknown }[]> = {};
  for (const [k, list] of Object.entries(a))
    out[k] = list.map((x) => {
      const { version, addr } = x as { version: unknown; addr: unknown };
      return { version, addr };
    });
  return out;
}

/** Nova's device_owner of an instance's ports. */
export const deviceOwnerOf = (availabilityZone: string | null | undefined) =>
  `compute:${availabilityZone || 'nova'}`;

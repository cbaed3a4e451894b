import type { FloatingIp, Network, SecurityGroup, SecurityGroupRule } from '@kumo/network';

/**
 * Neutron resources in the shapes of Nova's nova-network proxy APIs
 * (os-security-groups, os-floating-ips, os-networks, os-tenant-networks), as
 * Nova converts them.
 */

/** A rule as Nova shows it; `groups` names the remote groups (by id) for `group`. */
export function novaRuleView(r: SecurityGroupRule, groups: ReadonlyMap<string, SecurityGroup>) {
  let from = r.port_range_min;
  let to = r.port_range_max;
  if (r.protocol && from == null && to == null) {
    const tcpUdp = ['tcp', 'udp'].includes(r.protocol.toLowerCase());
    from = tcpUdp ? 1 : -1;
    to = tcpUdp ? 65535 : -1;
  }
  const remote = r.remote_group_id ? groups.get(r.remote_group_id) : undefined;
  return {
    id: r.id,
    parent_group_id: r.security_group_id,
    ip_protocol: r.protocol,
    from_port: from ?? null,
    to_port: to ?? null,
    group: r.remote_group_id
      ? { name: remote?.name ?? r.remote_group_id, tenant_id: remote?.project_id ?? r.project_id }
      : {},
    ip_range: r.remote_group_id ? {} : { cidr: r.remote_ip_prefix || '0.0.0.0/0' },
  };
}

/** A security group as Nova shows it (its ingress rules: nova-network had no egress rules). */
export function novaGroupView(g: SecurityGroup, groups: ReadonlyMap<string, SecurityGroup>) {
  return {
    id: g.id,
    name: g.name,
    description: g.description ?? '',
    tenant_id: g.project_id ?? g.tenant_id,
    rules: (g.security_group_rules ?? [])
      .filter((r) => r.direction === 'ingress')
      .map((r) => novaRuleView(r, groups)),
  };
}

/** A floating IP as Nova shows it: pool = the external network's name, instance = the port's device. */
export function novaFloatingIpView(
  f: FloatingIp,
  poolNames: ReadonlyMap<string, string>,
  instanceOf: ReadonlyMap<string, string>,
) {
  return {
    id: f.id,
    pool: poolNames.get(f.floating_network_id) ?? f.floating_network_id,
    instance_id: f.port_id ? (instanceOf.get(f.port_id) ?? null) : null,
    ip: f.floating_ip_address,
    fixed_ip: f.fixed_ip_address ?? null,
  };
}

/** os-tenant-networks' shape. */
export function tenantNetworkView(n: Network, cidr: string | null) {
  return { id: n.id, cidr, label: n.name };
}

/** os-networks' shape: nova-network's fields, mostly unknown with Neutron. */
export function novaNetworkView(n: Network, cidr: string | null, admin: boolean) {
  const base = {
    id: n.id,
    label: n.name,
    cidr,
    cidr_v6: null,
    netmask: null,
    netmask_v6: null,
    gateway: null,
    gateway_v6: null,
    broadcast: null,
    dns1: null,
    dns2: null,
  };
  if (!admin) return base;
  return {
    ...base,
    bridge: null,
    bridge_interface: null,
    created_at: null,
    updated_at: null,
    deleted: false,
    deleted_at: null,
    dhcp_server: null,
    dhcp_start: null,
    enable_dhcp: null,
    host: null,
    injected: null,
    mtu: n.mtu ?? null,
    multi_host: null,
    priority: null,
    project_id: n.project_id,
    rxtx_base: null,
    share_address: null,
    vlan: null,
    vpn_private_address: null,
    vpn_public_address: null,
    vpn_public_port: null,
  };
}

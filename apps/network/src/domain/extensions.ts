/**
 * The Neutron API extensions Kumo implements — exactly these, nothing more: clients (the
 * `openstack` CLI, Tempest, Terraform) decide what to send and test from this list.
 */
export interface Extension {
  alias: string;
  name: string;
  description: string;
  links: [];
  updated: string;
}

const ext = (
  alias: string,
  name: string,
  description: string,
  updated = '2023-01-01T00:00:00-00:00',
): Extension => ({
  alias,
  name,
  description,
  links: [],
  updated,
});

export const EXTENSIONS: readonly Extension[] = [
  ext('allowed-address-pairs', 'Allowed Address Pairs', 'Provides allowed address pairs'),
  ext('availability_zone', 'Availability Zone', 'The availability zone extension.'),
  ext('network_availability_zone', 'Network Availability Zone', 'Availability zone support for network.'),
  ext('binding', 'Port Binding', 'Expose port bindings of a virtual port to external application'),
  ext(
    'empty-string-filtering',
    'Empty String Filtering Extension',
    'Allow filtering by attributes with empty string value',
  ),
  ext('external-net', 'Neutron external network', 'Adds external network attribute to network resource.'),
  ext(
    'ext-gw-mode',
    'Neutron L3 Configurable external gateway mode',
    'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway',
  ),
  ext('extraroute', 'Neutron Extra Route', 'Extra routes configuration for L3 router'),
  ext(
    'fip-port-details',
    'Floating IP Port Details Extension',
    'Add port_details attribute to Floating IP resource',
  ),
  ext('filter-validation', 'Filter parameters validation', 'Provides validation on filter parameters.'),
  ext('ip_allocation', 'IP Allocation', 'IP allocation extension.'),
  ext(
    'ip-substring-filtering',
    'IP address substring filtering',
    'Provides IP address substring filtering when listing ports',
  ),
  ext('net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'),
  ext(
    'net-mtu-writable',
    'Network MTU (writable)',
    'Provides a writable MTU attribute for a network resource.',
  ),
  ext(
    'network-ip-availability',
    'Network IP Availability',
    'Provides IP availability data for each network and subnet.',
  ),
  ext('pagination', 'Pagination support', 'Extension that indicates that pagination is enabled.'),
  ext('port-security', 'Port Security', 'Provides port security'),
  ext(
    'port-security-groups-filtering',
    'Port filtering on security groups',
    'Provides security groups filtering when listing ports',
  ),
  ext('project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.'),
  ext('provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks'),
  ext('quotas', 'Quota management support', 'Expose functions for quotas management per project'),
  ext(
    'quota_details',
    'Quota details management support',
    'Expose functions for quotas usage statistics per project',
  ),
  ext(
    'revision-if-match',
    'If-Match constraints based on revision_number',
    'Extension indicating that If-Match based on revision_number is supported.',
  ),
  ext(
    'router',
    'Neutron L3 Router',
    'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.',
  ),
  ext('router_availability_zone', 'Router Availability Zone', 'Availability zone support for router.'),
  ext('security-group', 'security-group', 'The security groups extension.'),
  ext('sorting', 'Sorting support', 'Extension that indicates that sorting is enabled.'),
  ext(
    'standard-attr-description',
    'standard-attr-description',
    'Extension to add descriptions to standard attributes',
  ),
  ext(
    'standard-attr-revisions',
    'Resource revision numbers',
    'This extension will display the revision number of neutron resources.',
  ),
  ext('tag', 'Tag support', 'Enables to set tag on resources.'),
  ext(
    'standard-attr-tag',
    'Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip',
    'Enables to set tag on resources with standard attribute.',
  ),
  ext(
    'standard-attr-timestamp',
    'Resource timestamps',
    'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.',
  ),
  ext('subnet_allocation', 'Subnet Allocation', 'Enables allocation of subnets from a subnet pool'),
  ext(
    'default-subnetpools',
    'Default Subnetpools',
    'Provides ability to mark and use a subnetpool as the default.',
  ),
  ext(
    'stateful-security-group',
    'Stateful security group',
    'Indicates if the security group is stateful or not',
  ),
];

export const findExtension = (alias: string): Extension | undefined =>
  EXTENSIONS.find((e) => e.alias === alias);

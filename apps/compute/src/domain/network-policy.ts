import type { PolicyRules } from '@kumo/service-kit';

const OWNER = 'role:admin or project_id:%(project_id)s';
const ANY = '@';

/**
 * Default policy of compute's network APIs (Nova's rule names): a server's
 * addresses and interfaces, its security groups, and the nova-network proxy
 * APIs (os-security-groups, os-floating-ips, os-networks, …) that forward to
 * the network service with the caller's token — Neutron's policy applies there too.
 */
export const computeNetworkPolicyDefaults: PolicyRules = {
  'os_compute_api:ips:show': OWNER,
  'os_compute_api:os-attach-interfaces:list': OWNER,
  'os_compute_api:os-attach-interfaces:show': OWNER,
  'os_compute_api:os-attach-interfaces:create': OWNER,
  'os_compute_api:os-attach-interfaces:delete': OWNER,
  'os_compute_api:os-security-groups:list': OWNER,
  'os_compute_api:os-security-groups:add': OWNER,
  'os_compute_api:os-security-groups:remove': OWNER,
  'os_compute_api:os-security-groups:get': ANY,
  'os_compute_api:os-security-groups:show': ANY,
  'os_compute_api:os-security-groups:create': ANY,
  'os_compute_api:os-security-groups:update': ANY,
  'os_compute_api:os-security-groups:delete': ANY,
  'os_compute_api:os-security-groups:rule:create': ANY,
  'os_compute_api:os-security-groups:rule:delete': ANY,
  'os_compute_api:os-floating-ips:list': ANY,
  'os_compute_api:os-floating-ips:show': ANY,
  'os_compute_api:os-floating-ips:create': ANY,
  'os_compute_api:os-floating-ips:delete': ANY,
  'os_compute_api:os-floating-ips:add': OWNER,
  'os_compute_api:os-floating-ips:remove': OWNER,
  'os_compute_api:os-floating-ip-pools': ANY,
  'os_compute_api:os-multinic': OWNER,
  'os_compute_api:os-virtual-interfaces': OWNER,
  'os_compute_api:os-networks:list': ANY,
  'os_compute_api:os-networks:view': ANY,
  'os_compute_api:os-tenant-networks:list': ANY,
  'os_compute_api:os-tenant-networks:show': ANY,
};

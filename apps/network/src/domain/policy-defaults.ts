import type { PolicyRules } from '@kumo/service-kit';

/**
 * Kumo's network policy, in oslo.policy's language. Ownership and visibility (own, shared,
 * external) are enforced by the queries and repositories; these rules say who is an admin and who
 * may set the admin-only attributes (provider:*, shared, router:external, binding:*).
 */
export const networkPolicyDefaults: PolicyRules = {
  context_is_admin: 'role:admin',
  /** The compute service's user (admin on project `service`) or any holder of the `service` role. */
  context_is_service: 'role:admin or role:service',
  default: 'rule:context_is_admin',
  'create_network:shared': 'rule:context_is_admin',
  'create_network:router:external': 'rule:context_is_admin',
  'create_network:provider': 'rule:context_is_admin',
  'update_network:shared': 'rule:context_is_admin',
  'update_network:router:external': 'rule:context_is_admin',
  'create_port:binding': 'rule:context_is_service',
  'update_port:binding': 'rule:context_is_service',
  'create_port:mac_address': '@',
  'update_port:mac_address': 'rule:context_is_admin',
  get_quota_other_project: 'rule:context_is_admin',
  update_quota: 'rule:context_is_admin',
};

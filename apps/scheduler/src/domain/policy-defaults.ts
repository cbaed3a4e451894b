import type { PolicyRules } from '@kumo/service-kit';

/**
 * The scheduler's default policy (oslo.policy language). Placement is for
 * services and operators: the `admin` role (the Kumo service user has it on
 * project `service`) or the `service` role; join tokens are for admins only.
 */
export const schedulerPolicyDefaults: PolicyRules = {
  admin_required: 'role:admin',
  service_or_admin: 'role:admin or role:service',
  default: 'rule:admin_required',
  'scheduler:schedule': 'rule:service_or_admin',
  'scheduler:allocations:get': 'rule:service_or_admin',
  'scheduler:allocations:claim': 'rule:service_or_admin',
  'scheduler:allocations:delete': 'rule:service_or_admin',
  'scheduler:hosts:list': 'rule:service_or_admin',
  'scheduler:hosts:get': 'rule:service_or_admin',
  'scheduler:hosts:update': 'rule:admin_required',
  'scheduler:hosts:traits': 'rule:service_or_admin',
  'scheduler:availability_zones:list': 'rule:service_or_admin',
  'scheduler:aggregates:list': 'rule:service_or_admin',
  'scheduler:aggregates:get': 'rule:service_or_admin',
  'scheduler:aggregates:create': 'rule:admin_required',
  'scheduler:aggregates:update': 'rule:admin_required',
  'scheduler:aggregates:delete': 'rule:admin_required',
  'scheduler:join_tokens:create': 'rule:admin_required',
};

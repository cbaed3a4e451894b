import type { PolicyRules } from '@kumo/service-kit';

/**
 * Kumo's default compute policy for everything but servers (those come from
 * `serverPolicyDefaults`), in oslo.policy's language with Nova's rule names;
 * an operator file overrides any rule by name.
 *
 * As Nova with enforce_scope off: `admin` on any project is the cloud
 * administrator; project resources belong to the project in the target
 * (`%(project_id)s`), keypairs to the user (`%(user_id)s`).
 */
export const computePolicyDefaults: PolicyRules = {
  admin_api: 'role:admin',
  project_member_api: 'project_id:%(project_id)s',
  project_reader_api: 'project_id:%(project_id)s',
  admin_or_owner: 'rule:admin_api or project_id:%(project_id)s',
  project_member_or_admin: 'rule:admin_api or rule:project_member_api',
  project_reader_or_admin: 'rule:admin_api or rule:project_reader_api',
  default: 'rule:admin_api',

  'os_compute_api:os-flavor-manage:create': 'rule:admin_api',
  'os_compute_api:os-flavor-manage:update': 'rule:admin_api',
  'os_compute_api:os-flavor-manage:delete': 'rule:admin_api',
  'os_compute_api:os-flavor-access': 'rule:admin_api',
  'os_compute_api:os-flavor-access:add_tenant_access': 'rule:admin_api',
  'os_compute_api:os-flavor-access:remove_tenant_access': 'rule:admin_api',
  'os_compute_api:os-flavor-extra-specs:index': '@',
  'os_compute_api:os-flavor-extra-specs:show': '@',
  'os_compute_api:os-flavor-extra-specs:create': 'rule:admin_api',
  'os_compute_api:os-flavor-extra-specs:update': 'rule:admin_api',
  'os_compute_api:os-flavor-extra-specs:delete': 'rule:admin_api',

  'os_compute_api:os-keypairs:index': 'rule:admin_api or user_id:%(user_id)s',
  'os_compute_api:os-keypairs:show': 'rule:admin_api or user_id:%(user_id)s',
  'os_compute_api:os-keypairs:create': 'rule:admin_api or user_id:%(user_id)s',
  'os_compute_api:os-keypairs:delete': 'rule:admin_api or user_id:%(user_id)s',

  'os_compute_api:os-server-groups:index': 'rule:project_reader_or_admin',
  'os_compute_api:os-server-groups:index:all_projects': 'rule:admin_api',
  'os_compute_api:os-server-groups:show': 'rule:project_reader_or_admin',
  'os_compute_api:os-server-groups:create': 'rule:project_member_api',
  'os_compute_api:os-server-groups:delete': 'rule:project_member_or_admin',

  'os_compute_api:os-quota-sets:show': 'rule:project_reader_or_admin',
  'os_compute_api:os-quota-sets:detail': 'rule:project_reader_or_admin',
  'os_compute_api:os-quota-sets:defaults': '@',
  'os_compute_api:os-quota-sets:update': 'rule:admin_api',
  'os_compute_api:os-quota-sets:delete': 'rule:admin_api',
  'os_compute_api:limits': '@',
  'os_compute_api:limits:other_project': 'rule:admin_api',

  'os_compute_api:os-availability-zone:list': '@',
  'os_compute_api:os-availability-zone:detail': 'rule:admin_api',
  'os_compute_api:os-hypervisors:list': 'rule:admin_api',
  'os_compute_api:os-hypervisors:list-detail': 'rule:admin_api',
  'os_compute_api:os-hypervisors:show': 'rule:admin_api',
  'os_compute_api:os-hypervisors:statistics': 'rule:admin_api',
  'os_compute_api:os-hypervisors:uptime': 'rule:admin_api',
  'os_compute_api:os-hypervisors:search': 'rule:admin_api',
  'os_compute_api:os-hypervisors:servers': 'rule:admin_api',
  'os_compute_api:os-services:list': 'rule:admin_api',
  'os_compute_api:os-services:update': 'rule:admin_api',
  'os_compute_api:os-services:delete': 'rule:admin_api',
  'os_compute_api:os-simple-tenant-usage:list': 'rule:admin_api',
  'os_compute_api:os-simple-tenant-usage:show': 'rule:project_reader_or_admin',
};

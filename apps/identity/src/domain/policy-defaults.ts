import type { PolicyRules } from '@kumo/service-kit';

/**
 * Kumo's default identity policy, in oslo.policy's language; an operator file
 * (KUMO_POLICY_FILE, YAML or JSON) overrides any rule by name.
 *
 * As in Keystone with enforce_scope off, the `admin` role on any scope is the
 * cloud administrator; `reader` on the system scope may read everything; a
 * user may always read itself, change its own password and manage its own
 * application credentials.
 */
export const identityPolicyDefaults: PolicyRules = {
  admin_required: 'role:admin',
  system_reader: 'role:reader and system_scope:all',
  admin_or_reader: 'rule:admin_required or rule:system_reader',
  owner: 'user_id:%(target.user.id)s',
  admin_or_owner: 'rule:admin_required or rule:owner',
  service_role: 'role:service',
  default: 'rule:admin_required',

  'identity:get_domain':
    'rule:admin_or_reader or domain_id:%(target.domain.id)s or project_domain_id:%(target.domain.id)s',
  'identity:list_domains': 'rule:admin_or_reader',
  'identity:create_domain': 'rule:admin_required',
  'identity:update_domain': 'rule:admin_required',
  'identity:delete_domain': 'rule:admin_required',

  'identity:get_project': 'rule:admin_or_reader or project_id:%(target.project.id)s',
  'identity:list_projects': 'rule:admin_or_reader',
  'identity:list_user_projects': 'rule:admin_or_reader or rule:owner',
  'identity:create_project': 'rule:admin_required',
  'identity:update_project': 'rule:admin_required',
  'identity:delete_project': 'rule:admin_required',
  'identity:project_tags': 'rule:admin_required',
  'identity:get_project_tags': 'rule:admin_or_reader or project_id:%(target.project.id)s',

  'identity:get_user': 'rule:admin_or_reader or rule:owner',
  'identity:list_users': 'rule:admin_or_reader',
  'identity:create_user': 'rule:admin_required',
  'identity:update_user': 'rule:admin_required',
  'identity:delete_user': 'rule:admin_required',
  // the original password authenticates the change; a token, when sent, must be the owner's or an admin's
  'identity:change_password': 'rule:admin_required or rule:owner',
  'identity:list_groups_for_user': 'rule:admin_or_reader or rule:owner',

  'identity:get_group': 'rule:admin_or_reader',
  'identity:list_groups': 'rule:admin_or_reader',
  'identity:list_users_in_group': 'rule:admin_or_reader',
  'identity:check_user_in_group': 'rule:admin_or_reader',
  'identity:create_group': 'rule:admin_required',
  'identity:update_group': 'rule:admin_required',
  'identity:delete_group': 'rule:admin_required',
  'identity:add_user_to_group': 'rule:admin_required',
  'identity:remove_user_from_group': 'rule:admin_required',

  'identity:get_role': 'rule:admin_or_reader',
  'identity:list_roles': 'rule:admin_or_reader',
  'identity:create_role': 'rule:admin_required',
  'identity:update_role': 'rule:admin_required',
  'identity:delete_role': 'rule:admin_required',
  'identity:implied_roles': 'rule:admin_required',
  'identity:list_implied_roles': 'rule:admin_or_reader',
  'identity:check_grant': 'rule:admin_or_reader',
  'identity:list_grants': 'rule:admin_or_reader',
  'identity:create_grant': 'rule:admin_required',
  'identity:revoke_grant': 'rule:admin_required',
  'identity:list_role_assignments': 'rule:admin_or_reader',
  /** GET /v3/role_assignments?user.id=<self>: a user may always see its own assignments. */
  'identity:list_own_role_assignments': 'rule:owner',
  'identity:list_system_grants_for_user': 'rule:admin_or_reader or rule:owner',

  'identity:get_region': '@',
  'identity:list_regions': '@',
  'identity:create_region': 'rule:admin_required',
  'identity:update_region': 'rule:admin_required',
  'identity:delete_region': 'rule:admin_required',
  'identity:get_service': 'rule:admin_or_reader',
  'identity:list_services': 'rule:admin_or_reader',
  'identity:create_service': 'rule:admin_required',
  'identity:update_service': 'rule:admin_required',
  'identity:delete_service': 'rule:admin_required',
  'identity:get_endpoint': 'rule:admin_or_reader',
  'identity:list_endpoints': 'rule:admin_or_reader',
  'identity:create_endpoint': 'rule:admin_required',
  'identity:update_endpoint': 'rule:admin_required',
  'identity:delete_endpoint': 'rule:admin_required',

  'identity:get_application_credential': 'rule:admin_or_reader or rule:owner',
  'identity:list_application_credentials': 'rule:admin_or_reader or rule:owner',
  'identity:create_application_credential': 'rule:owner',
  'identity:delete_application_credential': 'rule:admin_required or rule:owner',
  'identity:get_access_rule': 'rule:admin_or_reader or rule:owner',
  'identity:list_access_rules': 'rule:admin_or_reader or rule:owner',
  'identity:delete_access_rule': 'rule:admin_required or rule:owner',

  'identity:get_credential': 'rule:admin_or_reader or user_id:%(target.credential.user_id)s',
  'identity:list_credentials': 'rule:admin_or_reader or rule:owner',
  'identity:create_credential': 'rule:admin_required or user_id:%(target.credential.user_id)s',
  'identity:update_credential': 'rule:admin_required or user_id:%(target.credential.user_id)s',
  'identity:delete_credential': 'rule:admin_required or user_id:%(target.credential.user_id)s',

  // the token's user, or the trustee of the trust it was issued from (an impersonating token's user is the trustor)
  token_subject: 'user_id:%(target.token.user_id)s or user_id:%(target.token.trustee_user_id)s',
  'identity:validate_token': 'rule:admin_or_reader or rule:service_role or rule:token_subject',
  'identity:revoke_token': 'rule:admin_required or rule:service_role or rule:token_subject',

  // OS-EP-FILTER: endpoint groups and project ↔ endpoint associations (as Keystone: admin, or a system reader to read)
  'identity:list_endpoint_groups': 'rule:admin_or_reader',
  'identity:get_endpoint_group': 'rule:admin_or_reader',
  'identity:create_endpoint_group': 'rule:admin_required',
  'identity:update_endpoint_group': 'rule:admin_required',
  'identity:delete_endpoint_group': 'rule:admin_required',
  'identity:list_endpoints_associated_with_endpoint_group': 'rule:admin_or_reader',
  'identity:list_projects_associated_with_endpoint_group': 'rule:admin_or_reader',
  'identity:get_endpoint_group_in_project': 'rule:admin_or_reader',
  'identity:list_endpoint_groups_for_project': 'rule:admin_or_reader',
  'identity:add_endpoint_group_to_project': 'rule:admin_required',
  'identity:remove_endpoint_group_from_project': 'rule:admin_required',
  'identity:list_projects_for_endpoint': 'rule:admin_or_reader',
  'identity:list_endpoints_for_project': 'rule:admin_or_reader',
  'identity:check_endpoint_in_project': 'rule:admin_or_reader',
  'identity:add_endpoint_to_project': 'rule:admin_required',
  'identity:remove_endpoint_from_project': 'rule:admin_required',

  // OS-EC2: a user manages its own EC2 credentials
  'identity:ec2_get_credential': 'rule:admin_or_reader or user_id:%(target.credential.user_id)s',
  'identity:ec2_list_credentials': 'rule:admin_or_reader or rule:owner',
  'identity:ec2_create_credential': 'rule:admin_required or user_id:%(target.credential.user_id)s',
  'identity:ec2_delete_credential': 'rule:admin_required or user_id:%(target.credential.user_id)s',

  // domain-specific configuration; the password rules of the default domain are public (as Keystone)
  'identity:get_domain_config': 'rule:admin_or_reader',
  'identity:get_domain_config_default': 'rule:admin_or_reader',
  'identity:create_domain_config': 'rule:admin_required',
  'identity:update_domain_config': 'rule:admin_required',
  'identity:delete_domain_config': 'rule:admin_required',
  'identity:get_security_compliance_domain_config': '@',

  // policy blobs (stored and served only)
  'identity:get_policy': 'rule:admin_or_reader',
  'identity:list_policies': 'rule:admin_or_reader',
  'identity:create_policy': 'rule:admin_required',
  'identity:update_policy': 'rule:admin_required',
  'identity:delete_policy': 'rule:admin_required',

  // OS-OAUTH1 consumers
  'identity:get_consumer': 'rule:admin_or_reader',
  'identity:list_consumers': 'rule:admin_or_reader',
  'identity:create_consumer': 'rule:admin_required',
  'identity:update_consumer': 'rule:admin_required',
  'identity:delete_consumer': 'rule:admin_required',

  // OS-TRUST (as Keystone): the trustor creates and deletes; trustor and trustee read; admins see all
  trustor: 'user_id:%(target.trust.trustor_user_id)s',
  trustee: 'user_id:%(target.trust.trustee_user_id)s',
  'identity:create_trust': 'rule:trustor',
  'identity:list_trusts': 'rule:admin_or_reader',
  'identity:list_trusts_for_trustor': 'rule:admin_or_reader or rule:trustor',
  'identity:list_trusts_for_trustee': 'rule:admin_or_reader or rule:trustee',
  'identity:get_trust': 'rule:admin_or_reader or rule:trustor or rule:trustee',
  'identity:list_roles_for_trust': 'rule:admin_or_reader or rule:trustor or rule:trustee',
  'identity:get_role_for_trust': 'rule:admin_or_reader or rule:trustor or rule:trustee',
  'identity:delete_trust': 'rule:admin_required or rule:trustor',
};

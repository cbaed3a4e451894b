import type { PolicyRules } from '@kumo/service-kit';

const OWNER = 'role:admin or project_id:%(project_id)s';
const ADMIN = 'role:admin';

/**
 * Default policy for the servers API, in Nova's rule names (the target is
 * `{ project_id }` of the server). An operator's policy file overrides any rule.
 * `os_compute_api:servers:admin` is Kumo's: who sees and acts on every
 * project's servers (Nova's "admin context").
 */
export const serverPolicyDefaults: PolicyRules = {
  'os_compute_api:servers:admin': ADMIN,
  'os_compute_api:servers:index': '@',
  'os_compute_api:servers:detail': '@',
  'os_compute_api:servers:index:get_all_tenants': ADMIN,
  'os_compute_api:servers:detail:get_all_tenants': ADMIN,
  'os_compute_api:servers:allow_all_filters': ADMIN,
  'os_compute_api:servers:show': OWNER,
  'os_compute_api:servers:show:host_status': ADMIN,
  'os_compute_api:os-extended-server-attributes': ADMIN,
  'os_compute_api:servers:create': OWNER,
  'os_compute_api:servers:create:forced_host': ADMIN,
  'os_compute_api:servers:update': OWNER,
  'os_compute_api:servers:delete': OWNER,
  'os_compute_api:servers:start': OWNER,
  'os_compute_api:servers:stop': OWNER,
  'os_compute_api:servers:reboot': OWNER,
  'os_compute_api:servers:rebuild': OWNER,
  'os_compute_api:servers:resize': OWNER,
  'os_compute_api:servers:confirm_resize': OWNER,
  'os_compute_api:servers:revert_resize': OWNER,
  'os_compute_api:servers:create_image': OWNER,
  'os_compute_api:os-create-backup': OWNER,
  'os_compute_api:os-pause-server:pause': OWNER,
  'os_compute_api:os-pause-server:unpause': OWNER,
  'os_compute_api:os-suspend-server:suspend': OWNER,
  'os_compute_api:os-suspend-server:resume': OWNER,
  'os_compute_api:os-lock-server:lock': OWNER,
  'os_compute_api:os-lock-server:unlock': OWNER,
  'os_compute_api:os-lock-server:unlock:unlock_override': ADMIN,
  'os_compute_api:os-admin-actions:reset_state': ADMIN,
  'os_compute_api:os-deferred-delete:force': OWNER,
  'os_compute_api:os-deferred-delete:restore': OWNER,
  'os_compute_api:os-console-output': OWNER,
  'os_compute_api:ips:index': OWNER,
  'os_compute_api:os-server-password:show': OWNER,
  'os_compute_api:os-server-password:clear': OWNER,
  'os_compute_api:server-metadata:index': OWNER,
  'os_compute_api:server-metadata:show': OWNER,
  'os_compute_api:server-metadata:create': OWNER,
  'os_compute_api:server-metadata:update': OWNER,
  'os_compute_api:server-metadata:update_all': OWNER,
  'os_compute_api:server-metadata:delete': OWNER,
  'os_compute_api:os-server-tags:index': OWNER,
  'os_compute_api:os-server-tags:show': OWNER,
  'os_compute_api:os-server-tags:update': OWNER,
  'os_compute_api:os-server-tags:update_all': OWNER,
  'os_compute_api:os-server-tags:delete': OWNER,
  'os_compute_api:os-server-tags:delete_all': OWNER,
  'os_compute_api:os-instance-actions:list': OWNER,
  'os_compute_api:os-instance-actions:show': OWNER,
  'os_compute_api:os-instance-actions:events': OWNER,
  'os_compute_api:os-instance-actions:events:details': ADMIN,
};

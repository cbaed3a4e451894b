#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# End-to-end identity checks with the real `openstack` CLI against a disposable
# Kumo (scripts/lib/kumo-instance.sh). Prints `ok - …` / `not ok - …` per check,
# then `N passed, N failed`; exits 1 when a check failed.
set -euo pipefail

# shellcheck source=../lib/kumo-instance.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/kumo-instance.sh"

# shellcheck source=lib.sh
source "$KUMO_REPO/scripts/e2e/lib.sh"

SUFFIX=$(random_secret 3)
PROJECT=e2e-project-$SUFFIX
USER_NAME=e2e-user-$SUFFIX
GROUP=e2e-group-$SUFFIX
ROLE=e2e-role-$SUFFIX
PASSWORD_1=$(random_secret 10)
PASSWORD_2=$(random_secret 10)

# ---- openstack CLI -------------------------------------------------------------

# No cloud: every auth option on the command line.
os_plain() {
  openstack --os-auth-url "$KI_URL/v3" --os-identity-api-version 3 \
    --os-region-name "$KI_REGION" --os-interface public "$@"
}

os_token() {
  local token=$1
  shift
  os_plain --os-auth-type v3token --os-token "$token" \
    --os-project-name demo --os-project-domain-name Default "$@"
}

os_e2e_user() {
  local password=$1
  shift
  os_plain --os-auth-type password --os-username "$USER_NAME" --os-user-domain-name Default \
    --os-password "$password" --os-project-name "$PROJECT" --os-project-domain-name Default "$@"
}

# ---- checks ----------------------------------------------------------------------

test_tokens() {
  check_output "token issue (admin)" '^[A-Za-z0-9_-]{20,}$' os_admin token issue -f value -c id
  capture "token issue (demo)" os_demo token issue -f value -c id
  local token=$CAPTURED
  prerequisite "revoke the demo token" "$token" || return 0
  check "a fresh token authenticates (v3token)" os_token "$token" token issue
  check "token revoke" os_admin token revoke "$token"
  check_fails "a revoked token is rejected" 'HTTP 40[14]|Unauthorized|[Cc]ould not find|[Nn]ot [Ff]ound' \
    os_token "$token" token issue
}

test_projects() {
  check "project create" os_admin project create --domain default --description 'made by e2e' "$PROJECT"
  check_output "project list shows it" "^$PROJECT\$" os_admin project list -f value -c Name
  check_output "project show" '^made by e2e$' os_admin project show -f value -c description "$PROJECT"
  check "project set --description" os_admin project set --description 'changed by e2e' "$PROJECT"
  check_output "project show after set" '^changed by e2e$' \
    os_admin project show -f value -c description "$PROJECT"
}

test_users() {
  check "user create" os_admin user create --domain default --password "$PASSWORD_1" "$USER_NAME"
  check_output "user list shows it" "^$USER_NAME\$" os_admin user list -f value -c Name
  check "role add --project --user" os_admin role add --project "$PROJECT" --user "$USER_NAME" member
  check_output "role assignment list --names" "^member $USER_NAME@Default $PROJECT@Default" \
    os_admin role assignment list --names --project "$PROJECT" -f value -c Role -c User -c Project
  check "the new user authenticates" os_e2e_user "$PASSWORD_1" token issue
  check "user set --password" os_admin user set --password "$PASSWORD_2" "$USER_NAME"
  check "the new password authenticates" os_e2e_user "$PASSWORD_2" token issue
  check_fails "the old password is rejected" 'HTTP 401|Unauthorized|authenticate' \
    os_e2e_user "$PASSWORD_1" token issue
}

test_groups() {
  check "group create" os_admin group create --domain default "$GROUP"
  check "group add user" os_admin group add user "$GROUP" "$USER_NAME"
  check_output "group list shows it" "^$GROUP\$" os_admin group list -f value -c Name
  check_output "group list --user shows the membership" "^$GROUP\$" \
    os_admin group list --user "$USER_NAME" -f value -c Name
}

test_roles() {
  check "role create" os_admin role create "$ROLE"
  check_output "role list shows it" "^$ROLE\$" os_admin role list -f value -c Name
  check "role delete" os_admin role delete "$ROLE"
  check_absent "role list no longer shows it" "^$ROLE\$" os_admin role list -f value -c Name
}

test_catalog() {
  check_output "catalog list has identity" '^identity$' os_admin catalog list -f value -c Type
  check_output "endpoint list has the public identity endpoint" \
    "identity .*public $KI_URL/v3\$" os_admin endpoint list -f value -c 'Service Type' -c Interface -c URL
}

test_application_credentials() {
  capture "application credential create (demo)" \
    os_demo application credential create "e2e-appcred-$SUFFIX" -f json
  local json=$CAPTURED id secret
  id=$(json_field id <<<"$json")
  secret=$(json_field secret <<<"$json")
  prerequisite "token issue with the application credential" "$id" || return 0
  check "token issue with the application credential" \
    os_plain --os-auth-type v3applicationcredential --os-application-credential-id "$id" \
    --os-application-credential-secret "$secret" token issue
}

test_policy() {
  check_fails "a member is denied an admin call (project create: 403)" '403|Forbidden' \
    os_demo project create "e2e-denied-$SUFFIX"
}

test_teardown() {
  check "user delete" os_admin user delete "$USER_NAME"
  check_absent "user list no longer shows it" "^$USER_NAME\$" os_admin user list -f value -c Name
  check "project delete" os_admin project delete "$PROJECT"
  check_fails "project show after delete fails" '404|No project|[Cc]ould not find|[Nn]ot [Ff]ound' \
    os_admin project show "$PROJECT"
}

main() {
  have openstack || die "the openstack CLI is missing (apt-get install python3-openstackclient)"
  kumo_instance_start e2e
  kumo_instance_use_clouds
  OUT=$KI_HOME/last-command.out
  test_tokens
  test_projects
  test_users
  test_groups
  test_roles
  test_catalog
  test_application_credentials
  test_policy
  test_teardown
  printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
  ((FAILED == 0))
}

main "$@"

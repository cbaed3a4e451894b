#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A disposable Kumo for tests: its own KUMO_HOME (mktemp -d), database
# (kumo_e2e_<random>), Redis key prefix and free port, fast password hashing;
# migrated, bootstrapped and ready. On exit (trap) it is stopped by pid, its
# database dropped (WITH (FORCE)), its Redis keys and temp dir deleted.
#
# Sourced:  kumo_instance_start [tag]   then use KI_URL (identity), KI_PORT, KI_HOME, KI_REGION,
#           KI_COMPUTE_URL, KI_IMAGE_URL, KI_SCHEDULER_URL, KI_NETWORK_URL, KI_EXT_BRIDGE (the
#           OVS bridge of physical network `public`),
#           KI_ADMIN_PASSWORD, KI_DEMO_PASSWORD, KI_CLOUDS (clouds kumo, kumo-admin).
#           KI_AGENT_DRIVER (libvirt|fake, default fake) picks the local agent's drivers;
#           with libvirt, libvirtd must be running (ensure_libvirtd).
#           It installs the EXIT trap itself (a caller that needs its own calls
#           kumo_instance_cleanup from it).
# Executed: scripts/lib/kumo-instance.sh [command...] runs the command with
#           OS_CLIENT_CONFIG_FILE pointing at the instance (or waits for Ctrl-C).
# KUMO_INSTANCE_KEEP=1 keeps the temp dir (logs) for a post-mortem.

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=prereqs.sh
source "$KUMO_REPO/scripts/lib/prereqs.sh"

KI_HOME='' KI_PID='' KI_DB_NAME='' KI_REDIS_PREFIX='' KI_AGENT_DRIVER=${KI_AGENT_DRIVER:-fake}
KI_INT_BRIDGE='' KI_EXT_BRIDGE=''
KI_REDIS_URL=${KUMO_REDIS_URL:-redis://127.0.0.1:6379/0}
KI_REGION=${KUMO_REGION:-RegionOne}

# Export the instance's settings (call inside a subshell).
ki_export() {
  unset KUMO_TOKEN_KEY_DIR
  export KUMO_HOME=$KI_HOME
  export KUMO_DATABASE_URL=${KUMO_TEST_DATABASE_URL%/*}/$KI_DB_NAME
  export KUMO_REDIS_URL=$KI_REDIS_URL
  export KUMO_REDIS_PREFIX=$KI_REDIS_PREFIX
  export KUMO_IDENTITY_PORT=$KI_PORT
  export KUMO_BIND_HOST=127.0.0.1
  export KUMO_PUBLIC_HOST=127.0.0.1
  export KUMO_REGION=$KI_REGION
  export KUMO_PASSWORD_SCRYPT_LOG2N=${KI_SCRYPT_LOG2N:-12}
  export KUMO_ADMIN_PASSWORD=$KI_ADMIN_PASSWORD
  export KUMO_DEMO_PASSWORD=$KI_DEMO_PASSWORD
  export KUMO_SERVICE_PASSWORD=$KI_SERVICE_PASSWORD
  export KUMO_IMAGE_PORT=$KI_IMAGE_PORT KUMO_COMPUTE_PORT=$KI_COMPUTE_PORT
  export KUMO_SCHEDULER_PORT=$KI_SCHEDULER_PORT KUMO_SCHEDULER_AGENT_PORT=$KI_SCHEDULER_AGENT_PORT
  export KUMO_NETWORK_PORT=$KI_NETWORK_PORT KUMO_OVN_NB_PORT=$KI_OVN_NB_PORT KUMO_OVN_SB_PORT=$KI_OVN_SB_PORT
  # its own bridge names: on the userspace datapath a bridge is a kernel tap in this namespace
  export KUMO_AGENT_OVN_INTEGRATION_BRIDGE=$KI_INT_BRIDGE KUMO_AGENT_OVN_BRIDGE_MAPPINGS=public:$KI_EXT_BRIDGE
  export KUMO_AGENT_LISTEN=127.0.0.1:$KI_AGENT_PORT KUMO_AGENT_DRIVER=$KI_AGENT_DRIVER
  # one host id per instance: several disposable clouds may share this machine's libvirtd
  export KUMO_AGENT_HOST_ID=${KI_AGENT_HOST_ID:-${KI_DB_NAME//_/-}}
  export KUMO_AGENT_HEARTBEAT_MS=${KUMO_AGENT_HEARTBEAT_MS:-2000}
}

kumo_instance_start() {
  local tag=${1:-e2e} suffix
  suffix=$(random_secret 4)
  KI_HOME=$(mktemp -d "${TMPDIR:-/tmp}/kumo-$tag.XXXXXX")
  # QEMU (user libvirt-qemu) must reach the disks and config drives under it
  chmod 711 "$KI_HOME"
  trap kumo_instance_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  KI_DB_NAME=kumo_e2e_$suffix
  KI_REDIS_PREFIX=kumo-e2e-$suffix:
  KI_PORT=$(free_port)
  KI_URL=http://127.0.0.1:$KI_PORT
  KI_IMAGE_PORT=$(free_port) KI_COMPUTE_PORT=$(free_port) KI_SCHEDULER_PORT=$(free_port)
  KI_SCHEDULER_AGENT_PORT=$(free_port) KI_AGENT_PORT=$(free_port)
  KI_NETWORK_PORT=$(free_port) KI_OVN_NB_PORT=$(free_port) KI_OVN_SB_PORT=$(free_port)
  KI_NETWORK_URL=http://127.0.0.1:$KI_NETWORK_PORT
  KI_INT_BRIDGE=kbi-$suffix KI_EXT_BRIDGE=kbx-$suffix
  KI_IMAGE_URL=http://127.0.0.1:$KI_IMAGE_PORT
  KI_COMPUTE_URL=http://127.0.0.1:$KI_COMPUTE_PORT
  KI_SCHEDULER_URL=http://127.0.0.1:$KI_SCHEDULER_PORT
  KI_ADMIN_PASSWORD=$(random_secret 12)
  KI_DEMO_PASSWORD=$(random_secret 12)
  KI_SERVICE_PASSWORD=$(random_secret 12)
  KI_LOG=$KI_HOME/kumo.log
  KI_CLOUDS=$KI_HOME/clouds.yaml
  log "disposable kumo: port $KI_PORT, database $KI_DB_NAME, home $KI_HOME"
  (ki_export && "$KUMO_BIN" db migrate && "$KUMO_BIN" bootstrap) >>"$KI_LOG" 2>&1 || {
    tail -n 40 "$KI_LOG" >&2
    die "disposable kumo: migrate/bootstrap failed"
  }
  (ki_export && kumo_spawn "$KI_HOME/kumo.pid" "$KI_LOG")
  KI_PID=$(<"$KI_HOME/kumo.pid")
  kumo_wait_ready "$KI_URL" "$KI_PID" "$KI_LOG" 60 || die "disposable kumo did not become ready"
  kumo_wait_ready "$KI_COMPUTE_URL" "$KI_PID" "$KI_LOG" 120 || die "disposable kumo did not become ready"
  KUMO_ADMIN_PASSWORD=$KI_ADMIN_PASSWORD KUMO_DEMO_PASSWORD=$KI_DEMO_PASSWORD \
    write_clouds_yaml "$KI_CLOUDS" "$KI_URL/v3" "$KI_REGION" "$KI_COMPUTE_URL"
}

# Point the openstack CLI at the instance's clouds.yaml only (no stray OS_* settings).
kumo_instance_use_clouds() {
  local v
  while read -r v; do unset "$v"; done < <(compgen -e | grep '^OS_' || true)
  export OS_CLIENT_CONFIG_FILE=$KI_CLOUDS
}

# Guests outlive their agent by design (a restart never stops VMs): when the
# disposable cloud goes away, destroy and undefine the domains of its servers.
ki_remove_guests() {
  local id
  for id in $(psql "${KUMO_TEST_DATABASE_URL%/*}/$KI_DB_NAME" -w -Atq \
    -c 'SELECT id FROM compute.servers' 2>/dev/null); do
    virsh -q -c qemu:///system destroy "kumo-$id" >/dev/null 2>&1
    virsh -q -c qemu:///system undefine --nvram "kumo-$id" >/dev/null 2>&1 ||
      virsh -q -c qemu:///system undefine "kumo-$id" >/dev/null 2>&1
  done
  return 0
}

kumo_instance_cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [[ -z "$KI_PID" && -n "$KI_HOME" && -s "$KI_HOME/kumo.pid" ]]; then
    KI_PID=$(<"$KI_HOME/kumo.pid")
  fi
  if [[ -n "$KI_PID" ]] && pid_is_kumo "$KI_PID"; then
    stop_pid "$KI_PID" 10
  fi
  if [[ "$KI_AGENT_DRIVER" == libvirt && -n "$KI_DB_NAME" ]]; then
    ki_remove_guests
  fi
  # OVN central and the host's OVS/ovn-controller run detached (they outlive `kumo down`)
  if [[ -n "$KI_HOME" && -d "$KI_HOME" ]]; then
    stop_network_daemons "$KI_HOME" "$KI_INT_BRIDGE" "$KI_EXT_BRIDGE"
  fi
  if [[ -n "$KI_DB_NAME" ]]; then
    PGOPTIONS='-c client_min_messages=warning' psql "$KUMO_TEST_DATABASE_URL" -w -q \
      -c "DROP DATABASE IF EXISTS \"$KI_DB_NAME\" WITH (FORCE)" >/dev/null
  fi
  if [[ -n "$KI_REDIS_PREFIX" ]]; then
    redis-cli -u "$KI_REDIS_URL" --scan --pattern "$KI_REDIS_PREFIX*" |
      xargs -r -n 200 redis-cli -u "$KI_REDIS_URL" unlink >/dev/null
  fi
  if [[ -n "$KI_HOME" && -d "$KI_HOME" ]]; then
    if [[ "${KUMO_INSTANCE_KEEP:-}" == 1 ]]; then
      log "kept $KI_HOME"
    else
      rm -rf -- "$KI_HOME"
    fi
  fi
  return "$rc"
}

kumo_instance_main() {
  set -euo pipefail
  kumo_instance_start manual
  kumo_instance_use_clouds
  export KUMO_INSTANCE_URL=$KI_URL
  if (($#)); then
    "$@"
  else
    log "ready: $KI_URL  (OS_CLIENT_CONFIG_FILE=$KI_CLOUDS, clouds kumo and kumo-admin); Ctrl-C stops it"
    while :; do sleep 1; done
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  kumo_instance_main "$@"
fi

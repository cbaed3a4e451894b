#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# End-to-end compute and image checks with the real `openstack` CLI against a
# disposable Kumo (scripts/lib/kumo-instance.sh).
#   scripts/e2e/compute-cli.sh guests      real QEMU guests (libvirt, TCG here): image upload/save,
#                                          boot, console log, reboot, stop/start, snapshot → boot,
#                                          resize + confirm, delete leaves nothing behind
#   scripts/e2e/compute-cli.sh fake-hosts  two fake hosts (the local agent and a second `kumo agent`
#                                          process that joins with a token): server group anti-affinity
# Prints `ok - …` / `not ok - …` per check, then `N passed, N failed`; exits 1 when a check failed.
set -euo pipefail

# shellcheck source=../lib/kumo-instance.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/kumo-instance.sh"
# shellcheck source=lib.sh
source "$KUMO_REPO/scripts/e2e/lib.sh"

SUFFIX=$(random_secret 3)
EXTRA_AGENT_PID=''

os_admin() { openstack --os-cloud kumo-admin "$@"; }
os_demo() { openstack --os-cloud kumo "$@"; }

cleanup() {
  local rc=$?
  set +e
  [[ -n "$EXTRA_AGENT_PID" ]] && stop_pid "$EXTRA_AGENT_PID" 10
  kumo_instance_cleanup
  stop_libvirtd_if_started
  return "$rc"
}

# wait_status SERVER STATUS [SECONDS]: poll until the server shows STATUS (ERROR ends early).
wait_status() {
  local server=$1 want=$2 limit=${3:-180} status=''
  local deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    status=$(os_demo server show "$server" -f value -c status 2>/dev/null || true)
    [[ "$status" == "$want" ]] && return 0
    [[ "$status" == ERROR && "$want" != ERROR ]] && break
    sleep 1
  done
  echo "server $server is $status, wanted $want" >"$OUT"
  os_demo server show "$server" -f value -c fault >>"$OUT" 2>&1 || true
  return 1
}

# wait_console SERVER REGEX [SECONDS]: the serial console log shows REGEX.
wait_console() {
  local server=$1 re=$2 limit=${3:-120}
  local deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    os_demo console log show "$server" >"$OUT" 2>&1 && grep -Eq -- "$re" "$OUT" && return 0
    sleep 2
  done
  return 1
}

server_id() { os_demo server show "$1" -f value -c id; }

# The scheduler's allocation for a consumer: the host holding it ("None" when there is none).
allocation_host() {
  local token
  token=$(os_admin token issue -f value -c id)
  curl -sf -H "X-Auth-Token: $token" "$KI_SCHEDULER_URL/kumo/v1/allocations/$1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["host"])'
}

# ---- real guests -------------------------------------------------------------------

test_images() {
  local file=$1 saved=$KI_HOME/saved.qcow2
  capture "image create --file (public qcow2)" os_admin image create "e2e-guest-$SUFFIX" --public \
    --disk-format qcow2 --container-format bare --file "$file" -f value -c id
  IMAGE_ID=$CAPTURED
  check_output "image list shows it" "e2e-guest-$SUFFIX" os_demo image list
  check_output "image show: active" '^active$' os_demo image show "$IMAGE_ID" -f value -c status
  check "image save returns the same bytes" sh -c \
    "openstack --os-cloud kumo image save --file '$saved' '$IMAGE_ID' && cmp '$saved' '$file'"
  capture "image create (scratch)" os_demo image create "e2e-scratch-$SUFFIX" --disk-format raw \
    --container-format bare -f value -c id
  check "image delete" os_demo image delete "e2e-scratch-$SUFFIX"
  check_fails "image show after delete fails" '404|No Image|[Nn]ot [Ff]ound|Could not find' \
    os_demo image show "e2e-scratch-$SUFFIX"
}

test_guest_lifecycle() {
  local vm=e2e-vm-$SUFFIX vm2=e2e-vm2-$SUFFIX id snap
  check_output "flavor list has the seeded flavors" 'm1\.nano' os_demo flavor list
  # from 2.92 (the newest microversion, which clouds.yaml pins) Nova only imports keys
  ssh-keygen -q -t ed25519 -N '' -C e2e -f "$KI_HOME/e2e-key" >/dev/null
  check_output "keypair create --public-key (imported)" "$(ssh-keygen -l -E md5 -f "$KI_HOME/e2e-key.pub" |
    awk '{print $2}' | sed 's/^MD5://')" os_demo keypair create --public-key "$KI_HOME/e2e-key.pub" \
    "e2e-key-$SUFFIX" -f value -c fingerprint
  check_output "server create --wait → ACTIVE" '^ACTIVE$' os_demo server create --image "$IMAGE_ID" \
    --flavor m1.nano --network none --key-name "e2e-key-$SUFFIX" --wait "$vm" -f value -c status
  id=$(server_id "$vm" 2>/dev/null || true)
  prerequisite "the server exists" "$id" || return 0
  if wait_console "$vm" "KUMO-GUEST-READY hostname=$vm"; then
    pass "console log show has the hostname line from the config drive"
  else fail "console log show has the hostname line from the config drive"; fi
  check "server reboot --wait" os_demo server reboot --wait "$vm"
  if wait_status "$vm" ACTIVE; then pass "ACTIVE after reboot"; else fail "ACTIVE after reboot"; fi
  check "server stop" os_demo server stop "$vm"
  if wait_status "$vm" SHUTOFF; then pass "stop → SHUTOFF"; else fail "stop → SHUTOFF"; fi
  check "server start" os_demo server start "$vm"
  if wait_status "$vm" ACTIVE; then pass "start → ACTIVE"; else fail "start → ACTIVE"; fi

  capture "server image create --wait (snapshot)" os_demo server image create --name "e2e-snap-$SUFFIX" \
    --wait "$vm" -f value -c id
  snap=$(printf '%s\n' "$CAPTURED" | tail -n 1) # --wait prints its progress on stdout first
  if prerequisite "boot the snapshot" "$snap"; then
    check_output "the snapshot image is active" '^active$' os_demo image show "$snap" -f value -c status
    check_output "a server boots from the snapshot" '^ACTIVE$' os_demo server create --image "$snap" \
      --flavor m1.nano --network none --wait "$vm2" -f value -c status
    if wait_console "$vm2" "KUMO-GUEST-READY hostname=$vm2"; then
      pass "the snapshot's guest boots to READY"
    else fail "the snapshot's guest boots to READY"; fi
    check "delete the snapshot's server" os_demo server delete --wait "$vm2"
  fi

  check "server resize --flavor m1.tiny --wait" os_demo server resize --flavor m1.tiny --wait "$vm"
  if wait_status "$vm" VERIFY_RESIZE 60; then pass "resize → VERIFY_RESIZE"; else fail "resize → VERIFY_RESIZE"; fi
  check "server resize confirm" os_demo server resize confirm "$vm"
  if wait_status "$vm" ACTIVE; then pass "confirm → ACTIVE"; else fail "confirm → ACTIVE"; fi
  check_output "the server has the new flavor" 'm1\.tiny' os_demo server show "$vm" -f value -c flavor

  check "server delete --wait" os_demo server delete --wait "$vm"
  check_absent "no libvirt domain is left" "$id" virsh -c qemu:///system list --all --uuid
  check_absent "no disk is left" "$id" find "$KI_HOME" -name "*$id*" -not -path '*/log/*'
  check_output "no allocation is left" '^None$' allocation_host "$id"
}

main_guests() {
  [[ "$(id -u)" == 0 ]] || die "real guests need root (libvirtd, QEMU)"
  ensure_libvirtd
  local image
  image=$("$KUMO_REPO/scripts/build-guest-image" | tail -n 1)
  KI_AGENT_DRIVER=libvirt kumo_instance_start e2e-compute
  trap cleanup EXIT
  kumo_instance_use_clouds
  OUT=$KI_HOME/last-command.out
  test_images "$image"
  prerequisite "an image to boot" "${IMAGE_ID:-}" && test_guest_lifecycle
}

# ---- two fake hosts ------------------------------------------------------------------

# A second host: `kumo agent` with the fake drivers, joining with a token from the scheduler.
start_second_agent() {
  local token join port=$(free_port)
  token=$(os_admin token issue -f value -c id)
  join=$(curl -sf -X POST -H "X-Auth-Token: $token" -H 'Content-Type: application/json' -d '{}' \
    "$KI_SCHEDULER_URL/kumo/v1/join-tokens" | json_field token)
  prerequisite "a join token for the second host" "$join" || return 1
  (
    ki_export
    export KUMO_HOME=$KI_HOME/host2 KUMO_AGENT_HOST_ID=kumo-e2e-second-$SUFFIX KUMO_AGENT_DRIVER=fake
    export KUMO_AGENT_LISTEN=127.0.0.1:$port KUMO_AGENT_ADVERTISE=127.0.0.1:$port KUMO_AGENT_JOIN_TOKEN=$join
    export KUMO_AGENT_CONTROL_PLANE_URL=https://127.0.0.1:$KI_SCHEDULER_AGENT_PORT
    mkdir -p "$KUMO_HOME"
    exec "$KUMO_BIN" agent >>"$KI_HOME/agent2.log" 2>&1
  ) &
  EXTRA_AGENT_PID=$!
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    [[ "$(os_admin hypervisor list -f value -c 'Hypervisor Hostname' 2>/dev/null | wc -l)" -ge 2 ]] && return 0
    sleep 1
  done
  return 1
}

test_anti_affinity() {
  local group hosts fault
  if start_second_agent; then pass "a second host joins (hypervisor list shows 2)"; else
    fail "a second host joins (hypervisor list shows 2)"
    return 0
  fi
  capture "server group create --policy anti-affinity" os_demo server group create --policy anti-affinity \
    "e2e-group-$SUFFIX" -f value -c id
  group=$CAPTURED
  prerequisite "servers in the group" "$group" || return 0
  check_output "1st server in the group → ACTIVE" '^ACTIVE$' os_demo server create --image "$IMAGE_ID" \
    --flavor m1.nano --network none --hint "group=$group" --wait "e2e-aa1-$SUFFIX" -f value -c status
  check_output "2nd server in the group → ACTIVE" '^ACTIVE$' os_demo server create --image "$IMAGE_ID" \
    --flavor m1.nano --network none --hint "group=$group" --wait "e2e-aa2-$SUFFIX" -f value -c status
  hosts=$(os_admin server list --all-projects --long -f value -c Host | sort -u | wc -l)
  if [[ "$hosts" == 2 ]]; then pass "they are on two different hosts"; else
    echo "hosts used: $hosts" >"$OUT"
    fail "they are on two different hosts"
  fi
  os_demo server create --image "$IMAGE_ID" --flavor m1.nano --network none --hint "group=$group" \
    "e2e-aa3-$SUFFIX" >"$OUT" 2>&1 || true
  if wait_status "e2e-aa3-$SUFFIX" ERROR 60; then pass "a 3rd server goes to ERROR"; else fail "a 3rd server goes to ERROR"; fi
  fault=$(os_demo server show "e2e-aa3-$SUFFIX" -f json -c fault 2>&1 || true)
  printf '%s\n' "$fault" >"$OUT"
  if grep -Eq 'No valid host' <<<"$fault" && grep -Eiq 'anti-?affinity' <<<"$fault"; then
    pass "its fault says no valid host and names the anti-affinity filter"
  else fail "its fault says no valid host and names the anti-affinity filter"; fi
  for s in aa1 aa2 aa3; do os_demo server delete --wait "e2e-$s-$SUFFIX" >/dev/null 2>&1 || true; done
  check "server group delete" os_demo server group delete "$group"
}

main_fake_hosts() {
  KI_AGENT_DRIVER=fake kumo_instance_start e2e-hosts
  trap cleanup EXIT
  kumo_instance_use_clouds
  OUT=$KI_HOME/last-command.out
  qemu-img create -q -f qcow2 "$KI_HOME/tiny.qcow2" 64M
  capture "image create (tiny qcow2)" os_admin image create "e2e-tiny-$SUFFIX" --public --disk-format qcow2 \
    --container-format bare --file "$KI_HOME/tiny.qcow2" -f value -c id
  IMAGE_ID=$CAPTURED
  prerequisite "an image to boot" "$IMAGE_ID" && test_anti_affinity
}

main() {
  have openstack || die "the openstack CLI is missing (apt-get install python3-openstackclient)"
  case "${1:-}" in
  guests) main_guests ;;
  fake-hosts) main_fake_hosts ;;
  *) die "usage: scripts/e2e/compute-cli.sh guests|fake-hosts" ;;
  esac
  printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
  ((FAILED == 0))
}

main "$@"

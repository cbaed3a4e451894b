#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# End-to-end network checks with the real `openstack` CLI against a disposable Kumo
# (scripts/lib/kumo-instance.sh) whose network service writes a real OVN central.
#   scripts/e2e/network-cli.sh api     network, subnet, port, security group, router, floating IP:
#                                      create/list/show/set/delete, bad input, the OVN rows, drift repair
#   scripts/e2e/network-cli.sh guests  a real QEMU guest (libvirt, TCG here) on a tenant network: DHCP
#                                      gives it its port's address, a floating IP reaches its web server
#                                      from this host as the security group allows, removal cuts it
# Prints `ok - …` / `not ok - …` per check, then `N passed, N failed`; exits 1 when a check failed.
set -euo pipefail

# shellcheck source=../lib/kumo-instance.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/kumo-instance.sh"
# shellcheck source=lib.sh
source "$KUMO_REPO/scripts/e2e/lib.sh"

SUFFIX=$(random_secret 3)
# the "outside" of the disposable cloud: TEST-NET-2 (never routed anywhere), this host at .1
PUBLIC_CIDR=198.51.100.0/24 PUBLIC_GW=198.51.100.1

os_admin() { openstack --os-cloud kumo-admin "$@"; }
os_demo() { openstack --os-cloud kumo "$@"; }
nbctl() { ovn-nbctl --no-leader-only --db="tcp:127.0.0.1:$KI_OVN_NB_PORT" "$@"; }

cleanup() {
  local rc=$?
  set +e
  kumo_instance_cleanup
  stop_libvirtd_if_started
  return "$rc"
}

# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
  local limit=$1 deadline
  shift
  deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    "$@" >"$OUT" 2>&1 && return 0
    sleep 0.5
  done
  return 1
}

create_public_network() {
  capture "admin: network create --external (flat, physical network public)" os_admin network create public \
    --external --provider-network-type flat --provider-physical-network public -f value -c id
  PUBLIC_ID=$CAPTURED
  check "admin: subnet create on public (no DHCP)" os_admin subnet create public-subnet --network public \
    --subnet-range "$PUBLIC_CIDR" --gateway "$PUBLIC_GW" --no-dhcp
}

# ---- API (fake hypervisor) ---------------------------------------------------------

test_networks_and_subnets() {
  capture "network create" os_demo network create "net-$SUFFIX" -f value -c id
  NET_ID=$CAPTURED
  check_output "network list shows it" "net-$SUFFIX" os_demo network list
  check_output "network show: mtu 1442 (geneve)" '^1442$' os_demo network show "$NET_ID" -f value -c mtu
  check "network set --name" os_demo network set --name "net2-$SUFFIX" "$NET_ID"
  check_output "network show: renamed" "^net2-$SUFFIX$" os_demo network show "$NET_ID" -f value -c name
  capture "subnet create 10.0.0.0/24" os_demo subnet create "sub-$SUFFIX" --network "$NET_ID" \
    --subnet-range 10.0.0.0/24 --dns-nameserver 10.0.0.2 -f value -c id
  SUBNET_ID=$CAPTURED
  check_output "subnet show: gateway 10.0.0.1" '^10.0.0.1$' os_demo subnet show "$SUBNET_ID" -f value -c gateway_ip
  check "subnet create IPv6 (slaac)" os_demo subnet create "sub6-$SUFFIX" --network "$NET_ID" --ip-version 6 \
    --subnet-range 2001:db8:1::/64 --ipv6-ra-mode slaac --ipv6-address-mode slaac
  check "subnet set --name" os_demo subnet set --name "subnet-$SUFFIX" "$SUBNET_ID"
  check_fails "subnet create: gateway outside the CIDR → 400" 'HTTP 400|BadRequest|Bad' os_demo subnet create \
    "bad-$SUFFIX" --network "$NET_ID" --subnet-range 10.9.0.0/24 --gateway 10.8.0.1
  check_fails "subnet create: invalid CIDR → 400" 'HTTP 400|Bad|Invalid' os_demo subnet create "bad2-$SUFFIX" \
    --network "$NET_ID" --subnet-range 10.0.0.300/24
  check_fails "subnet create: overlapping pools → 4xx" 'HTTP 4|Overlap|overlap' os_demo subnet create \
    "bad3-$SUFFIX" --network "$NET_ID" --subnet-range 10.7.0.0/24 \
    --allocation-pool start=10.7.0.10,end=10.7.0.50 --allocation-pool start=10.7.0.40,end=10.7.0.60
  capture "admin: a network of the admin project" os_admin network create "adm-$SUFFIX" -f value -c id
  local admin_net=$CAPTURED
  check_fails "another tenant's network is not found" 'No Network found|Not ?Found|404|could not be found' \
    os_demo network show "$admin_net"
  check "admin: network delete" os_admin network delete "$admin_net"
}

test_ports() {
  capture "port create --fixed-ip" os_demo port create "port-$SUFFIX" --network "$NET_ID" \
    --fixed-ip "subnet=$SUBNET_ID,ip-address=10.0.0.50" -f value -c id
  PORT_ID=$CAPTURED
  check_output "port show: the asked address" "10.0.0.50" os_demo port show "$PORT_ID" -f json -c fixed_ips
  check_output "port list --network" "$PORT_ID" os_demo port list --network "$NET_ID"
  check_fails "port create: address in use → 409" 'HTTP 409|Conflict|already allocated' os_demo port create \
    "dup-$SUFFIX" --network "$NET_ID" --fixed-ip "subnet=$SUBNET_ID,ip-address=10.0.0.50"
  check "port set --name --description" os_demo port set --name "p-$SUFFIX" --description e2e "$PORT_ID"
  check_output "OVN: the port is a logical switch port" "$PORT_ID" wait_for 10 nbctl lsp-list "neutron-$NET_ID"
  check_output "OVN: its addresses" "10.0.0.50" nbctl lsp-get-addresses "$PORT_ID"
  check "someone deletes it in OVN by hand" nbctl lsp-del "$PORT_ID"
  check "the reconciler puts it back" wait_for 10 nbctl lsp-get-addresses "$PORT_ID"
  check_fails "network delete with a port → 409" 'HTTP 409|Conflict|in use' os_demo network delete "$NET_ID"
}

test_security_groups() {
  capture "security group create" os_demo security group create "sg-$SUFFIX" -f value -c id
  SG_ID=$CAPTURED
  check "security group rule create: icmp" os_demo security group rule create --protocol icmp "$SG_ID"
  check "security group rule create: tcp 22" os_demo security group rule create --protocol tcp \
    --dst-port 22 "$SG_ID"
  check_fails "rule create: port range on a protocol without ports → 400" 'HTTP 400|Bad|Invalid' os_demo \
    security group rule create --protocol 112 --dst-port 22 "$SG_ID"
  check_output "security group rule list" "tcp" os_demo security group rule list "$SG_ID"
  check "security group set --description" os_demo security group set --description e2e "$SG_ID"
  check "port set --security-group" os_demo port set --security-group "$SG_ID" "$PORT_ID"
  check_output "OVN: a port group with ACLs" "tcp.dst == 22" wait_for 10 nbctl acl-list "pg_${SG_ID//-/_}"
}

test_routers_and_floating_ips() {
  capture "router create" os_demo router create "r-$SUFFIX" -f value -c id
  ROUTER_ID=$CAPTURED
  check "router set --external-gateway public" os_demo router set --external-gateway public "$ROUTER_ID"
  check "router add subnet" os_demo router add subnet "$ROUTER_ID" "$SUBNET_ID"
  check_output "router show: interface on 10.0.0.1" "10.0.0.1" os_demo router show "$ROUTER_ID" -f json -c interfaces_info
  check_output "OVN: SNAT for 10.0.0.0/24" "10.0.0.0/24" wait_for 10 nbctl lr-nat-list "neutron-$ROUTER_ID"
  capture "floating ip create" os_demo floating ip create public -f value -c id
  FIP_ID=$CAPTURED
  check "floating ip set --port" os_demo floating ip set --port "$PORT_ID" "$FIP_ID"
  check_output "floating ip show: fixed 10.0.0.50" '^10.0.0.50$' os_demo floating ip show "$FIP_ID" -f value \
    -c fixed_ip_address
  check_output "OVN: dnat_and_snat" "dnat_and_snat" wait_for 10 nbctl lr-nat-list "neutron-$ROUTER_ID"
  check "floating ip unset --port" os_demo floating ip unset --port "$FIP_ID"
  check_absent "OVN: dnat_and_snat gone" "dnat_and_snat" nbctl lr-nat-list "neutron-$ROUTER_ID"
  check_fails "router delete with an interface → 409" 'HTTP 409|Conflict|in use|still has' os_demo router \
    delete "$ROUTER_ID"
  check "floating ip delete" os_demo floating ip delete "$FIP_ID"
  check "router remove subnet" os_demo router remove subnet "$ROUTER_ID" "$SUBNET_ID"
  check "router delete" os_demo router delete "$ROUTER_ID"
  check "port delete" os_demo port delete "$PORT_ID"
  check "security group delete" os_demo security group delete "$SG_ID"
  check "network delete (subnets go with it)" os_demo network delete "$NET_ID"
  check "OVN: the switch is gone" wait_for 10 sh -c "! ovn-nbctl --db=tcp:127.0.0.1:$KI_OVN_NB_PORT ls-list | grep -q $NET_ID"
}

main_api() {
  KI_AGENT_DRIVER=fake kumo_instance_start e2e-network
  trap cleanup EXIT
  kumo_instance_use_clouds
  OUT=$KI_HOME/last-command.out
  create_public_network
  test_networks_and_subnets
  prerequisite "a network" "${NET_ID:-}" && prerequisite "a subnet" "${SUBNET_ID:-}" && test_ports
  prerequisite "a port" "${PORT_ID:-}" && test_security_groups && test_routers_and_floating_ips
}

# ---- a real guest ----------------------------------------------------------------------

# this host as the public network's upstream router (an address on the instance's external bridge)
host_on_public() {
  wait_for 30 ip link show "$KI_EXT_BRIDGE" || return 1
  ip addr replace "$PUBLIC_GW/24" dev "$KI_EXT_BRIDGE" && ip link set "$KI_EXT_BRIDGE" up
}

test_guest_on_network() {
  local image=$1 port_ip fip sg
  capture "image create" os_admin image create "e2e-guest-$SUFFIX" --public --disk-format qcow2 \
    --container-format bare --file "$image" -f value -c id
  capture "network create" os_demo network create "gnet-$SUFFIX" -f value -c id
  NET_ID=$CAPTURED
  check "subnet create 10.20.0.0/24" os_demo subnet create "gsub-$SUFFIX" --network "$NET_ID" \
    --subnet-range 10.20.0.0/24
  capture "security group create (icmp, tcp 80)" os_demo security group create "web-$SUFFIX" -f value -c id
  sg=$CAPTURED
  check "rule icmp" os_demo security group rule create --protocol icmp "$sg"
  capture "rule tcp 80" os_demo security group rule create --protocol tcp --dst-port 80 "$sg" -f value -c id
  local web_rule=$CAPTURED
  check "router with gateway public and the subnet" sh -c "openstack --os-cloud kumo router create r-$SUFFIX \
    >/dev/null && openstack --os-cloud kumo router set --external-gateway public r-$SUFFIX && \
    openstack --os-cloud kumo router add subnet r-$SUFFIX gsub-$SUFFIX"
  check "server create --network (real guest)" os_demo server create --image "e2e-guest-$SUFFIX" \
    --flavor m1.nano --network "$NET_ID" --security-group "$sg" --wait "vm-$SUFFIX"
  port_ip=$(os_demo port list --server "vm-$SUFFIX" -f value -c 'Fixed IP Addresses' |
    grep -oE '10\.20\.0\.[0-9]+' | head -n 1)
  prerequisite "the server's port address" "$port_ip" || return 0
  check_output "server show: addresses list the port's IP" "$port_ip" os_demo server show "vm-$SUFFIX" -c addresses
  check "the guest got exactly its port's IP by DHCP (console)" wait_for 240 sh -c \
    "openstack --os-cloud kumo console log show vm-$SUFFIX | grep -a 'KUMO-GUEST-READY' | grep -q 'ip=$port_ip'"
  capture "floating ip create" os_demo floating ip create public -f value -c floating_ip_address
  fip=$CAPTURED
  check "server add floating ip" os_demo server add floating ip "vm-$SUFFIX" "$fip"
  check "this host reaches the guest's web server through the floating IP" wait_for 60 \
    curl -sf --max-time 3 "http://$fip/"
  check "ping the floating IP (icmp allowed)" busybox ping -c 1 -W 3 "$fip"
  check "delete the tcp 80 rule" os_demo security group rule delete "$web_rule"
  check "the web server is no longer reachable" wait_for 20 sh -c "! curl -sf --max-time 2 http://$fip/"
  check "add it again" os_demo security group rule create --protocol tcp --dst-port 80 "$sg"
  check "reachable again" wait_for 20 curl -sf --max-time 3 "http://$fip/"
  check "server remove floating ip" os_demo server remove floating ip "vm-$SUFFIX" "$fip"
  check "the floating IP path is cut" wait_for 20 sh -c "! curl -sf --max-time 2 http://$fip/"
  check "server delete --wait" os_demo server delete --wait "vm-$SUFFIX"
  check_absent "the server's port is deleted with it" "$port_ip" os_demo port list --network "$NET_ID" \
    -c 'Fixed IP Addresses'
}

main_guests() {
  [[ "$(id -u)" == 0 ]] || die "real guests need root (libvirtd, QEMU, OVS)"
  ensure_libvirtd
  local image
  image=$("$KUMO_REPO/scripts/build-guest-image" | tail -n 1)
  KI_AGENT_DRIVER=libvirt kumo_instance_start e2e-netguest
  trap cleanup EXIT
  kumo_instance_use_clouds
  OUT=$KI_HOME/last-command.out
  create_public_network
  check "this host is public's gateway ($PUBLIC_GW on the external bridge)" host_on_public
  test_guest_on_network "$image"
}

main() {
  have openstack || die "the openstack CLI is missing (apt-get install python3-openstackclient)"
  have ovn-nbctl || die "ovn-nbctl is missing (apt-get install ovn-central)"
  case "${1:-}" in
  api) main_api ;;
  guests) main_guests ;;
  *) die "usage: scripts/e2e/network-cli.sh api|guests" ;;
  esac
  printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
  ((FAILED == 0))
}

main "$@"

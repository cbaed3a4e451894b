# shellcheck shell=bash
# Install and start what Kumo needs on Debian 12 — each step only when missing,
# so running it again is cheap. Source after common.sh.

[[ -n "${KUMO_LIB_PREREQS_LOADED:-}" ]] && return 0
KUMO_LIB_PREREQS_LOADED=1

KUMO_PNPM_VERSION=10.34.8
KUMO_NODE_MIN=20.19

# Debian packages for running Kumo, and the extra ones for testing it.
KUMO_RUNTIME_PACKAGES=(ca-certificates curl postgresql redis-server python3-openstackclient python3-yaml qemu-utils)
# The libvirt compute driver: QEMU (TCG when KVM is not proved), libvirtd/virsh,
# genisoimage for config drives, isoinfo/ip for its tests.
KUMO_LIBVIRT_PACKAGES=(qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients genisoimage iproute2)
# Building the test guest image (scripts/build-guest-image) and booting it under
# plain QEMU (scripts/guest-image/selftest).
# shellcheck disable=SC2034 # used by scripts/test
KUMO_GUEST_IMAGE_PACKAGES=(syslinux syslinux-common mtools dosfstools cpio kmod xz-utils binutils qemu-utils
  qemu-system-x86 genisoimage curl)
# Open vSwitch and OVN: the network service writes OVN's northbound DB; every host runs
# ovs-vswitchd + ovn-controller; the all-in-one host also runs OVN central (NB/SB + northd).
KUMO_OVS_PACKAGES=(openvswitch-switch ovn-central ovn-host iproute2 ethtool busybox-static)
# shellcheck disable=SC2034 # used by scripts/test
KUMO_TEST_PACKAGES=("${KUMO_RUNTIME_PACKAGES[@]}" tempest subunit openssh-client "${KUMO_OVS_PACKAGES[@]}" "${KUMO_LIBVIRT_PACKAGES[@]}"
  "${KUMO_GUEST_IMAGE_PACKAGES[@]}")


# Where the local PostgreSQL cluster and Redis listen (the all-in-one defaults).
KUMO_PG_HOST=127.0.0.1
KUMO_PG_PORT=${KUMO_PG_PORT:-5432}
KUMO_PG_CLUSTER=${KUMO_PG_CLUSTER:-main}
KUMO_REDIS_HOST=127.0.0.1
KUMO_REDIS_PORT=${KUMO_REDIS_PORT:-6379}
# The maintenance database used to create and drop throwaway databases.
: "${KUMO_TEST_DATABASE_URL:=postgres://postgres@$KUMO_PG_HOST:$KUMO_PG_PORT/postgres}"

package_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# Install the Debian packages that are not installed yet (apt-get update first, once).
ensure_debian_packages() {
  local missing=() p
  for p in "$@"; do
    package_installed "$p" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

ensure_node() {
  have node || die "Node.js >= $KUMO_NODE_MIN is required (Debian 12's nodejs is too old; use NodeSource or nvm)"
  local v
  v=$(node -p 'process.versions.node')
  version_ge "$v" "$KUMO_NODE_MIN" || die "Node.js >= $KUMO_NODE_MIN is required, found $v"
}

ensure_pnpm() {
  ensure_node
  if [[ "$(pnpm --version 2>/dev/null || true)" != "$KUMO_PNPM_VERSION" ]]; then
    log "installing pnpm $KUMO_PNPM_VERSION"
    as_root npm i -g "pnpm@$KUMO_PNPM_VERSION"
  fi
}

ensure_node_modules() {
  ensure_pnpm
  log "node modules (pnpm install)"
  if [[ -f "$KUMO_REPO/pnpm-lock.yaml" ]]; then
    (cd "$KUMO_REPO" && pnpm install --frozen-lockfile)
  else
    (cd "$KUMO_REPO" && pnpm install)
  fi
}

# Newest installed PostgreSQL major version (e.g. 15).
pg_version() {
  find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n1
}

pg_superuser_ok() {
  psql "$KUMO_TEST_DATABASE_URL" -w -Atqc 'SELECT 1' >/dev/null 2>&1
}

# The all-in-one connects as postgres over loopback without a password:
# trust exactly that (user postgres, 127.0.0.1 and ::1), nothing wider.
ensure_pg_loopback_trust() {
  pg_superuser_ok && return 0
  local hba
  hba=$(as_root runuser -u postgres -- psql -p "$KUMO_PG_PORT" -Atqc 'SHOW hba_file') ||
    die "cannot ask PostgreSQL for its pg_hba.conf"
  log "allowing user postgres over loopback without password in $hba"
  as_root sed -i '1i # added by kumo scripts: the all-in-one connects as postgres over loopback\
host all postgres 127.0.0.1/32 trust\
host all postgres ::1/128 trust' "$hba"
  as_root runuser -u postgres -- psql -p "$KUMO_PG_PORT" -Atqc 'SELECT pg_reload_conf()' >/dev/null
  sleep 0.5
  pg_superuser_ok || die "cannot connect to $KUMO_TEST_DATABASE_URL"
}

ensure_postgres() {
  if ! port_answers "$KUMO_PG_HOST" "$KUMO_PG_PORT"; then
    local ver
    ver=$(pg_version)
    [[ -n "$ver" ]] || die "PostgreSQL is not installed"
    if ! pg_lsclusters -h 2>/dev/null |
      awk -v v="$ver" -v c="$KUMO_PG_CLUSTER" '$1 == v && $2 == c { f = 1 } END { exit !f }'; then
      log "creating PostgreSQL $ver cluster $KUMO_PG_CLUSTER"
      as_root pg_createcluster -p "$KUMO_PG_PORT" "$ver" "$KUMO_PG_CLUSTER"
    fi
    log "starting PostgreSQL $ver/$KUMO_PG_CLUSTER"
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$KUMO_PG_CLUSTER" start
    wait_port "$KUMO_PG_HOST" "$KUMO_PG_PORT" 30 || die "PostgreSQL did not open port $KUMO_PG_PORT"
  fi
  ensure_pg_loopback_trust
}

ensure_redis() {
  port_answers "$KUMO_REDIS_HOST" "$KUMO_REDIS_PORT" && return 0
  log "starting Redis"
  as_root redis-server --daemonize yes --bind "$KUMO_REDIS_HOST" --port "$KUMO_REDIS_PORT" \
    --save "" --appendonly no >/dev/null
  wait_port "$KUMO_REDIS_HOST" "$KUMO_REDIS_PORT" 15 || die "Redis did not open port $KUMO_REDIS_PORT"
}

# Packages (the lists above), node modules, PostgreSQL and Redis answering:
#   ensure_environment "${KUMO_RUNTIME_PACKAGES[@]}"   (or KUMO_TEST_PACKAGES)
ensure_environment() {
  ensure_debian_packages "$@"
  ensure_node_modules
  ensure_postgres
  ensure_redis
}

# libvirtd answering on qemu:///system. PID 1 is not systemd on these machines, so
# start virtlogd and libvirtd by hand when nothing answers (the first `virsh version`
# probes QEMU for ~13 s). Remembers the pids it started in KUMO_STARTED_LIBVIRT_PIDS,
# so a test can stop exactly what it started (stop_libvirtd_if_started).
KUMO_STARTED_LIBVIRT_PIDS=()
ensure_libvirtd() {
  if timeout 5 virsh -q -c qemu:///system uri >/dev/null 2>&1; then return 0; fi
  log "starting virtlogd and libvirtd"
  local pid
  if ! pgrep -x virtlogd >/dev/null; then
    as_root /usr/sbin/virtlogd --daemon
    pid=$(pgrep -x virtlogd | head -n 1) && KUMO_STARTED_LIBVIRT_PIDS+=("$pid")
  fi
  if ! pgrep -x libvirtd >/dev/null; then
    as_root /usr/sbin/libvirtd --daemon
    pid=$(pgrep -x libvirtd | head -n 1) && KUMO_STARTED_LIBVIRT_PIDS+=("$pid")
  fi
  local deadline=$((SECONDS + 90))
  until timeout 60 virsh -q -c qemu:///system version >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "libvirtd does not answer on qemu:///system"
    sleep 1
  done
}

stop_libvirtd_if_started() {
  local pid
  for pid in "${KUMO_STARTED_LIBVIRT_PIDS[@]}"; do stop_pid "$pid" 10 || true; done
  KUMO_STARTED_LIBVIRT_PIDS=()
}

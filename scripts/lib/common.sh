# shellcheck shell=bash
# Shared helpers for Kumo's scripts: logging, ports, HTTP readiness, processes.
# Source it; it defines functions and KUMO_REPO, nothing runs.

[[ -n "${KUMO_LIB_COMMON_LOADED:-}" ]] && return 0
KUMO_LIB_COMMON_LOADED=1

KUMO_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KUMO_BIN="$KUMO_REPO/apps/cli/bin/kumo"

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# Run a command as root (directly, or through sudo when not root).
as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif have sudo; then
    sudo "$@"
  else
    die "need root for: $*"
  fi
}

# 0 when something accepts TCP connections on host:port.
port_answers() {
  local host=$1 port=$2
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
}

# Wait until host:port answers; fail after timeout seconds.
wait_port() {
  local host=$1 port=$2 deadline=$((SECONDS + ${3:-30}))
  while ((SECONDS < deadline)); do
    port_answers "$host" "$port" && return 0
    sleep 0.25
  done
  return 1
}

# A TCP port nothing listens on right now.
# A free TCP port below the kernel's ephemeral range (ip_local_port_range starts at 32768): a port
# the kernel picked with bind(0) can be taken by any outgoing connection's source port before the
# service listens on it (seen: EADDRINUSE once a cloud opened many connections at start).
free_port() {
  python3 -c '
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    port = random.randint(20000, low - 1) if low > 21000 else random.randint(1024, 65535)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("no free port")
'
}

# HTTP status code of a GET (000 when nothing answers).
http_status() {
  curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" || true
}

# Random secret, hex (no characters that need quoting anywhere).
random_secret() {
  od -An -tx1 -N"${1:-18}" /dev/urandom | tr -d ' \n'
}

# version_ge A B: 0 when dotted version A >= B.
version_ge() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

# ---- processes -------------------------------------------------------------

# 0 when pid is alive and is a Kumo CLI process (guards against reused pids).
pid_is_kumo() {
  local pid=$1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'apps/cli/src/main\.ts'
}

# The pid recorded in a pid file, when that process is a running Kumo.
kumo_pid_from_file() {
  local pidfile=$1 pid
  [[ -s "$pidfile" ]] || return 1
  pid=$(<"$pidfile")
  pid_is_kumo "$pid" || return 1
  printf '%s\n' "$pid"
}

# Stop one process: SIGTERM, wait up to timeout seconds, then SIGKILL.
stop_pid() {
  local pid=$1 timeout_s=${2:-15} i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < timeout_s * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  warn "pid $pid did not stop after ${timeout_s}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# Start `kumo up` detached (own session, immune to the terminal's signals), with
# the current environment; writes the Kumo pid to pidfile, appends output to logfile.
kumo_spawn() {
  local pidfile=$1 logfile=$2 i
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  rm -f "$pidfile"
  # sh writes its own pid, then execs bin/kumo, which execs node: same pid.
  # shellcheck disable=SC2016 # expanded by the inner sh
  setsid sh -c 'echo $$ >"$1"; shift; exec nohup "$@"' sh "$pidfile" "$KUMO_BIN" up \
    >>"$logfile" 2>&1 </dev/null &
  for ((i = 0; i < 50; i++)); do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.1
  done
  die "kumo did not start (no pid in $pidfile)"
}

# Wait until a Kumo answers 200 on /readyz; on failure show the log tail.
kumo_wait_ready() {
  local base_url=$1 pid=$2 logfile=$3 timeout_s=${4:-60} code=000
  local deadline=$((SECONDS + timeout_s))
  while ((SECONDS < deadline)); do
    code=$(http_status "$base_url/readyz")
    [[ "$code" == 200 ]] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      printf 'error: kumo (pid %s) exited before it was ready; last log lines:\n' "$pid" >&2
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    sleep 0.25
  done
  printf 'error: %s/readyz did not answer 200 within %ss (last: %s); last log lines:\n' \
    "$base_url" "$timeout_s" "$code" >&2
  tail -n 40 "$logfile" >&2 || true
  return 1
}

# ---- clouds.yaml -----------------------------------------------------------

# Write (or update) clouds `kumo` (demo) and `kumo-admin` (admin) in a clouds.yaml,
# keeping every other cloud already in the file. Mode 600. Passwords come from
# KUMO_ADMIN_PASSWORD and KUMO_DEMO_PASSWORD (environment, never argv). With
# COMPUTE_URL (the compute service's base), `compute_api_version` is set to the
# newest microversion it announces: the openstack CLI otherwise speaks 2.1, where
# `--network none` does not exist, and its `2.latest` is a fixed number, not a negotiation.
#   write_clouds_yaml FILE AUTH_URL REGION [COMPUTE_URL]
write_clouds_yaml() {
  local file=$1
  mkdir -p "$(dirname "$file")"
  KUMO_ADMIN_PASSWORD=$KUMO_ADMIN_PASSWORD KUMO_DEMO_PASSWORD=$KUMO_DEMO_PASSWORD python3 - "$@" <<'PY'
import os, sys, tempfile
import yaml

import json, urllib.request

path, auth_url, region = sys.argv[1:4]
compute_version = None
if len(sys.argv) > 4 and sys.argv[4]:
    with urllib.request.urlopen(sys.argv[4] + "/v2.1/", timeout=10) as r:
        compute_version = json.load(r)["version"]["version"]
admin_pw = os.environ["KUMO_ADMIN_PASSWORD"]
demo_pw = os.environ["KUMO_DEMO_PASSWORD"]
data = {}
if os.path.exists(path):
    with open(path) as f:
        data = yaml.safe_load(f) or {}
clouds = data.setdefault("clouds", {}) or {}
data["clouds"] = clouds

def cloud(user, password, project):
    return {
        "auth": {
            "auth_url": auth_url,
            "username": user,
            "password": password,
            "project_name": project,
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "region_name": region,
        "identity_api_version": 3,
        "interface": "public",
        **({"compute_api_version": compute_version} if compute_version else {}),
    }

clouds["kumo"] = cloud("demo", demo_pw, "demo")
clouds["kumo-admin"] = cloud("admin", admin_pw, "admin")

fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".clouds.")
with os.fdopen(fd, "w") as f:
    yaml.safe_dump(data, f, default_flow_style=False, sort_keys=False)
os.chmod(tmp, 0o600)
os.replace(tmp, path)
PY
}

# stop_network_daemons HOME [DEVICE...]: stop the OVN central and host chassis daemons a Kumo home
# runs detached (pidfiles under HOME/ovn and HOME/agent/ovs: ovn-controller, ovs-vswitchd,
# ovsdb-server, ovn-northd, the NB/SB servers), then delete the bridges' taps the userspace datapath
# leaves behind (DEVICE...), and its shared ovs-netdev tap when no other ovs-vswitchd is left in this
# network namespace. Guests' own taps stay: QEMU holds them, and the next start re-plugs them.
stop_network_daemons() {
  local home=$1 dir name pid dev ns other=0
  shift
  for dir in "$home/agent/ovs" "$home/ovn"; do
    [[ -d "$dir" ]] || continue
    for name in ovn-controller ovs-vswitchd ovsdb-server ovn-northd ovnnb_db ovnsb_db; do
      [[ -s "$dir/$name.pid" ]] || continue
      pid=$(<"$dir/$name.pid")
      [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && stop_pid "$pid" 10
    done
  done
  ns=$(readlink /proc/self/ns/net)
  for pid in $(pgrep -x ovs-vswitchd || true); do
    [[ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" == "$ns" ]] && other=1
  done
  ((other)) || set -- "$@" ovs-netdev
  for dev in "$@"; do
    [[ -e "/sys/class/net/$dev/tun_flags" ]] && ip link del "$dev" 2>/dev/null
  done
  return 0
}

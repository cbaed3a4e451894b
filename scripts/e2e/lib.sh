# shellcheck shell=bash
# Shared by the end-to-end scripts: counters and `ok - …` / `not ok - …` checks
# around real `openstack` CLI calls. Source after lib/kumo-instance.sh.

PASSED=0
FAILED=0
OUT='' # output of the last command, shown when its check fails
CAPTURED=''

# ---- reporting ---------------------------------------------------------------

pass() {
  PASSED=$((PASSED + 1))
  printf 'ok - %s\n' "$1"
}

fail() {
  FAILED=$((FAILED + 1))
  printf 'not ok - %s\n' "$1"
  [[ -s "$OUT" ]] && tail -n 12 "$OUT" | sed 's/^/#   /'
  return 0
}

# check NAME CMD...: CMD succeeds.
check() {
  local name=$1
  shift
  if "$@" >"$OUT" 2>&1; then pass "$name"; else fail "$name"; fi
}

# check_output NAME REGEX CMD...: CMD succeeds and a line of its output matches REGEX.
check_output() {
  local name=$1 re=$2
  shift 2
  if "$@" >"$OUT" 2>&1 && grep -Eq -- "$re" "$OUT"; then pass "$name"; else fail "$name"; fi
}

# check_absent NAME REGEX CMD...: CMD succeeds and no line of its output matches REGEX.
check_absent() {
  local name=$1 re=$2
  shift 2
  if "$@" >"$OUT" 2>&1 && ! grep -Eq -- "$re" "$OUT"; then pass "$name"; else fail "$name"; fi
}

# check_fails NAME REGEX CMD...: CMD fails and its output matches REGEX.
check_fails() {
  local name=$1 re=$2
  shift 2
  if ! "$@" >"$OUT" 2>&1 && grep -Eq -- "$re" "$OUT"; then pass "$name"; else fail "$name"; fi
}

# capture NAME CMD...: like check, and keeps CMD's stdout in CAPTURED.
capture() {
  local name=$1
  shift
  if CAPTURED=$("$@" 2>"$OUT"); then
    pass "$name"
  else
    printf '%s\n' "$CAPTURED" >>"$OUT"
    CAPTURED=''
    fail "$name"
  fi
}

# prerequisite NAME VALUE: a check that needs VALUE reports `not ok` when it is empty.
prerequisite() {
  [[ -n "$2" ]] && return 0
  : >"$OUT"
  fail "$1 (skipped: an earlier step produced nothing)"
  return 1
}

json_field() {
  python3 -c '
import json, sys
text = sys.stdin.read().strip()
try:
    print((json.loads(text) if text else {}).get(sys.argv[1]) or "")
except ValueError:
    print("")
' "$1"
}

# ---- openstack CLI -------------------------------------------------------------

os_admin() { openstack --os-cloud kumo-admin "$@"; }
os_demo() { openstack --os-cloud kumo "$@"; }


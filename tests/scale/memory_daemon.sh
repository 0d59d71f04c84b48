#!/usr/bin/env bash
# Large content through the sqlite-storage daemon within the bounds docs/performance.md states
# (issue 21): a 100 MiB file written and read back through the daemon socket, with
#   - homeboy's own peak (GNU time's %M; the daemon is no child of it) at most N + 64 MiB;
#   - the daemon's own peak (VmHWM of a daemon started for that one command) at most 2 N + 64 MiB,
#     on the write and on the read (the content crosses the socket raw: contract::raw);
#   - the content read back unchanged.
# Meant for release builds (a sanitizer's own memory would be counted too).
# usage: memory_daemon.sh <homeboy> <scratch dir> <source modules folder>
set -euo pipefail
homeboy=$1 work=$2 sources=$3
rm -rf "$work"
mkdir -p "$work/config" "$work/runtime" "$work/store"
export HOMEBOY_MODULE_PATH= XDG_RUNTIME_DIR=$work/runtime  # this run's daemon alone
mib=1048576 size=$((100 * 1048576))
failures=0
hb() { "$homeboy" --config-dir "$work/config" "$@"; }
fail() { echo "memory (daemon): $*" >&2; exit 1; }
cleanup() { hb module stop --all >/dev/null 2>&1 || true; }
trap cleanup EXIT

hb module install "$sources/sqlite-storage" --activate >/dev/null
[[ $(hb storage status | jq -r .data.provider.transport) == daemon ]] || fail "sqlite-storage is not served by its daemon"
hb storage ensure-dir "$work/store" >/dev/null
head -c $((size * 3 / 4)) /dev/urandom | base64 -w 76 >"$work/big"  # text: a little more, with the newlines
truncate -s "$size" "$work/big"

# check LABEL BOUND_BYTES KIB: prints the peak against the bound; above it counts as a failure.
check() {
  awk -v l="$1" -v kb="$3" -v b="$2" 'BEGIN { printf "%-52s %7.1f MiB  (bound %6.1f MiB)\n", l, kb / 1024, b / 1048576 }'
  if (($3 * 1024 > $2)); then
    echo "memory (daemon): $1: peak $3 KiB is above the bound" >&2
    failures=$((failures + 1))
  fi
}
# measure LABEL DAEMON_BOUND -- COMMAND...: runs it on a daemon started for it; checks homeboy's
# peak, and the daemon's against DAEMON_BOUND (0: printed only).
measure() {
  local label=$1 daemon_bound=$2 kb pid hwm
  shift 3
  hb module stop --all >/dev/null 2>&1 || true
  hb storage list "$work/store" >/dev/null  # starts the daemon: its peak is then this command's
  /usr/bin/time -f %M -o "$work/peak" "$@" >"$work/stdout" || fail "$label failed"
  kb=$(tail -n 1 "$work/peak")
  check "$label: homeboy" $((size + 64 * mib)) "$kb"
  pid=$(hb module daemons | jq -r '.data.daemons[0].pid')
  hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
  if ((daemon_bound)); then
    check "$label: the daemon" "$daemon_bound" "$hwm"
  else
    awk -v l="$label: the daemon" -v kb="$hwm" 'BEGIN { printf "%-52s %7.1f MiB  (not bounded yet)\n", l, kb / 1024 }'
  fi
}

measure "write of a 100 MiB file" $((2 * size + 64 * mib)) -- "$homeboy" --config-dir "$work/config" storage write "$work/store/big" --file "$work/big"
measure "read --raw of it" $((2 * size + 64 * mib)) -- "$homeboy" --config-dir "$work/config" storage read --raw "$work/store/big"
cmp -s "$work/stdout" "$work/big" || fail "read --raw changed the content"
rm -f "$work/stdout"
((failures == 0)) || fail "$failures peak(s) above the bound"
cleanup
trap - EXIT
[[ -n ${KEEP:-} ]] || rm -rf "$work"

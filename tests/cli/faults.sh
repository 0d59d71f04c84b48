#!/usr/bin/env bash
# Faults that leave nothing behind:
# - `module install` works under `umask 000`: homeboy makes <config>/modules with the mode
#   its own trust checks require, and the installed module serves commands;
# - the bash module killed mid-event (SIGKILL, no trap runs) 50 times: each kill leaves its
#   copy of the event in <config>/run, and the next command, whatever it is, removes them all.
# usage: faults.sh <homeboy> <scratch dir> <modules source dir>
set -euo pipefail
trap 'echo "$(basename "$0"): line $LINENO failed: $BASH_COMMAND" >&2' ERR
homeboy=$1 work=$2 modules=$3
rm -rf "$work"
mkdir -p "$work"
export HOMEBOY_MODULE_PATH=
fail() { echo "faults: $*" >&2; exit 1; }

# --- umask 000 ---------------------------------------------------------------------------
config=$work/umask
out=$(umask 000 && "$homeboy" --config-dir "$config" module install "$modules/sqlite-storage" 2>&1) \
  || fail "module install under umask 000: $out"
mode=$(stat -c %a "$config/modules")
(((8#$mode & 022) == 0)) || fail "<config>/modules is $mode under umask 000"
out=$(umask 000 && "$homeboy" --config-dir "$config" server create u1 --json '{"host": "h"}' 2>&1) \
  || fail "create through the installed module: $out"
provider=$("$homeboy" --config-dir "$config" storage status | jq -r .data.provider.module_id)
[[ $provider == sqlite-storage ]] || fail "the provider is $provider, not sqlite-storage"
echo "umask 000: module install works, <config>/modules is $mode, the module serves"

# --- the bash module's leftovers -----------------------------------------------------------
config=$work/bash
export HOMEBOY_STORAGE_TRANSPORT=subprocess  # builtin-filesystem as its bash module
"$homeboy" --config-dir "$config" storage ensure-dir "$work/data" >/dev/null
run=$config/run
# A batch large enough (1 MB of event) that the module is still at work when it is killed.
batch=$(jq -nc --arg d "$work/data" '[range(100) | {operation: "write", path: ($d + "/f\(.).txt"),
  content: ("x" * 10000)}]')
printf '%s' "$batch" >"$work/batch.json"
seen=0
for round in $(seq 50); do
  "$homeboy" --config-dir "$config" storage batch --file "$work/batch.json" >/dev/null 2>&1 &
  command_pid=$!
  before=$(compgen -G "$run/event.*" || true)  # the last round's leftover, until the module sweeps it
  left=
  for _ in $(seq 400); do  # up to 4 s for the module to save its event
    left=$(compgen -G "$run/event.*" | grep -vxF -- "${before:-/}" | head -1) && [[ -n $left ]] && break
    left=
    sleep 0.01
  done
  if [[ -n $left ]]; then
    pid=${left##*/event.}
    pid=${pid%%.*}
    kill -KILL "$pid" 2>/dev/null && seen=$((seen + 1))
  fi
  # The command would go on with the rest of the batch: it goes too (its reaper ends what it started).
  kill -KILL "$command_pid" 2>/dev/null || true
  wait "$command_pid" 2>/dev/null || true
done
after_kills=$(compgen -G "$run/event.*" | wc -l || true)
((seen >= 25)) || fail "only $seen of 50 kills landed while the module held its event: the test proves nothing"
((after_kills >= 1)) || fail "a killed run left no event file: the kills did not land mid-event"
"$homeboy" --config-dir "$config" storage read "$work/data/f1.txt" >/dev/null 2>&1 || true
"$homeboy" --config-dir "$config" storage list "$work/data" >/dev/null
remaining=$(compgen -G "$run/event.*" | wc -l || true)
((remaining == 0)) || fail "$remaining event files left in $run after the next command: $(ls "$run")"
echo "bash module: $seen kills mid-event, $after_kills event file(s) left by the last, 0 after the next command"

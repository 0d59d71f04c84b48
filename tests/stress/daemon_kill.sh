#!/usr/bin/env bash
# A daemon's death never fails the next command (docs/module-authoring.md, "When it goes
# wrong"): the sqlite-storage daemon is killed with SIGKILL, round after round, and a command
# is run at once, while the dead daemon may still be on its way out. Every command must
# succeed on a fresh daemon and the data must be intact. The rounds alternate what is killed
# (the module, or its supervisor) and what runs next (a read, a write, a listing, a config
# change); every fourth round kills the daemon while a read is in flight instead, which must
# succeed too (a read is sent again to a fresh daemon).
# usage: daemon_kill.sh <homeboy> <scratch dir> <rounds> <max seconds>
# It stops early at the time limit (a sanitizer build on a busy machine is slow), and fails
# then only when fewer than 16 rounds (four of each kind) ran: it checks outcomes, not speed.
set -euo pipefail
homeboy=$1 work=$2 rounds=$3 budget=$4
source_modules=$(cd "$(dirname "$0")/../../modules" && pwd)
rm -rf "$work"
mkdir -p "$work/runtime" "$work/config"
chmod 700 "$work/runtime"
export HOMEBOY_CONFIG_DIR=$work/config XDG_RUNTIME_DIR=$work/runtime HOMEBOY_MODULE_PATH= HOMEBOY_STORAGE_TRANSPORT=
hb() { "$homeboy" "$@"; }
fail() { echo "daemon kill test: $*" >&2; exit 1; }
trap 'hb module stop --all >/dev/null 2>&1 || true' EXIT

hb module install "$source_modules/sqlite-storage" --activate --no-check >/dev/null || fail "cannot install sqlite-storage"
hb storage ensure-dir /k >/dev/null
hb storage write /k/kept --content "kept" >/dev/null
[[ $(hb storage status | jq -r .data.provider.transport) == daemon ]] || fail "sqlite-storage does not run as a daemon"

# The recorded daemon's pids, "<module> <supervisor>"; nothing when none is recorded.
pids() { cat "$work"/runtime/homeboy/sqlite-storage-*.json 2>/dev/null | jq -r '"\(.pid) \(.supervisor_pid)"' || true; }
# Runs a command; a failure is counted and shown, not fatal: the count is what is tested.
failures=0
run() {
  local out
  if ! out=$(hb "$@" 2>&1); then
    failures=$((failures + 1))
    echo "round $round: homeboy $* failed:" >&2
    tr -s ' \n' ' ' <<<"$out" | head -c 600 >&2
    echo >&2
  fi
}

started=$SECONDS ran=0
for ((round = 1; round <= rounds; round++)); do
  read -r pid supervisor <<<"$(pids)"
  if ! [[ $pid =~ ^[0-9]+$ ]]; then  # a failed command removed the daemon's files: start one
    run storage read --raw /k/kept
    read -r pid supervisor <<<"$(pids)"
    [[ $pid =~ ^[0-9]+$ ]] || fail "round $round: no daemon is recorded, and a read did not start one"
  fi
  victim=$pid
  ((round % 2)) || victim=$supervisor
  if ((round % 4 == 0)); then
    # Killed while the read is in flight: before it connects, while it waits, or mid-answer.
    "$homeboy" storage read --raw /k/kept >"$work/out" 2>"$work/err" &
    reader=$!
    sleep "0.00$((RANDOM % 10))"
    kill -KILL "$victim" 2>/dev/null || true
    if ! wait "$reader"; then
      failures=$((failures + 1))
      echo "round $round: a read during the kill failed: $(cat "$work/out" "$work/err" | tr -s " \n" " " | head -c 600)" >&2
    elif [[ $(cat "$work/out") != kept ]]; then
      failures=$((failures + 1))
      echo "round $round: a read during the kill answered: $(cat "$work/out")" >&2
    fi
  else
    kill -KILL "$victim" 2>/dev/null || true  # (a read of the last round may have been served by one that is dead)
    case $((round % 4)) in
      1) run storage read --raw /k/kept ;;
      2) run storage write "/k/round-$round" --content "$round" ;;
      3) if ((round % 8 == 3)); then run storage list /k; else run server create "web-$round" --json "{\"host\": \"h$round\"}"; fi ;;
    esac
  fi
  ran=$round
  ((SECONDS - started <= budget)) || break
done
((ran >= 16 || ran == rounds)) || fail "only $ran of $rounds rounds in $budget s (at least 16 are needed)"

# Nothing acknowledged was lost.
[[ $(hb storage read --raw /k/kept) == kept ]] || fail "/k/kept changed"
for ((round = 2; round <= ran; round += 4)); do
  [[ $(hb storage read --raw "/k/round-$round" 2>/dev/null) == "$round" ]] || fail "the write of round $round is missing"
done
echo "daemon kill test: $ran of $rounds kills in $((SECONDS - started)) s, $failures failed commands"
((failures == 0)) || fail "$failures of $ran commands after a kill failed"

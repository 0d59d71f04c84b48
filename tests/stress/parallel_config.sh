#!/usr/bin/env bash
# Parallel homeboy commands on one config must lose nothing (issue "Nothing lost"):
#   - 20 `server set s1 '{"kN": N}'` at once, distinct keys: all 20 keys remain;
#   - 8 `project create same-id` at once, for several rounds: exactly one succeeds, the
#     other 7 fail with project.already_exists.
# usage: parallel_config.sh <homeboy> <scratch dir> [module folder to install as the provider]
# HOMEBOY_STORAGE_TRANSPORT is passed through (subprocess: the bash builtin-filesystem module).
set -euo pipefail
homeboy=$1 work=$2 provider=${3:-}
rounds=${ROUNDS:-5}
rm -rf "$work"
mkdir -p "$work"
config=$work/config
export HOMEBOY_MODULE_PATH=
hb() { "$homeboy" --config-dir "$config" "$@"; }
fail() { echo "parallel config: $*" >&2; exit 1; }

if [[ -n $provider ]]; then hb module install "$provider" >/dev/null || fail "cannot install $provider"; fi
status=$(hb storage status)
echo "parallel config on $(jq -r '.data.provider.module_id + "/" + .data.provider.transport + " (" + .data.provider.concurrency + ")"' <<<"$status")"

hb server create s1 --json '{"host": "s1.example.com"}' >/dev/null || fail "cannot create s1"
pids=()
for n in $(seq 1 20); do
  hb server set s1 "{\"k$n\": $n}" >"$work/set.$n.out" 2>&1 &
  pids+=($!)
done
for i in "${!pids[@]}"; do
  wait "${pids[i]}" || fail "server set #$((i + 1)) failed: $(cat "$work/set.$((i + 1)).out")"
done
kept=$(hb server show s1 | jq '[.data.server | keys[] | select(startswith("k"))] | length')
[[ $kept == 20 ]] || fail "20 parallel sets with distinct keys kept $kept keys: $(hb server show s1)"
echo "20 parallel server set: 20 of 20 keys kept"

for round in $(seq 1 "$rounds"); do
  pids=()
  for n in $(seq 1 8); do
    hb project create "same-$round" --json "{\"name\": \"writer $n\"}" >"$work/create.$n.out" 2>&1 &
    pids+=($!)
  done
  ok=0 exists=0
  for i in "${!pids[@]}"; do
    if wait "${pids[i]}"; then
      ok=$((ok + 1))
    elif [[ $(jq -r '.error.code' "$work/create.$((i + 1)).out" 2>/dev/null) == project.already_exists ]]; then
      exists=$((exists + 1))
    else
      fail "create #$((i + 1)) of round $round failed unexpectedly: $(cat "$work/create.$((i + 1)).out")"
    fi
  done
  [[ $ok == 1 && $exists == 7 ]] || fail "round $round: $ok successes and $exists already_exists (want 1 and 7)"
done
echo "8 parallel project create of one id, $rounds rounds: 1 success and 7 already_exists each time"
rm -rf "$work"

#!/usr/bin/env bash
# Parallel homeboy commands on one config must lose nothing (issue "Nothing lost"):
#   - 20 `server set s1 '{"kN": N}'` at once, distinct keys: all 20 keys remain;
#   - 8 `project create same-id` at once, for several rounds: exactly one succeeds, the
#     other 7 fail with project.already_exists;
#   - renames and deletes racing on the same projects (a project renamed and another
#     deleted, the server renamed twice, the component renamed): no project is left naming
#     a server or component that does not exist, a rename that failed changed nothing, and
#     each failure is the documented one (exit 2 or 4);
#   - 6 `server create --json '[...]' --skip-existing` at once, with overlapping ids: all
#     succeed and every id is created by exactly one of them.
# usage: parallel_config.sh <homeboy> <scratch dir> [module folder to install as the provider]
# HOMEBOY_STORAGE_TRANSPORT is passed through (subprocess: the bash builtin-filesystem module).
set -euo pipefail
homeboy=$1 work=$2 provider=${3:-}
rounds=${ROUNDS:-5}
race_rounds=${RACE_ROUNDS:-$((rounds * 2))}  # the rename race needs more rounds to show a fault
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

exists() { hb "$1" show "$2" >/dev/null 2>&1; }
for round in $(seq 1 "$race_rounds"); do
  s=srv-$round c=cmp-$round
  hb server create "$s" >/dev/null && hb component create "$c" >/dev/null || fail "cannot create $s and $c"
  for j in 0 1 2; do
    hb project create "p$round-$j" --json "{\"server_id\": \"$s\", \"component_ids\": [\"$c\"]}" >/dev/null ||
      fail "cannot create project p$round-$j"
  done
  commands=("project rename p$round-1 P$round-1" "project delete p$round-0" "server rename $s S$round"
            "server rename $s T$round" "component rename $c C$round")
  pids=()
  for i in "${!commands[@]}"; do
    read -ra words <<<"${commands[i]}"
    hb "${words[@]}" >"$work/race.$i.out" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    status=0
    wait "${pids[i]}" || status=$?
    read -ra words <<<"${commands[i]}"
    case $status in
      0) ;;
      2|4) if [[ ${words[1]} == rename ]] && exists "${words[0]}" "${words[3]}"; then
             fail "round $round: '${commands[i]}' failed (exit $status) yet ${words[3]} exists: $(cat "$work/race.$i.out")"
           fi ;;
      *) fail "round $round: '${commands[i]}' exited $status: $(cat "$work/race.$i.out")" ;;
    esac
  done
  renamed=0
  exists server "S$round" && renamed=$((renamed + 1))
  exists server "T$round" && renamed=$((renamed + 1))
  [[ $renamed == 1 ]] || fail "round $round: $renamed of the two racing renames of $s took effect (want 1)"
  for project in "p$round-0" "p$round-1" "P$round-1" "p$round-2"; do
    doc=$(hb project show "$project" 2>/dev/null) || continue
    server=$(jq -r '.data.project.server_id' <<<"$doc")
    component=$(jq -r '.data.project.component_ids[0]' <<<"$doc")
    exists server "$server" || fail "round $round: project $project names server $server, which does not exist"
    exists component "$component" || fail "round $round: project $project names component $component, which does not exist"
  done
  if exists project "p$round-1" && exists project "P$round-1"; then fail "round $round: the renamed project is there twice"; fi
done
echo "renames and deletes racing on the same projects, $race_rounds rounds: no reference to a missing id, no failed rename applied"

for round in $(seq 1 "$rounds"); do
  pids=()
  for k in $(seq 0 5); do
    items=$(for j in $(seq 0 9); do printf '{"id": "bulk%s-%s", "by": %s}\n' "$round" $(((k * 3 + j) % 20)) "$k"; done | jq -s -c .)
    hb server create --json "$items" --skip-existing >"$work/bulk.$k.out" 2>&1 &
    pids+=($!)
  done
  for k in "${!pids[@]}"; do
    wait "${pids[k]}" || fail "round $round: bulk create #$k failed: $(cat "$work/bulk.$k.out")"
  done
  made=$(cat "$work"/bulk.*.out | jq -r '.data.created[]' | sort)
  [[ $(uniq -d <<<"$made") == "" ]] || fail "round $round: ids created twice: $(uniq -d <<<"$made" | tr '\n' ' ')"
  listed=$(hb server list | jq -r --arg p "bulk$round-" '.data.servers[].id | select(startswith($p))' | sort)
  [[ $made == "$listed" ]] || fail "round $round: created ($(echo $made)) is not what is there ($(echo $listed))"
  [[ $(wc -l <<<"$listed") == 20 ]] || fail "round $round: $(wc -l <<<"$listed") of 20 ids exist"
done
echo "6 parallel bulk creates with --skip-existing, $rounds rounds: every id created exactly once, none failed"
rm -rf "$work"

#!/usr/bin/env bash
# A PostgreSQL restart in the middle of a run. Two writers run through the CLI while the
# server stops (fast mode: open sessions are cut off) and starts again: single writes, one
# process each, and batches of 300 writes, each one transaction. The server stays down until
# a write has failed, and the run goes on until writes succeed again, however slow the
# machine (sanitizer builds are). Checks:
#   - every failure is clear: a single write fails with storage.unavailable naming host and
#     port; a failed batch's results say unavailable, or aborted (rolled back with it);
#   - operations after the restart succeed;
#   - nothing reported written is lost, and a batch is applied whole or not at all.
# usage: restart_during_writes.sh <homeboy> <scratch dir> <postgres module folder> <cluster.sh>
# (run under `cluster.sh run`, which sets HOMEBOY_PG_STATE)
set -euo pipefail
homeboy=$1 work=$2 module=$3 cluster=$4
rm -rf "$work"
mkdir -p "$work/config" "$work/out"
export HOMEBOY_MODULE_PATH=
config=$work/config
root=/restart-during-writes  # a path in the database only
batch_size=300

fail() { echo "restart during writes: $*" >&2; exit 1; }
hb() { timeout 60 "$homeboy" --config-dir "$config" "$@"; }

hb module install "$module" >/dev/null
hb storage ensure-dir "$root/single" >/dev/null

single_writer() {
  local i=0 rc
  while [[ ! -e $work/stop ]]; do
    i=$((i + 1))
    rc=0
    hb storage write "$root/single/f$i" --content "value $i" >"$work/out/single-$i.json" 2>"$work/out/single-$i.err" || rc=$?
    echo "$i $rc" >>"$work/single.log"
  done
}
batch_writer() {
  local i=0 rc
  while [[ ! -e $work/stop ]]; do
    i=$((i + 1))
    jq -n --arg dir "$root/batch-$i" --argjson n "$batch_size" \
      '[{operation: "ensure_dir", path: $dir}] + [range($n) | {operation: "write", path: "\($dir)/f\(.)", content: "batch"}]' \
      >"$work/batch-$i.json"
    rc=0
    hb storage batch --file "$work/batch-$i.json" >"$work/out/batch-$i.json" 2>"$work/out/batch-$i.err" || rc=$?
    echo "$i $rc" >>"$work/batch.log"
  done
}

lines() { if [[ -f $1 ]]; then awk "$2" "$1" | wc -l; else echo 0; fi; }
wait_until() {  # wait_until SECONDS WHAT CONDITION...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || fail "gave up after $((SECONDS - deadline + $1)) s waiting for $what"
    sleep 0.1
  done
}
writes_done() { (($(lines "$work/single.log" '$2 == 0') >= 3 && $(lines "$work/batch.log" '$2 == 0') >= 1)); }
write_failed() { (($(lines "$work/single.log" '$2 != 0') >= 1)); }
writes_again() { (($(lines "$work/single.log" "\$1 > $restarted && \$2 == 0") >= 3)); }

single_writer &
writers=("$!")
batch_writer &
writers+=("$!")
trap 'touch "$work/stop"; wait' EXIT
wait_until 120 "writes before the restart" writes_done
bash "$cluster" down "$HOMEBOY_PG_STATE"
wait_until 60 "a write to fail while the server is down" write_failed
bash "$cluster" up "$HOMEBOY_PG_STATE"
restarted=$(lines "$work/single.log" 1)
wait_until 120 "writes after the restart" writes_again
touch "$work/stop"
wait "${writers[@]}"
trap - EXIT

failures=0
while read -r i rc; do
  [[ $rc == 0 ]] && continue
  failures=$((failures + 1))
  jq -e '.error.code == "storage.unavailable" and (.error.message | test("host .* port [0-9]+"))' \
    "$work/out/single-$i.json" >/dev/null ||
    fail "single write $i failed unclearly: $(cat "$work/out/single-$i.json" "$work/out/single-$i.err")"
done <"$work/single.log"
while read -r i rc; do
  [[ $rc == 0 ]] && continue
  failures=$((failures + 1))
  # The operation the server went away under says unavailable; the others of its transaction
  # were rolled back with it (aborted), or never reached the server (unavailable).
  jq -e '.error.code == "storage.batch_failed" and
         ([.error.details.results[] | select(.success | not) | .error_code] as $codes
          | ($codes - ["unavailable", "conflict", "aborted"] | length == 0) and ($codes | index("unavailable") != null))' \
    "$work/out/batch-$i.json" >/dev/null ||
    fail "batch $i failed unclearly: $(head -c 2000 "$work/out/batch-$i.json") $(cat "$work/out/batch-$i.err")"
done <"$work/batch.log"
((failures > 0)) || fail "no operation was in flight during the restart (the test proves nothing); writes: $(wc -l <"$work/single.log")"
last_failure=$(awk '$2 != 0 {last = $1} END {print last + 0}' "$work/single.log")
successes_after=$(awk -v f="$last_failure" '$2 == 0 && $1 > f' "$work/single.log" | wc -l)
((successes_after >= 3)) || fail "operations after the restart did not succeed ($successes_after single writes after the last failure)"

# Nothing reported written is lost: every successful single write reads back.
awk -v root="$root" 'BEGIN {printf "["} $2 == 0 {printf "%s{\"operation\":\"read\",\"path\":\"%s/single/f%s\"}", (n++ ? "," : ""), root, $1} END {print "]"}' \
  "$work/single.log" >"$work/reads.json"
out=$(hb storage batch --file "$work/reads.json") || fail "a write reported as done is missing: $(head -c 2000 <<<"$out")"
jq -e '[.data.results[] | .data == "value \(.path | ltrimstr("'"$root"'/single/f"))"] | all' >/dev/null <<<"$out" ||
  fail "a write reported as done reads back wrong: $(head -c 2000 <<<"$out")"

# A batch is all or nothing: a successful one has every file, a failed one all or none.
while read -r i rc; do
  count=$(hb storage list "$root/batch-$i" | jq '.data.entries | length')
  if [[ $rc == 0 ]]; then
    [[ $count == "$batch_size" ]] || fail "batch $i succeeded but $count of $batch_size files are there"
  else
    [[ $count == 0 || $count == "$batch_size" ]] || fail "batch $i failed and left $count of $batch_size files behind"
  fi
done <"$work/batch.log"
echo "restart during writes: $failures operations failed clearly during the restart," \
  "$(wc -l <"$work/single.log") single writes and $(wc -l <"$work/batch.log") batches, nothing lost"

#!/usr/bin/env bash
# Failover under a write loop (docs/backends/postgres.md, "A primary and a standby"). A primary
# and a streaming standby that every commit waits for (synchronous replication), and homeboy
# pointed at both with one conninfo, over TCP, the password in a password file:
#   host=127.0.0.1,127.0.0.1 port=P,S target_session_attrs=read-write
# One `storage write` command after another, each writing a file of its own. The primary is
# stopped as a crash stops it (immediate mode), then the standby is promoted. Checks:
#   - every write reported successful is on the new primary, with its content;
#   - no write reported failed was applied, except one whose message says the change may or
#     may not have been applied (the connection broke after it was sent): those are counted;
#   - every failure is storage.unavailable with "retryable": true, and a failure to connect
#     names both servers;
#   - writes succeed again on their own once the standby is promoted.
# Bounded: 40 writes before the crash, at most 60 s for each step, 40 writes after, at most
# 2,000 writes in all.
# usage: failover.sh <homeboy> <scratch dir> <postgres module folder> <cluster.sh>
set -euo pipefail
homeboy=$1 work=$2 module=$3 cluster=$4
rm -rf "$work"
mkdir -p "$work/config" "$work/out" "$work/run"
chmod 700 "$work/run"
# Nothing of the caller's: the servers are named in the conninfo, the password is in a file.
unset PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGSERVICEFILE PGSSLMODE PGOPTIONS PGHOSTADDR
export HOMEBOY_MODULE_PATH= XDG_RUNTIME_DIR=$work/run PGPASSFILE=$work/pgpass
config=$work/config primary=$work/primary standby=$work/standby
password=${HOMEBOY_PG_TEST_PASSWORD:-homeboy-test-secret}
before=40 after=40 most=2000

fail() { echo "failover: $*" >&2; exit 1; }
hb() { timeout 60 "$homeboy" --config-dir "$config" "$@"; }
cleanup() {
  touch "$work/stop"
  wait || true
  hb module stop postgres >/dev/null 2>&1 || true
  bash "$cluster" stop "$standby" || true
  bash "$cluster" stop "$primary" || true
}
trap cleanup EXIT

SECONDS=0
bash "$cluster" start "$primary"
bash "$cluster" run "$primary" failover -- true  # creates the database, owned by the client role
bash "$cluster" standby "$standby" "$primary"
port_of() { (source "$1/env" && echo "$port"); }
primary_port=$(port_of "$primary") standby_port=$(port_of "$standby")

umask 077
echo "127.0.0.1:*:failover:homeboy:$password" >"$PGPASSFILE"
conninfo="host=127.0.0.1,127.0.0.1 port=$primary_port,$standby_port dbname=failover user=homeboy"
conninfo+=" target_session_attrs=read-write connect_timeout=5"
hb module install "$module" --no-check >/dev/null
manifest=$config/modules/postgres/postgres.json
jq --arg conninfo "$conninfo" '.storage_provider.config = {conninfo: $conninfo, namespace: "failover"}' \
  "$manifest" >"$manifest.new"
mv "$manifest.new" "$manifest"
echo '{"storage": "postgres"}' >"$config/homeboy.json"
hb storage status >/dev/null || fail "storage status fails with both servers up: $(hb storage status 2>&1)"
hb storage ensure-dir /failover >/dev/null
echo "failover: two servers and a config folder ready in $SECONDS s"

writer() {
  local i=0 rc
  while [[ ! -e $work/stop ]] && ((i < most)); do
    i=$((i + 1))
    rc=0
    hb storage write "/failover/w$i" --content "value $i" --compact >"$work/out/$i.json" 2>"$work/out/$i.err" || rc=$?
    echo "$i $rc" >>"$work/writes.log"
  done
}
count() { if [[ -f $work/writes.log ]]; then awk "$1" "$work/writes.log" | wc -l; else echo 0; fi; }
wait_until() {  # wait_until SECONDS WHAT CONDITION...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || fail "gave up after $1 s waiting for $what"
    [[ -e $work/writer-done ]] && fail "the writer stopped (at $most writes) before $what"
    sleep 0.05
  done
}
succeeded_since() { (($(count "\$1 > $1 && \$2 == 0") >= $2)); }
failed_since() { (($(count "\$1 > $1 && \$2 != 0") >= $2)); }

step() { echo "failover: $1 at $((SECONDS - started)) s"; }
started=$SECONDS
(writer; touch "$work/writer-done") &
wait_until 60 "$before writes on the primary" succeeded_since 0 "$before"
step "$before writes done; the primary crashes"
bash "$cluster" crash "$primary"
crashed=$(count 1)
wait_until 60 "writes to fail without a primary" failed_since "$crashed" 3
step "writes fail; the standby is promoted"
bash "$cluster" promote "$standby"
promoted=$(count 1)
wait_until 60 "$after writes on the promoted standby" succeeded_since "$promoted" "$after"
step "$after writes done on the new primary"
touch "$work/stop"
wait

# What the new primary holds: "<path> <content>" per file.
declare -A stored
while read -r path content; do
  stored[$path]=$content
done < <(bash "$cluster" psql "$standby" failover -tA -F ' ' -c \
  "SELECT convert_from(path, 'UTF8'), convert_from(content, 'UTF8') FROM homeboy.entries
   WHERE namespace = 'failover' AND NOT is_directory")

ok=0 failed=0 uncertain=0 uncertain_applied=0 named_both=0
while read -r i rc; do
  key="/failover/w$i"
  if [[ $rc == 0 ]]; then
    ok=$((ok + 1))
    [[ ${stored[$key]:-} == "value $i" ]] || fail "write $i was reported successful but the new primary has '${stored[$key]:-nothing}'"
    continue
  fi
  failed=$((failed + 1))
  answer=$work/out/$i.json
  code=$(jq -r '.error.code' "$answer" 2>/dev/null) || fail "write $i failed (exit $rc) without an envelope: $(cat "$work/out/$i.err")"
  [[ $code == storage.unavailable ]] || fail "write $i failed with $code, not storage.unavailable: $(cat "$answer")"
  [[ $(jq -r '.error.retryable' "$answer") == true ]] || fail "write $i: the envelope does not say it is retryable"
  message=$(jq -r '.error.message' "$answer")
  if [[ $message == *"cannot connect"* && $message == *"port $primary_port"* && $message == *"port $standby_port"* ]]; then
    named_both=$((named_both + 1))
  fi
  if [[ $message == *"may or may not have been applied"* ]]; then
    uncertain=$((uncertain + 1))
    [[ -n ${stored[$key]:-} ]] && uncertain_applied=$((uncertain_applied + 1))
    continue
  fi
  [[ -z ${stored[$key]:-} ]] || fail "write $i was reported failed ($message) but the new primary has it"
done <"$work/writes.log"
((named_both > 0)) || fail "no failure to connect named both servers (ports $primary_port and $standby_port)"
echo "failover: $((ok + failed)) writes: $ok succeeded ($(count "\$1 <= $crashed && \$2 == 0") before the crash," \
  "$(count "\$1 > $promoted && \$2 == 0") after the promotion), $failed failed cleanly as storage.unavailable" \
  "($named_both naming both servers; $uncertain cut off after they were sent, $uncertain_applied of them applied)"

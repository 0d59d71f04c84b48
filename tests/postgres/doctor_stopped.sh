#!/usr/bin/env bash
# `homeboy doctor` with a PostgreSQL that stops and starts again: healthy (exit 0) while it
# runs; exit 1 naming the host and port it tried while it is down, and nothing else claimed;
# healthy again once it is back.
# usage: doctor_stopped.sh <homeboy> <scratch dir> <postgres module folder> <cluster.sh>
# (run under `cluster.sh run`, which sets PG* and HOMEBOY_PG_STATE)
set -euo pipefail
trap 'echo "$(basename "$0"): line $LINENO failed: $BASH_COMMAND" >&2' ERR
homeboy=$1 work=$2 module=$3 cluster=$4
rm -rf "$work"
mkdir -p "$work/config"
export HOMEBOY_MODULE_PATH=
fail() { echo "doctor with a stopped server: $*" >&2; exit 1; }
hb() { timeout 60 "$homeboy" --config-dir "$work/config" "$@"; }

hb module install "$module" --no-check --activate >/dev/null
hb server create doctor-check >/dev/null 2>&1 || true   # the namespace may hold it from an earlier run
out=$(hb doctor) || fail "doctor on a running server: $out"
jq -e '.data.reachable and .data.provider.module_id == "postgres"' >/dev/null <<<"$out" || fail "doctor: $out"

bash "$cluster" down "$HOMEBOY_PG_STATE"
trap 'bash "$cluster" up "$HOMEBOY_PG_STATE" >/dev/null 2>&1 || true' EXIT
rc=0
out=$(hb doctor) || rc=$?
[[ $rc == 1 ]] || fail "doctor on a stopped server exited $rc: $out"
jq -e --arg port "$PGPORT" '.error.code == "storage.unavailable" and .error.details.reachable == false and
  (.error.message | contains("port " + $port))' >/dev/null <<<"$out" || fail "doctor does not name the port: $out"
jq -e '.error.message | test("host ")' >/dev/null <<<"$out" || fail "doctor does not name the host: $out"
text=$(hb -o text doctor 2>&1) && fail "doctor -o text exited 0 on a stopped server"
grep -q "does not answer" <<<"$text" || fail "doctor -o text: $text"

bash "$cluster" up "$HOMEBOY_PG_STATE"
trap - EXIT
out=$(hb doctor) || fail "doctor once the server is back: $out"
echo "doctor with a stopped server: named $(jq -r .data.provider.module_id <<<"$out") and its port while down, healthy after"

#!/usr/bin/env bash
# Every hint that names a command is run as written, and does what it says: the hints of a
# rename onto an existing id, an id used by another kind, an id of another kind asked for,
# a server or component still in use, an array set that united to nothing, a mistyped
# command and a bulk create's mistyped reference.
# usage: hints.sh <homeboy> <scratch dir>
set -euo pipefail
trap 'echo "$(basename "$0"): line $LINENO failed: $BASH_COMMAND" >&2' ERR
homeboy=$1 work=$2
rm -rf "$work"
mkdir -p "$work/bin"
ln -s "$homeboy" "$work/bin/homeboy"
export PATH="$work/bin:$PATH" HOMEBOY_MODULE_PATH= HOMEBOY_CONFIG_DIR="$work/config"

fail() { echo "hints: $*" >&2; exit 1; }
# run_hint JQ_FILTER -- homeboy args...: the command fails, and its hint (the first that jq's
# filter picks from .error.hints[].message, or from the warnings) is a command, which is run
# as written and must succeed.
run_hint() {
  local filter=$1 out hint command rc=0
  shift 2
  out=$(homeboy "$@" 2>"$work/stderr") || rc=$?
  hint=$(jq -r "$filter" <<<"$out" | head -n 1)
  [[ -n $hint && $hint != null ]] || fail "homeboy $* (exit $rc) gave no such hint: $out $(cat "$work/stderr")"
  command=homeboy${hint#*homeboy}
  command=${command%%\`*}
  echo "hint of 'homeboy $*': $command" >&2
  bash -c "$command" >"$work/hint.out" 2>&1 || fail "the hint '$command' failed: $(cat "$work/hint.out")"
}

homeboy server create web >/dev/null
homeboy server create web2 >/dev/null
homeboy component create cache >/dev/null
homeboy component create api >/dev/null
homeboy project create site --json '{"server_id": "web", "component_ids": ["api"]}' >/dev/null

# Renaming onto an existing id: the ids taken.
run_hint '.error.hints[].message | select(contains("list"))' -- server rename web2 web
grep -q '"web2"' "$work/hint.out" || fail "the list of ids taken does not show them: $(cat "$work/hint.out")"

# An id another kind uses: the hint shows who has it.
run_hint '.error.hints[].message | select(contains("show"))' -- component create web

# An id of another kind asked for: the hint shows it where it is.
run_hint '.error.hints[].message | select(contains("is a component"))' -- server show cache

# Still in use: each project's command frees it, then the delete goes through.
run_hint '.error.hints[].message | select(contains("project set"))' -- server delete web
homeboy server delete web >/dev/null || fail "server web is still in use after its hint ran"
run_hint '.error.hints[].message | select(contains("project set"))' -- component delete api
homeboy component delete api >/dev/null || fail "component api is still in use after its hint ran"

# An array set that united to nothing: the warning gives the --replace that does it.
homeboy server create tagged --json '{"tags": ["a", "b"]}' >/dev/null
run_hint '.data.warnings[]' -- server set tagged '{"tags": ["a"]}'
[[ $(homeboy server show tagged | jq -c .data.server.tags) == '["a"]' ]] || fail "--replace from the hint did not replace"

# A mistyped command (`get` is `show`) and a bulk create's mistyped reference: did-you-mean.
out=$(homeboy server get tagged 2>&1) && fail "server get ran"
[[ $(jq -r '.error.hints[0].message' <<<"$out") == "Did you mean 'show'?" ]] || fail "server get: $out"
homeboy server show tagged >/dev/null
out=$(homeboy project create --json '[{"id": "p1", "server_id": "taged"}, {"id": "p2"}]' 2>&1) && fail "the bulk create passed"
jq -e '.error.hints[0].message == "'"'"'p1'"'"': Did you mean '"'"'tagged'"'"'?" and
       .error.details.items[0].error.hints[0].message == "Did you mean '"'"'tagged'"'"'?"' >/dev/null <<<"$out" ||
  fail "bulk create: $out"
homeboy project create --json '[{"id": "p1", "server_id": "tagged"}]' >/dev/null

# Every bad reference of one command is reported.
out=$(homeboy project create p3 --json '{"server_id": "nope", "component_ids": ["gone", "cache"]}' 2>&1) && fail "p3 created"
jq -e '(.error.details.missing | map(.id)) == ["nope", "gone"] and (.error.message | contains("and 1 more"))' >/dev/null <<<"$out" ||
  fail "not every bad reference is named: $out"
echo "hints: every hint ran as written"

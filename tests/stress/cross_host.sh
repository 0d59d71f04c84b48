#!/usr/bin/env bash
# Three hosts of a team sharing one database: three config folders on one provider, each
# round racing `server rename S SA` (host A), `server delete S` (host B) and
# `project create Q --json '{"server_id": "S"}'` (host C). After each round: no project names
# a server that does not exist, no command that reported failure was applied (nor one that
# reported success left out), and no id names documents of two kinds.
# usage: cross_host.sh <homeboy> <scratch dir> <module folder> [rounds]
#   postgres: PG* in the environment name the database (tests/postgres/cluster.sh run ...)
#   sqlite-storage: the three folders share one database file in the scratch dir
set -euo pipefail
trap 'echo "$(basename "$0"): line $LINENO failed: $BASH_COMMAND" >&2' ERR
homeboy=$1 work=$2 module=$3 rounds=${4:-100}
id=$(basename "$module")
rm -rf "$work"
mkdir -p "$work"
export HOMEBOY_MODULE_PATH= HOMEBOY_QUIET=1
deadline=$((SECONDS + 240))
namespace=cross-host-$(date +%s)-$$

fail() { echo "cross host on $id: $*" >&2; exit 1; }
hb() { local host=$1; shift; "$homeboy" --config-dir "$work/$host" "$@"; }

for host in a b c; do
  mkdir -p "$work/$host"
  hb "$host" module install "$module" --no-check --activate >"$work/install.out" || fail "install: $(cat "$work/install.out")"
  manifest=$work/$host/modules/$id/$id.json
  # One database for the three: sqlite-storage's file, or a namespace of this run's own.
  jq --arg db "$work/shared.db" --arg ns "$namespace" \
    'if .storage_provider.storage_type == "sqlite" then .storage_provider.config.database_path = $db
     else .storage_provider.config.namespace = $ns end' "$manifest" >"$manifest.new"
  mv "$manifest.new" "$manifest"
  chmod 600 "$manifest"
done
scope=$(hb a storage status | jq -r .data.provider.concurrency_scope)
[[ $scope == every_host ]] || fail "storage status says the rules hold for '$scope', not every host"
hb a server create shared-check >/dev/null
hb c server show shared-check >/dev/null || fail "the three config folders do not share one config"
hb b server delete shared-check >/dev/null

dangling=0 lied=0 two_kinds=0 done_rounds=0
declare -A won=([rename]=0 [delete]=0 [create]=0)
# race NAME HOST ARGS...: runs one command of the race, its exit code into NAME.rc.
race() {
  local name=$1 host=$2 rc=0
  shift 2
  hb "$host" "$@" >"$work/$name.out" 2>&1 || rc=$?
  echo "$rc" >"$work/$name.rc"
}
outcome() { [[ $1 == 0 ]] && echo ok || echo failed; }
exists() { hb a "$1" show "$2" >/dev/null 2>&1 && echo yes || echo no; }
for ((r = 0; r < rounds && SECONDS < deadline; r++)); do
  s=s$r sa=sa$r q=q$r
  hb a server create "$s" >/dev/null
  rm -f "$work"/*.rc
  race rename a server rename "$s" "$sa" &
  race delete b server delete "$s" &
  race create c project create "$q" --json "{\"server_id\": \"$s\"}" &
  wait
  renamed=$(outcome "$(cat "$work/rename.rc")") deleted=$(outcome "$(cat "$work/delete.rc")")
  created=$(outcome "$(cat "$work/create.rc")")
  for name in rename delete create; do [[ $(cat "$work/$name.rc") == 0 ]] && won[$name]=$((won[$name] + 1)); done
  has_s=$(exists server "$s") has_sa=$(exists server "$sa") has_q=$(exists project "$q")
  # What each command said against what is there.
  bad=""
  [[ $created == ok && $has_q == no ]] && bad+=" create said ok, no project;"
  [[ $created == failed && $has_q == yes ]] && bad+=" create said failed, the project is there;"
  [[ $renamed == ok && $has_sa == no ]] && bad+=" rename said ok, no $sa;"
  [[ $renamed == failed && $has_sa == yes ]] && bad+=" rename said failed, $sa is there;"
  [[ $deleted == ok && ($has_s == yes || $has_sa == yes) ]] && bad+=" delete said ok, the server is there;"
  [[ $deleted == failed && $renamed == failed && $has_s == no ]] && bad+=" delete said failed, the server is gone;"
  if [[ -n $bad ]]; then
    lied=$((lied + 1))
    echo "round $r:$bad (rename $renamed, delete $deleted, create $created)" >&2
    [[ -z ${VERBOSE:-} ]] || jq -c . "$work"/{rename,delete,create}.out >&2
  fi
  if [[ $has_q == yes ]]; then
    server=$(hb a project show "$q" | jq -r .data.project.server_id)
    if [[ $(exists server "$server") == no ]]; then
      dangling=$((dangling + 1))
      echo "round $r: $q names server '$server', which does not exist" >&2
    fi
  fi
  done_rounds=$((done_rounds + 1))
done
# Every id of every kind once, across the whole config, read from another host.
ids=$(for kind in project server component; do hb b "$kind" list | jq -r ".data.${kind}s[].id"; done | sort)
two_kinds=$(uniq -d <<<"$ids" | grep -c . || true)
report=$(hb c doctor --compact || true)
problems=$(jq '(.data.problems // .error.details.problems // ["doctor failed"]) | length' <<<"$report")
echo "cross host on $id: $done_rounds rounds (succeeded: rename ${won[rename]}, delete ${won[delete]}, create ${won[create]});" \
  "dangling references $dangling, commands whose answer was not what happened $lied, ids in two kinds $two_kinds," \
  "doctor problems $problems"
((done_rounds >= rounds)) || fail "only $done_rounds of $rounds rounds ran within the time bound"
((dangling == 0 && lied == 0 && two_kinds == 0 && problems == 0)) || fail "the config's rules did not hold"

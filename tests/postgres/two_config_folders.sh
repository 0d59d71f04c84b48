#!/usr/bin/env bash
# Two homeboy config folders, as on two machines, with the postgres module and one conninfo
# (the PG* variables `cluster.sh run` sets): each sees the other's writes, and changes made
# from both at once lose nothing.
#   - 20 parallel `server set s1 '{"kN": N}'`, odd N from one folder, even N from the other:
#     all 20 keys are kept;
#   - 8 parallel `project create same-id`, half from each: exactly one is created, the
#     other 7 fail with project.already_exists.
# Both rely on the config store writing with compare-and-swap (read the version, write
# only while it still holds, retry on conflict; create only while absent).
#   - the module runs as a daemon per folder: the server sees two connections, the same two
#     from the first command to the last, the parallel ones included.
# usage: two_config_folders.sh <homeboy> <scratch dir> <postgres module folder>
set -euo pipefail
homeboy=$1 work=$2 module=$3
rm -rf "$work"
mkdir -p "$work"
export HOMEBOY_MODULE_PATH=
a=$work/machine-a/config b=$work/machine-b/homeboy-config

fail() { echo "two config folders: $*" >&2; exit 1; }
hb() { local config=$1; shift; timeout 60 "$homeboy" --config-dir "$config" "$@"; }
expect() {  # expect FOLDER JQ_CONDITION -- homeboy args...
  local config=$1 condition=$2 out
  shift 3
  out=$(hb "$config" "$@") || fail "homeboy $* (in $config) failed: $out"
  jq -e "$condition" >/dev/null <<<"$out" || fail "homeboy $* (in $config): expected $condition, got: $out"
}

for config in "$a" "$b"; do
  mkdir -p "$config"
  hb "$config" module install "$module" >/dev/null
done
printf '{"storage": "postgres"}\n' >"$a/homeboy.json"  # pinned on one machine; the only provider on the other
expect "$a" '.data.provider.module_id == "postgres" and .data.provider.selected_by == "config"' -- storage status
expect "$b" '.data.provider.module_id == "postgres" and .data.provider.transport == "daemon" and .data.reachable == true' -- storage status

# Each machine sees the other's writes.
expect "$a" '.data.created == ["s1"]' -- server create s1 --json '{"host": "s1.example.com"}'
expect "$b" '.data.server.host == "s1.example.com"' -- server show s1
expect "$b" '.data.server.port == 22' -- server set s1 '{"port": 22}'
expect "$a" '.data.server.port == 22' -- server show s1
# The backends serving this database: one per config folder, kept across commands.
backends() {
  psql -XAt -c "select string_agg(pid::text || '@' || extract(epoch from backend_start)::text, ' ' order by pid)
                from pg_stat_activity where datname = current_database() and application_name = 'homeboy'"
}
kept=$(backends)
(($(wc -w <<<"$kept") == 2)) || fail "expected one connection per config folder, the server has: ${kept:-none}"

# 20 parallel sets with distinct keys.
pids=()
for n in $(seq 1 20); do
  if ((n % 2)); then config=$a; else config=$b; fi
  hb "$config" server set s1 "{\"k$n\": $n}" >"$work/set-$n.json" 2>"$work/set-$n.err" &
  pids+=("$!")
done
for n in $(seq 1 20); do
  wait "${pids[$((n - 1))]}" || fail "server set s1 {\"k$n\": $n} failed: $(cat "$work/set-$n.json" "$work/set-$n.err")"
done
out=$(hb "$b" server show s1)
lost=$(jq -r '.data.server as $s | [range(1; 21) | select($s["k\(.)"] != .) | "k\(.)"] | join(" ")' <<<"$out")
[[ -z $lost ]] || fail "20 parallel sets from two folders lost updates ($lost missing): $(jq -c .data.server <<<"$out")" \
  "(does the config store write with compare-and-swap?)"

# 8 parallel creates of one id.
pids=()
for n in $(seq 1 8); do
  if ((n % 2)); then config=$a; else config=$b; fi
  hb "$config" project create same-id --json "{\"name\": \"attempt $n\"}" >"$work/create-$n.json" 2>"$work/create-$n.err" &
  pids+=("$!")
done
for pid in "${pids[@]}"; do wait "$pid" || true; done
created=0 refused=0
for n in $(seq 1 8); do
  if jq -e '.success' "$work/create-$n.json" >/dev/null 2>&1; then
    created=$((created + 1))
  elif jq -e '.error.code == "project.already_exists"' "$work/create-$n.json" >/dev/null 2>&1; then
    refused=$((refused + 1))
  fi
done
if ((created != 1 || refused != 7)); then
  for n in $(seq 1 8); do
    echo "create $n: $(jq -c '{success, code: .error.code}' "$work/create-$n.json" 2>/dev/null || cat "$work/create-$n.json") $(cat "$work/create-$n.err")" >&2
  done
  fail "8 parallel creates of one id: $created created and $refused project.already_exists, expected 1 and 7" \
    "(does the config store create only while absent?)"
fi
expect "$a" '.data.count == 1 and .data.projects[0].id == "same-id"' -- project list
[[ $(backends) == "$kept" ]] || fail "the daemons' connections were not kept across commands: $kept, then $(backends)"
echo "two config folders share one config: 20 parallel sets kept, 1 of 8 parallel creates won, 2 connections throughout"

#!/usr/bin/env bash
# How long `homeboy storage migrate` takes for 1,000 projects between each pair of shipped
# providers, and what the conformance check costs `homeboy module install` for each shipped
# provider. Prints tables (medians of ROUNDS runs); not a test.
# usage: tests/bench/migrate.sh [build dir] [rounds]
set -euo pipefail
build=${1:-build}
rounds=${2:-3}
src=$(cd "$(dirname "$0")/../.." && pwd)
homeboy=$(cd "$build" && pwd)/bin/homeboy
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOMEBOY_MODULE_PATH=

now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms() { awk -v ns="$1" 'BEGIN { printf "%.0f ms", ns / 1e6 }'; }

# A provider as the table names it: its module id, and the transport it is forced to.
module_of() { case $1 in native | script) echo builtin-filesystem ;; *) echo "$1" ;; esac; }
transport_of() { [[ $1 == script ]] && echo subprocess || echo auto; }

projects=$(jq -cn '[range(0; 1000) | {id: "project-\(.)", name: "Project \(.)", settings: {php: "8.2", hosts: ["a", "b"]}}]')

# migrate_once FROM TO: prints the nanoseconds `storage migrate` took, after checking its counts.
migrate_once() {
  local from=$1 to=$2 config=$work/config-$RANDOM$RANDOM out started
  local env=(env HOMEBOY_STORAGE_TRANSPORT="$(transport_of "$from")")
  [[ $from == script || $to == script ]] && env=(env HOMEBOY_STORAGE_TRANSPORT=subprocess)
  local hb=("${env[@]}" "$homeboy" --config-dir "$config")
  if [[ $(module_of "$from") != builtin-filesystem ]]; then
    "${hb[@]}" module install "$src/modules/$(module_of "$from")" --no-check --activate >/dev/null 2>&1
  fi
  "${hb[@]}" project create --json "$projects" >/dev/null
  if [[ $(module_of "$to") != builtin-filesystem ]]; then
    "${hb[@]}" module install "$src/modules/$(module_of "$to")" --no-check >/dev/null 2>&1
  fi
  started=$(now)
  out=$("${hb[@]}" storage migrate --to "$(module_of "$to")")
  echo $(($(now) - started))
  jq -e '.data.documents == 1000 and .data.failed == 0' >/dev/null <<<"$out" || { echo "bad migrate: $out" >&2; exit 1; }
  jq -r '"\(.data.copied) copied, \(.data.unchanged) unchanged"' <<<"$out" >"$work/counts"
  rm -rf "$config"
}

echo "storage migrate, 1,000 projects (median of $rounds)"
echo
echo "| from | to | time | documents |"
echo "|---|---|---|---|"
for pair in native:sqlite-storage sqlite-storage:native script:sqlite-storage sqlite-storage:script \
            sqlite-storage:filesystem-php filesystem-php:sqlite-storage native:filesystem-php; do
  from=${pair%%:*} to=${pair#*:}
  t=$(for _ in $(seq "$rounds"); do migrate_once "$from" "$to"; done | median)
  echo "| $from | $to | $(ms "$t") | $(cat "$work/counts") |"
done

# install_once MODULE_FOLDER TRANSPORT [--no-check]: nanoseconds for `module install`.
install_once() {
  local folder=$1 transport=$2 config=$work/install-$RANDOM$RANDOM started
  shift 2
  started=$(now)
  HOMEBOY_STORAGE_TRANSPORT=$transport "$homeboy" --config-dir "$config" module install "$folder" --id probe "$@" \
    >"$work/install.json" 2>/dev/null
  echo $(($(now) - started))
  jq -e '.data.check.failed // 0 == 0' >/dev/null <"$work/install.json" || { cat "$work/install.json" >&2; exit 1; }
  rm -rf "$config"
}

echo
echo "module install, with the conformance check and with --no-check (median of $rounds)"
echo
echo "| module | transport | install | install --no-check | the check |"
echo "|---|---|---|---|---|"
example=$build/tests/example-module/example-c
for row in "builtin-filesystem native $build/share/homeboy/modules/builtin-filesystem" \
           "builtin-filesystem subprocess $build/share/homeboy/modules/builtin-filesystem" \
           "filesystem-php auto $src/modules/filesystem-php" \
           "sqlite-storage auto $src/modules/sqlite-storage" \
           "example-c native $example"; do
  read -r name transport folder <<<"$row"
  [[ -d $folder ]] || continue
  with=$(for _ in $(seq "$rounds"); do install_once "$folder" "$transport"; done | median)
  without=$(for _ in $(seq "$rounds"); do install_once "$folder" "$transport" --no-check; done | median)
  echo "| $name | $transport | $(ms "$with") | $(ms "$without") | $(ms $((with - without))) |"
done

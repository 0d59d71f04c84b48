#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang, ASan+UBSan) and runs each one for a
# bounded time, from a scratch copy of its checked-in corpus (tests/fuzz/corpus/<target>/), so
# the repository is never written. Fails when any target finds a crash or breaks an invariant;
# the input is kept under build-fuzz/fuzz-artifacts/<target>/. Ends with a table of executions.
#
# usage: bash cmake/run-fuzzers.sh [TARGET...]       (every target by default)
#   HOMEBOY_FUZZ_SECONDS=N   time per target (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${HOMEBOY_FUZZ_SECONDS:-30}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

targets=("$@")
if ((${#targets[@]} == 0)); then
  for dir in tests/fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

bin=build-fuzz/tests/fuzz
logs=build-fuzz/fuzz-logs
artifacts=build-fuzz/fuzz-artifacts
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$logs"

final_stat() {  # final_stat NAME LOG: a value from libFuzzer's -print_final_stats, or "-"
  sed -n "s/^stat::$1: *//p" "$2" | tail -n 1 | grep . || echo "-"
}

rows=() failed=()
for target in "${targets[@]}"; do
  [[ -x $bin/fuzz_$target && -d tests/fuzz/corpus/$target ]] || { echo "run-fuzzers: no target '$target'" >&2; exit 2; }
  dict=tests/fuzz/dict/$target.dict
  [[ -f $dict ]] || dict=tests/fuzz/dict/json.dict
  mkdir -p "$scratch/$target" "$artifacts/$target"
  cp -R "tests/fuzz/corpus/$target/." "$scratch/$target/"
  seeds=$(find "$scratch/$target" -type f | wc -l)
  echo "fuzz: $target for ${seconds}s from $seeds seeds (log: $logs/$target.log)"
  result=ok
  "$bin/fuzz_$target" "$scratch/$target" -dict="$dict" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$artifacts/$target/" >"$logs/$target.log" 2>&1 || result=FAILED
  if [[ $result != ok ]]; then
    failed+=("$target")
    tail -n 60 "$logs/$target.log"
    echo "fuzz: $target failed; the input is in $artifacts/$target/. Reproduce with"
    echo "  $bin/fuzz_$target $artifacts/$target/<file>"
    echo "and once fixed, keep it as a regression: tests/fuzz/regressions/$target/<what-it-broke>"
  fi
  corpus=$(find "$scratch/$target" -type f | wc -l)
  rows+=("$(printf '%-14s %8s %12s %9s %11s %8s  %s' "$target" "$seconds" \
    "$(final_stat number_of_executed_units "$logs/$target.log")" "$(final_stat average_exec_per_sec "$logs/$target.log")" \
    "$seeds->$corpus" "$(final_stat peak_rss_mb "$logs/$target.log")" "$result")")
done

echo
printf '%-14s %8s %12s %9s %11s %8s  %s\n' "fuzz target" seconds executions "exec/s" corpus "rss MB" result
printf '%s\n' "${rows[@]}"
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi

#!/usr/bin/env bash
# The whole test suite, each variant built once:
#   release     the release build (build/) and its ctest suite
#   sanitizers  the same suite built with ASan+UBSan (the `debug` preset, build-debug/); any
#               sanitizer finding fails it, also in a `homeboy` or plugin that a test starts
#   fuzz        every libFuzzer target for a bounded time (cmake/run-fuzzers.sh, build-fuzz/)
# usage: bash cmake/run-tests.sh [release] [sanitizers] [fuzz]     (all three by default)
set -euo pipefail
cd "$(dirname "$0")/.."

run_release() {
  cmake --preset release >/dev/null
  cmake --build --preset release
  ctest --preset release
}

run_sanitizers() {
  cmake --preset debug >/dev/null
  cmake --build --preset debug
  # The preset's ASAN_OPTIONS write every report here and abort: a child process whose exit
  # code a test expected to be non-zero cannot hide a finding. (GCC's UBSan, combined with
  # ASan, reports to stderr only; it aborts too.)
  local reports=build-debug/sanitizer-reports status=0
  rm -rf "$reports" && mkdir -p "$reports"
  ctest --preset debug || status=$?
  if compgen -G "$reports/*" >/dev/null; then
    echo "sanitizer reports:" >&2
    for report in "$reports"/*; do echo "== $report" >&2; cat "$report" >&2; done
    status=1
  fi
  return "$status"
}

stages=("$@")
((${#stages[@]})) || stages=(release sanitizers fuzz)
for stage in "${stages[@]}"; do
  start=$SECONDS
  echo "== run-tests: $stage"
  case $stage in
    release) run_release ;;
    sanitizers) run_sanitizers ;;
    fuzz) bash cmake/run-fuzzers.sh ;;
    *) echo "usage: bash cmake/run-tests.sh [release] [sanitizers] [fuzz]" >&2; exit 2 ;;
  esac
  echo "== run-tests: $stage passed in $((SECONDS - start)) s"
done

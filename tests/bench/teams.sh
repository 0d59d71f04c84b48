#!/usr/bin/env bash
# Whole homeboy commands for a team on PostgreSQL (tests/bench/bench_teams.cpp): starts a
# throwaway PostgreSQL server that keeps its durability (fsync on, as the native default's
# writes are), runs the benchmark against it, and removes the server.
# usage: tests/bench/teams.sh [build dir] [--quick]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
shift || true
state=$(mktemp -d /tmp/homeboy-bench-teams-pg.XXXXXX)
cluster=$here/../postgres/cluster.sh
trap 'bash "$cluster" stop "$state"; rm -rf "$state"' EXIT
HOMEBOY_PG_DURABLE=1 bash "$cluster" start "$state" >&2
bash "$cluster" run "$state" bench_teams -- "$build/tests/bench/bench_teams" "$@"

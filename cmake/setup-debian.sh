#!/usr/bin/env bash
# Installs every Debian 12 package the build, the shipped modules and the tests need.
# Idempotent and non-interactive: packages already present are skipped without touching apt.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev libboost-test1.81-dev
  jq            # the scripted builtin-filesystem module
  php-cli       # modules/filesystem-php
  python3       # modules/sqlite-storage (Debian's /usr/bin/python3, sqlite3 in its standard library)
  procps        # pgrep/ps, used by tests that check no module process is left behind
  time          # GNU time (/usr/bin/time -f %M): peak memory, in tests/scale/memory_bounds.sh
  strace        # system call counts: the durability barriers of a batch (tests/stress/batch_barriers.sh, the benchmark)
  gnuplot-nox   # the benchmark's SVG plots (tests/bench/plot_bulk.gp, docs/performance.md)
  clang libclang-rt-14-dev   # the fuzz targets: clang 14 and its libFuzzer and sanitizer runtimes
  libpq-dev     # plugins/postgres (the PostgreSQL client library)
  postgresql    # the PostgreSQL server the postgres plugin's tests start in a temp folder
  libsqlite3-dev  # plugins/example-cpp, the C++ example plugin (on SQLite)
  nodejs        # modules/examples/example-node, the Node.js example module
  rustc cargo   # plugin-api/rust and plugins/example-rust: Debian's Rust (1.63), no crates downloaded
  dpkg-dev      # cpack -G DEB (dpkg-shlibdeps declares the package's library dependencies)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present" >&2
fi

#!/usr/bin/env bash
# Fresh Debian 12 machine -> working homeboy: installs the packages, builds, and runs the
# main job on the default provider (write a file through `homeboy storage`, read it back).
set -euo pipefail
cd "$(dirname "$0")/.."
bash cmake/setup-debian.sh
cmake --preset release >/dev/null
cmake --build --preset release
homeboy=build/bin/homeboy
demo=$(mktemp -d)
"$homeboy" --config-dir "$demo/config" storage status
"$homeboy" --config-dir "$demo/config" storage write "$demo/hello.txt" --content "hello from homeboy" >/dev/null
"$homeboy" --config-dir "$demo/config" storage read "$demo/hello.txt"
rm -rf "$demo"

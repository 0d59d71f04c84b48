#!/usr/bin/env bash
# The Debian package, end to end: built with cpack from the build tree, its contents and
# dependencies read with dpkg-deb, installed with apt (root only: CI runs as root on a fresh
# Debian 12), then the installed homeboy runs the README's first example, and a plugin built
# out of tree against the installed package passes `homeboy module test`. The package is
# removed at the end, whatever happens.
# usage: deb.sh <build dir> <scratch dir>      (exit 77: skipped)
set -euo pipefail
build=$1 work=$2
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "deb test: $*" >&2; exit 1; }

if [[ $(id -u) != 0 ]]; then
  echo "deb test: skipped: installing a package needs root"
  exit 77
fi
if dpkg-query -W -f='${Status}' homeboy 2>/dev/null | grep -q "install ok installed"; then
  echo "deb test: skipped: a homeboy package is installed already, and is left alone"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work/runtime" "$work/home"
chmod 700 "$work/runtime"

started=$SECONDS
(cd "$build" && cpack -G DEB -B "$work/cpack") >"$work/cpack.log" 2>&1 || fail "cpack failed: $(tail -n 30 "$work/cpack.log")"
deb=$(echo "$work"/cpack/homeboy_*.deb)
[[ -f $deb ]] || fail "cpack wrote no homeboy_*.deb: $(ls "$work/cpack")"
echo "deb test: built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB) in $((SECONDS - started)) s"

# What it installs, where Debian's tools look for it.
contents=$(dpkg-deb -c "$deb")
for path in /usr/bin/homeboy /usr/bin/homeboy-reaper /usr/bin/homeboy-plugin-host \
  /usr/share/man/man1/homeboy.1 \
  /usr/share/bash-completion/completions/homeboy /usr/share/zsh/vendor-completions/_homeboy \
  /usr/share/fish/vendor_completions.d/homeboy.fish \
  /usr/share/doc/homeboy/README.md /usr/share/doc/homeboy/docs/plugin-authoring.md \
  /usr/share/doc/homeboy/docs/module-authoring.md /usr/share/doc/homeboy/docs/storage-contract.md \
  /usr/share/homeboy/modules/builtin-filesystem/libhomeboy_builtin_filesystem.so \
  /usr/share/homeboy/modules/builtin-filesystem/storage.sh \
  /usr/share/homeboy/available-modules/sqlite-storage/storage.py \
  /usr/share/homeboy/available-modules/filesystem-php/storage.php \
  /usr/share/homeboy/kit/plugins/example-c/example_c.c /usr/share/homeboy/kit/plugins/example-cpp/example_cpp.cpp \
  /usr/share/homeboy/kit/plugins/example-rust/src/lib.rs /usr/share/homeboy/kit/plugin-api/rust/src/sys.rs \
  /usr/share/homeboy/kit/modules/examples/example-node/storage.js \
  /usr/include/homeboy/storage_plugin.h /usr/include/homeboy/storage_plugin.hpp \
  /usr/lib/cmake/homeboy-plugin-api/homeboy-plugin-apiConfig.cmake; do
  grep -q " \.$path\$" <<<"$contents" || fail "dpkg -c lists no $path"
done
depends=$(dpkg-deb -f "$deb" Depends)
for package in libc6 bash jq; do
  grep -q "\b$package\b" <<<"$depends" || fail "Depends lacks $package: $depends"
done
echo "deb test: dpkg -c lists the binaries, man page, completions, docs, modules and kit; Depends: $depends"

trap 'apt-get remove -y -qq homeboy >/dev/null 2>&1 || dpkg -r homeboy >/dev/null 2>&1 || true' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "$deb" >"$work/apt.log" 2>&1 ||
  fail "apt install failed: $(tail -n 30 "$work/apt.log")"
[[ $(command -v homeboy) == /usr/bin/homeboy ]] || fail "homeboy is not /usr/bin/homeboy but $(command -v homeboy)"

# The README's first example, as written, with the installed homeboy (build/bin/homeboy is
# where the README's reader built it), in a scratch HOME.
example=$(awk '/^## Using it/ {on = 1} on && /^```sh/ {block = 1; next} block && /^```/ {exit} block {print}' \
  "$source_dir/README.md" | sed 's|build/bin/homeboy|homeboy|')
[[ -n $example ]] || fail "no example found in README.md"
(cd "$work" && env -u HOMEBOY_CONFIG_DIR -u HOMEBOY_MODULE_PATH HOME="$work/home" XDG_RUNTIME_DIR="$work/runtime" \
  bash -euo pipefail -c "$example") >"$work/readme.log" 2>&1 ||
  fail "the README's first example failed with the installed homeboy:"$'\n'"$(tail -n 30 "$work/readme.log")"
HOME=$work/home XDG_RUNTIME_DIR=$work/runtime homeboy module stop --all >/dev/null
echo "deb test: the README's first example runs with /usr/bin/homeboy"

# The completion is found by bash-completion's rule (the command's name), the man page by man.
bash -c 'source /usr/share/bash-completion/completions/homeboy && complete -p homeboy' >/dev/null ||
  fail "the installed bash completion does not define one for homeboy"
grep -q '^\.TH HOMEBOY 1' /usr/share/man/man1/homeboy.1 || fail "the installed man page is not homeboy(1)"

# A plugin built out of tree against the installed package (found in /usr by find_package
# alone), loaded by the installed homeboy, passes the conformance suite.
cmake -S /usr/share/homeboy/kit/plugins/example-c -B "$work/example-c" -DCMAKE_BUILD_TYPE=Release \
  >"$work/plugin.log" 2>&1 && cmake --build "$work/example-c" >>"$work/plugin.log" 2>&1 ||
  fail "example-c did not build against the installed package: $(tail -n 30 "$work/plugin.log")"
module=$work/modules/example-c
mkdir -p "$module"
cp "$work/example-c/libhomeboy_example_c.so" "$module/"
echo '{"name": "Example C", "version": "1.0.0", "runtime": {"library": "libhomeboy_example_c.so"},
  "storage_provider": {"storage_type": "folder", "config": {}}}' >"$module/example-c.json"
tested=$(HOME=$work/home XDG_RUNTIME_DIR=$work/runtime homeboy module test "$module" 2>&1) ||
  fail "the plugin built against the installed package fails module test:"$'\n'"$tested"
echo "deb test: example-c built against the installed package: $(tail -n 1 <<<"$tested")"
echo "deb test: passed in $((SECONDS - started)) s"

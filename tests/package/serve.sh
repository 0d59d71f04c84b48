#!/usr/bin/env bash
# Proves the plugin-author path: the example-c plugin, built out of tree against the
# installed homeboy-plugin-api package, is loaded by the installed homeboy and serves
# `storage write` and `storage read`, in-process and isolated (the installed
# homeboy-plugin-host, found next to the installed homeboy).
# usage: serve.sh <installed homeboy> <out-of-tree plugin .so> <scratch dir>
set -euo pipefail
homeboy=$1 plugin=$2 work=$3
rm -rf "$work"
mkdir -p "$work/config/modules/example-c" "$work/store"
cat >"$work/config/modules/example-c/example-c.json" <<JSON
{
  "name": "Example C store",
  "version": "1.0.0",
  "runtime": {"library": "$(basename "$plugin")"},
  "storage_provider": {"storage_type": "folder", "config": {"root": "$work/store"}}
}
JSON
# The host loads libraries from the module folder only.
cp "$plugin" "$work/config/modules/example-c/"
export HOMEBOY_CONFIG_DIR=$work/config HOMEBOY_MODULE_PATH= HOMEBOY_STORAGE_TRANSPORT= HOMEBOY_ISOLATION= HOMEBOY_PLUGIN_HOST=

fail() { echo "package test: $*" >&2; exit 1; }

status=$("$homeboy" storage status)
grep -q '"module_id": "example-c"' <<<"$status" || fail "example-c is not the active provider: $status"
grep -q '"transport": "native"' <<<"$status" || fail "example-c is not native: $status"

content=$'out of tree\n\n-n \\t \xc3\xa9'
"$homeboy" storage ensure-dir /docs >/dev/null
"$homeboy" storage write /docs/hello.txt --content "$content" >/dev/null
[[ $("$homeboy" storage read /docs/hello.txt --raw; printf x) == "${content}x" ]] || fail "read gave other bytes"
[[ $(cat "$work/store/docs/hello.txt"; printf x) == "${content}x" ]] || fail "the store holds other bytes"
isolated=$(HOMEBOY_ISOLATION=process "$homeboy" storage status)
grep -q '"transport": "isolated"' <<<"$isolated" || fail "example-c does not run isolated: $isolated"
[[ $(HOMEBOY_ISOLATION=process "$homeboy" storage read /docs/hello.txt --raw; printf x) == "${content}x" ]] ||
  fail "an isolated read gave other bytes"
echo "package test: example-c built out of tree serves write and read, in-process and isolated"

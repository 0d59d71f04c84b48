#!/usr/bin/env bash
# A batch of 10,000 writes through the bash module, held to an 8 s timeout per request:
# the host cuts it into chunks that each finish well within the timeout, so it completes,
# every operation has a result, and every file is there with its content.
# usage: big_batch.sh <homeboy> <scratch dir>
set -euo pipefail
homeboy=$1 work=$2
count=${COUNT:-10000}
rm -rf "$work"
mkdir -p "$work/store"
fail() { echo "big batch: $*" >&2; exit 1; }
jq -cn --arg dir "$work/store" --argjson n "$count" \
  '[range($n) | {operation: "write", path: "\($dir)/f\(.)", content: "content \(.)\n"}]' >"$work/batch.json"
started=$SECONDS
out=$(HOMEBOY_MODULE_PATH= HOMEBOY_STORAGE_TRANSPORT=subprocess HOMEBOY_STORAGE_TIMEOUT_SECS=8 \
  "$homeboy" --config-dir "$work/config" storage batch --file "$work/batch.json") || fail "the batch failed: $(head -c 2000 <<<"$out")"
jq -e --argjson n "$count" '.data.succeeded == $n and .data.failed == 0 and (.data.results | length) == $n' \
  >/dev/null <<<"$out" || fail "unexpected answer: $(head -c 2000 <<<"$out")"
files=$(find "$work/store" -maxdepth 1 -type f -name 'f*' | wc -l)
((files == count)) || fail "$files files instead of $count"
[[ $(cat "$work/store/f$((count - 1))") == "content $((count - 1))" ]] || fail "the last file's content is wrong"
[[ ! -e $work/store/.homeboy-tmp ]] || fail "a temp file or staging folder was left"
echo "big batch: $count writes through the bash module with an 8 s timeout in $((SECONDS - started)) s"
rm -rf "$work"

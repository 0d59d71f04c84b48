#!/usr/bin/env bash
# Peak memory grows with the data a run carries, never with a slab or a copy per operation
# (issue 15). The peak is the whole process tree's (GNU time's %M: homeboy, or the module
# it runs, whichever is larger), on the native plugin and on the bash module:
#   - a batch of 10,000 reads of 15-byte files: at most their content + 16 MiB;
#   - a batch of 100,000 failing reads: at most its input and its output + 16 MiB;
#   - a 100 MiB file read (raw, and in the JSON envelope) and written: at most 3x its size.
# Meant for release builds (a sanitizer's own memory would be counted too).
# usage: memory_bounds.sh <homeboy> <scratch dir>
set -euo pipefail
homeboy=$1 work=$2
rm -rf "$work"
mkdir -p "$work/config" "$work/small" "$work/out"
export HOMEBOY_MODULE_PATH=
mib=1048576
failures=0

# peak BOUND_BYTES LABEL -- COMMAND...: runs it (stdout to $work/stdout), prints the peak
# against the bound, and counts it as a failure above the bound. The exit code is kept in $rc.
peak() {
  local bound=$1 label=$2 kb
  shift 3
  set +e
  /usr/bin/time -f %M -o "$work/peak" "$@" >"$work/stdout"
  rc=$?
  set -e
  kb=$(tail -n 1 "$work/peak")
  awk -v l="$label" -v kb="$kb" -v b="$bound" 'BEGIN { printf "%-56s %7.1f MiB  (bound %6.1f MiB)\n", l, kb / 1024, b / 1048576 }'
  if ((kb * 1024 > bound)); then
    echo "memory bounds: $label: peak $kb KiB is above the bound" >&2
    failures=$((failures + 1))
  fi
}
hb() { "$homeboy" --config-dir "$work/config" "$@"; }
expect_rc() { [[ $rc == "$1" ]] || { echo "memory bounds: $2 exited $rc, expected $1" >&2; exit 1; }; }

# 10,000 files of 15 bytes, and a batch reading them all.
for ((i = 0; i < 10000; i++)); do printf 'content %07d' "$i" >"$work/small/f$i"; done
jq -cn --arg dir "$work/small" '[range(10000) | {operation: "read", path: "\($dir)/f\(.)"}]' >"$work/reads.json"
content=150000
for transport in native subprocess; do
  HOMEBOY_STORAGE_TRANSPORT=$transport peak $((content + 16 * mib)) "batch of 10,000 reads of 15 bytes ($transport)" -- \
    "$homeboy" --config-dir "$work/config" storage batch --file "$work/reads.json"
  expect_rc 0 "the 10,000 reads ($transport)"
  jq -e '.data.succeeded == 10000' "$work/stdout" >/dev/null || { echo "memory bounds: reads failed" >&2; exit 1; }
done

# 100,000 reads of files that are not there: every result is a failure with its message.
jq -cn --arg dir "$work/missing" '[range(100000) | {operation: "read", path: "\($dir)/f\(.)"}]' >"$work/failing.json"
input=$(stat -c %s "$work/failing.json")
peak_failing() {  # the bound needs the output's size: measured by a first run
  hb storage batch --file "$work/failing.json" >"$work/failing.out" || true
  local output
  output=$(stat -c %s "$work/failing.out")
  peak $((input + output + 16 * mib)) "batch of 100,000 failing reads (native)" -- \
    "$homeboy" --config-dir "$work/config" storage batch --file "$work/failing.json"
  expect_rc 1 "the 100,000 failing reads"
}
peak_failing

# A 100 MiB text file: read raw, read in the envelope, written, on both paths.
size=$((100 * mib))
head -c $((size * 3 / 4)) /dev/urandom | base64 -w 76 >"$work/big"  # a little more, with the newlines
truncate -s "$size" "$work/big"
for transport in native subprocess; do
  export HOMEBOY_STORAGE_TRANSPORT=$transport
  peak $((3 * size)) "read --raw of a 100 MiB file ($transport)" -- \
    "$homeboy" --config-dir "$work/config" storage read --raw "$work/big"
  expect_rc 0 "read --raw ($transport)"
  cmp -s "$work/stdout" "$work/big" || { echo "memory bounds: read --raw ($transport) changed the content" >&2; exit 1; }
  peak $((3 * size)) "read of a 100 MiB file, JSON envelope ($transport)" -- \
    "$homeboy" --config-dir "$work/config" storage read "$work/big"
  expect_rc 0 "read ($transport)"
  peak $((3 * size)) "write of a 100 MiB file ($transport)" -- \
    "$homeboy" --config-dir "$work/config" storage write "$work/out/big" --file "$work/big"
  expect_rc 0 "write ($transport)"
  cmp -s "$work/out/big" "$work/big" || { echo "memory bounds: write ($transport) changed the content" >&2; exit 1; }
  rm -f "$work/out/big" "$work/stdout"
done
unset HOMEBOY_STORAGE_TRANSPORT

((failures == 0)) || { echo "memory bounds: $failures case(s) above their bound" >&2; exit 1; }
rm -rf "$work"

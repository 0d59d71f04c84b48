#!/usr/bin/env bash
# Kill `homeboy storage write` with SIGKILL at random moments, again and again, then check
# what is left: the file is always the old or the new content (never torn), and after one
# more write into the folder no temp file remains.
# usage: kill_writes.sh <homeboy> <scratch dir> <kills> <max seconds>
# HOMEBOY_STORAGE_TRANSPORT is passed through (subprocess: the bash module).
set -euo pipefail
homeboy=$1 work=$2 kills=$3 budget=$4
rm -rf "$work"
mkdir -p "$work/store" "$work/config"
export HOMEBOY_MODULE_PATH=
hb() { "$homeboy" --config-dir "$work/config" "$@"; }
fail() { echo "kill test: $*" >&2; exit 1; }

# Two contents large enough that a write takes a while, so kills land in the middle.
head -c 1000000 /dev/zero | tr '\0' 'a' >"$work/a"
head -c 1000000 /dev/zero | tr '\0' 'b' >"$work/b"
target=$work/store/f
hb storage write "$target" --file "$work/a" >/dev/null || fail "first write failed"

started=$SECONDS torn=0 done=0
for ((i = 0; i < kills; i++)); do
  source=$work/a
  ((i % 2)) && source=$work/b
  # homeboy itself, not a shell function: $! must be the writer's own pid.
  "$homeboy" --config-dir "$work/config" storage write "$target" --file "$source" >/dev/null 2>&1 &
  pid=$!
  # A random moment within the first few milliseconds of the write.
  sleep "0.00$((RANDOM % 8))$((RANDOM % 10))"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # One read of the file, then compare that: a writer that outlived the kill must not
  # change the file between two comparisons.
  cat "$target" >"$work/seen"
  if ! cmp -s "$work/seen" "$work/a" && ! cmp -s "$work/seen" "$work/b"; then
    torn=$((torn + 1))
    echo "kill #$i left a torn file ($(stat -c %s "$work/seen") bytes)" >&2
  fi
  done=$((i + 1))
  ((SECONDS - started < budget)) || break
done
left_before=$(find "$work/store" -name '.homeboy-tmp*' | wc -l)
hb storage write "$target" --content "after the kills" >/dev/null || fail "the write after the kills failed"
left_after=$(find "$work/store" -name '.homeboy-tmp*' | wc -l)
others=$(find "$work/store" -mindepth 1 ! -name f ! -name '.homeboy-tmp*' | wc -l)
echo "kill test ($(hb storage status | jq -r .data.provider.transport)): $done SIGKILLs in $((SECONDS - started)) s," \
  "$torn torn files, $left_before temp file(s) before one more write, $left_after after, $others other files"
((torn == 0)) || fail "$torn torn files"
((left_after == 0)) || fail "$left_after temp file(s) left after one more write"
((others == 0)) || fail "$others unexpected files left in the folder"
[[ $(hb storage read "$target" --raw) == "after the kills" ]] || fail "the last write did not land"
rm -rf "$work"

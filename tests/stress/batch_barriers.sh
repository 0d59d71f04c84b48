#!/usr/bin/env bash
# The durability barriers of a batch of 1,000 writes, counted from its system calls (strace):
# they grow with the folders the batch touches, not with the files it writes, and every file
# is on disk before it takes its name (docs/storage-contract.md, "Durability").
#   - barriers: fsync, fdatasync, syncfs, sync_file_range and sync calls of homeboy and every
#     process it starts (a module and what the module runs);
#   - each write is one rename;
#   - order: no staged file is renamed into place before the flush that makes it durable.
# usage: batch_barriers.sh <homeboy> <scratch dir> [<module folder>]
# (with a module folder, that module is installed and used; HOMEBOY_STORAGE_TRANSPORT passes through)
set -euo pipefail
homeboy=$1 work=$2 module=${3:-}
rm -rf "$work"
mkdir -p "$work/config" "$work/store"
export HOMEBOY_MODULE_PATH= HOMEBOY_QUIET=1
hb=("$homeboy" --config-dir "$work/config")
fail() { echo "batch barriers: $*" >&2; exit 1; }
[[ -n $module ]] && "${hb[@]}" module install "$module" --no-check --activate >/dev/null
provider=$("${hb[@]}" storage status | jq -r '.data.provider | "\(.module_id) (\(.transport))"')
calls=fsync,fdatasync,syncfs,sync_file_range,sync,rename,renameat,renameat2,openat,execve

# count FOLDERS ORDER: a batch of 1,000 writes of new files spread over FOLDERS folders, one
# folder after the other (sorted) or round-robin (interleaved), run under strace. Prints
# "<barriers> <renames> <early> <requests>": early counts the renames of a temp file created
# since the last completed flush (strace -y names each descriptor's path, so a staged file is
# known by its folder, .homeboy-tmp, whichever process made it); requests, the processes of a
# scripted module (the host sends a long batch in chunks sized to its timeout), 0 for a plugin.
count() {
  local folders=$1 order=$2 store=$work/store/$1-$2
  jq -n --arg store "$store" --argjson folders "$folders" --arg order "$order" '
    [range(0; $folders) | {operation: "ensure_dir", path: "\($store)/f\(.)"}] +
    [range(0; 1000) | (if $order == "sorted" then (. * $folders / 1000 | floor) else . % $folders end) as $f
      | {operation: "write", path: "\($store)/f\($f)/doc-\(.).json", content: "{\"id\": \"doc-\(.)\"}"}]' \
    >"$work/batch.json"
  strace -f -qq -y -o "$work/trace" -e trace=$calls "${hb[@]}" storage batch --file "$work/batch.json" >"$work/out.json" \
    || fail "the batch failed: $(head -c 500 "$work/out.json")"
  [[ $(jq .data.failed "$work/out.json") == 0 ]] || fail "not every write succeeded: $(head -c 500 "$work/out.json")"
  # Lines look like: 1234 renameat(5</s/f0/.homeboy-tmp>, "17", 4</s/f0>, "doc-17.json") = 0; a call
  # that blocks while another process runs is split into "... <unfinished ...>" and
  # "1234 <... syncfs resumed>) = 0".
  awk '
    / (fsync|fdatasync|syncfs|sync_file_range|sync)\(/ { barriers++; if (!/unfinished/ && / = 0$/) dirty = 0 }
    /<\.\.\. (fsync|fdatasync|syncfs|sync_file_range|sync) resumed>/ && / = 0$/ { dirty = 0 }
    / openat\(/ && /O_CREAT/ && /\.homeboy-tmp/ { dirty = 1 }
    / rename[a-z0-9]*\(/ && / = 0$/ { renames++; if (/\.homeboy-tmp/ && dirty) early++ }
    / execve\(/ && /"storage\.(sh|php)"/ && !/homeboy-reaper/ { requests++ }
    END { printf "%d %d %d %d\n", barriers, renames, early, requests }' "$work/trace"
}

status=0
for case in "1 sorted" "10 sorted" "10 interleaved"; do
  read -r folders order <<<"$case"
  # The bash and PHP modules stage one folder at a time: interleaved, they flush per folder run.
  [[ $order == interleaved && $provider != *"(native)" ]] && continue
  read -r barriers renames early requests < <(count "$folders" "$order")
  # Each folder, and each request (a chunk may end in the middle of a folder), costs at most two.
  ((requests > 0)) || requests=1
  bound=$((2 * (folders + requests) + 2))
  verdict=ok
  if ((barriers > bound)); then verdict="FAIL: more than $bound"; status=1; fi
  if ((renames < 1000)); then verdict="FAIL: $renames renames for 1,000 writes"; status=1; fi
  if ((early > 0)); then verdict="FAIL: $early temp files renamed before a flush"; status=1; fi
  echo "batch barriers ($provider): 1,000 writes into $folders folder(s), $order, $requests request(s):" \
    "$barriers barriers (bound 2 x (folders + requests) + 2 = $bound), $renames renames," \
    "$early renamed before being flushed: $verdict"
done
((status == 0)) || fail "the barriers of a batch grow with its files, or come after the renames"
rm -rf "$work"

#!/usr/bin/env bash
# example-bash: a homeboy storage module in bash and jq, one event per process.
#
# The storage contract is docs/storage-contract.md; how a module runs, docs/module-authoring.md.
# Every stored path lives under one folder on disk: "/a/b.txt" is "<root>/data/a/b.txt", where
# root is the provider config's "root" (by default "<config folder>/<module id>-store").
# It offers the core contract only: no batches (the host sends their operations one by one),
# no versions, text content.
#
# Content never passes through $(...) or echo: command substitution drops trailing newlines
# and echo takes "-n" for an option. jq writes a write's content straight into a temp file
# and reads a file straight into the answer.
set -uo pipefail

root=
if [[ -n ${HOMEBOY_STORAGE_CONFIG_FILE:-} ]]; then root=$(jq -r '.root // empty' "$HOMEBOY_STORAGE_CONFIG_FILE"); fi
root=${root:-$HOMEBOY_CONFIG_DIR/$HOMEBOY_MODULE_ID-store}
data=$root/data tmp=$root/tmp
mkdir -p -m 700 -- "$data" "$tmp" || { echo "example-bash: cannot create $root" >&2; exit 1; }

# The event goes to a file: a write's content may be large, and jq reads it from there.
event=$(mktemp -p "$tmp") || exit 1
trap 'rm -f -- "$event"' EXIT
cat >"$event"

fail() {  # fail CODE MESSAGE: prints the failure and ends this run
  jq -cn --arg code "$1" --arg error "$2" '{success: false, error: $error, error_code: $code}'
  exit 0
}
succeed() { echo '{"success":true}'; exit 0; }

# The operation, the path and is_directory, NUL-separated: a path may hold any character.
mapfile -d '' -t fields < <(jq -j '.operation, "\u0000", .path, "\u0000", (.is_directory == true | tostring), "\u0000"' "$event")
op=${fields[0]:-} path=${fields[1]:-} is_dir=${fields[2]:-false}
[[ $path == /* ]] || fail invalid_argument "path must be absolute: $path"
file=$data${path%/}  # the host sends normalized paths: no "." or "..", no trailing slash

case $op in
  read)
    [[ -e $file ]] || fail not_found "no such file: $path"
    [[ -d $file ]] && fail invalid_argument "is a folder, not a file: $path"
    [[ -f $file ]] || fail invalid_argument "is not a regular file: $path"
    jq -cRs '{success: true, data: .}' <"$file" || fail io_error "cannot read $path"
    ;;
  write)
    [[ -d ${file%/*} ]] || fail not_found "folder does not exist: ${path%/*}"
    [[ -d $file ]] && fail invalid_argument "is a folder, not a file: $path"
    new=$(mktemp -p "$tmp") || fail io_error "cannot create a temp file in $tmp"
    # Written whole, then renamed into place: a reader sees the old or the new content.
    if ! { jq -j '.content' "$event" >"$new" && mv -f -- "$new" "$file"; }; then
      rm -f -- "$new"
      fail io_error "cannot write $path"
    fi
    succeed
    ;;
  list)
    [[ -e $file ]] || { echo '{"success":true,"entries":[]}'; exit 0; }
    [[ -d $file ]] || fail invalid_argument "is a file, not a folder: $path"
    items=()  # pairs: d or f, then the name
    shopt -s nullglob dotglob
    for entry in "$file"/*; do
      if [[ -d $entry ]]; then items+=(d "${entry##*/}"); else items+=(f "${entry##*/}"); fi
    done
    jq -cn --arg prefix "${path%/}" '$ARGS.positional as $a | {success: true, entries: [range(0; $a | length; 2)
      | {path: ($prefix + "/" + $a[. + 1]), is_directory: ($a[.] == "d")}]}' --args "${items[@]}"
    ;;
  delete)
    [[ -e $file || -L $file ]] || fail not_found "no such file or folder: $path"
    if [[ -d $file && ! -L $file ]]; then
      [[ $is_dir == true ]] || fail invalid_argument "is a folder: $path (delete it with its contents: is_directory)"
      [[ $path == / ]] && fail invalid_argument "refusing to delete the root folder"
      rm -rf -- "$file" || fail io_error "cannot delete $path"
    else
      rm -f -- "$file" || fail io_error "cannot delete $path"  # a file, with or without is_directory
    fi
    succeed
    ;;
  ensure_dir)
    for ((at = ${#data}; at <= ${#file}; at++)); do  # a file in the way, at the path or above it
      if [[ $at == "${#file}" || ${file:at:1} == / ]]; then
        prefix=${file:0:at}
        [[ -e $prefix && ! -d $prefix ]] && fail conflict "a file is in the way: ${prefix#"$data"}"
      fi
    done
    mkdir -p -- "$file" || fail io_error "cannot create folder $path"
    succeed
    ;;
  *) fail unsupported "unknown operation: $op" ;;
esac

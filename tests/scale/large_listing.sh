#!/usr/bin/env bash
# A folder of 100,000 entries lists completely, sorted, on whichever provider the config
# folder selects: the native plugin, the bash module (HOMEBOY_STORAGE_TRANSPORT=subprocess),
# or a module folder given to install.
# usage: large_listing.sh <homeboy> <scratch dir> [module folder to install as the provider]
set -euo pipefail
homeboy=$1 work=$2 provider=${3:-}
count=${COUNT:-100000}
rm -rf "$work"
mkdir -p "$work/config" "$work/folder"
export HOMEBOY_MODULE_PATH=
hb() { "$homeboy" --config-dir "$work/config" "$@"; }
fail() { echo "large listing: $*" >&2; exit 1; }

if [[ -n $provider ]]; then hb module install "$provider" >/dev/null || fail "cannot install $provider"; fi
storage_type=$(hb storage status | jq -r .data.provider.storage_type)
folder=$work/folder
if [[ $storage_type == filesystem ]]; then
  (cd "$folder" && seq -f 'entry-%06g' 0 $((count - 1)) | xargs touch)
  mkdir "$folder/a-folder"
else  # a database: the entries are written through homeboy, in one batch
  folder=/large-listing
  jq -cn --arg dir "$folder" --argjson n $((count - 1)) \
    '[{operation: "ensure_dir", path: "\($dir)/a-folder"}] + [range($n) | {operation: "write", path: "\($dir)/entry-\(. | tostring | ("000000" + .)[-6:])", content: ""}]' \
    >"$work/fill.json"
  hb storage batch --file "$work/fill.json" >/dev/null || fail "cannot fill the database"
  hb storage write "$folder/entry-$(printf %06d $((count - 1)))" --content '' >/dev/null
fi

started=$SECONDS
hb storage list "$folder" >"$work/listing.json" || fail "the listing failed: $(head -c 2000 "$work/listing.json")"
seconds=$((SECONDS - started))
jq -e --argjson n $((count + 1)) --arg dir "$folder" '
  .data.entries as $e
  | ($e | length) == $n
  and ($e | map(.path) == ($e | map(.path) | sort))
  and $e[0] == {path: "\($dir)/a-folder", is_directory: true}
  and ($e[-1].path | endswith("entry-\($n - 2 | tostring | ("000000" + .)[-6:])"))
  and ([$e[] | select(.is_directory)] | length) == 1' "$work/listing.json" >/dev/null \
  || fail "unexpected listing: $(head -c 600 "$work/listing.json")"
echo "large listing: $((count + 1)) entries on $(hb storage status | jq -r '.data.provider.module_id + "/" + .data.provider.transport') in ${seconds} s"
rm -rf "$work"

#!/usr/bin/env bash
# Export from every shipped provider, import into every other: identical documents. The
# config holds entities and other documents: tricky text, an empty file, bytes that are not
# UTF-8, a file of 200 KB, nested folders; files homeboy keeps for itself are left out.
# usage: archive_matrix.sh <homeboy> <scratch dir> <source modules folder>
set -euo pipefail
trap 'echo "$(basename "$0"): line $LINENO failed: $BASH_COMMAND" >&2' ERR
homeboy=$1 work=$2 modules=$3
rm -rf "$work"
mkdir -p "$work"
export HOMEBOY_MODULE_PATH=
providers=(native script filesystem-php sqlite-storage)

fail() { echo "archive matrix: $*" >&2; exit 1; }
on() {  # on PROVIDER CONFIG homeboy-args...
  local provider=$1 config=$2
  shift 2
  if [[ $provider == script ]]; then
    HOMEBOY_STORAGE_TRANSPORT=subprocess "$homeboy" --config-dir "$config" "$@"
  else
    "$homeboy" --config-dir "$config" "$@"
  fi
}
fresh() {  # fresh PROVIDER NAME: a new config folder whose active provider is PROVIDER
  local provider=$1 config=$work/$2 want
  mkdir -p "$config"
  case $provider in
    filesystem-php | sqlite-storage) on "$provider" "$config" module install "$modules/$provider" --no-check --activate >/dev/null ;;
  esac
  case $provider in
    native) want=builtin-filesystem/native ;;
    script) want=builtin-filesystem/subprocess ;;
    *) want=$provider/ ;;
  esac
  [[ $(on "$provider" "$config" storage status | jq -r '.data.provider | .module_id + "/" + .transport') == "$want"* ]] ||
    fail "$config is not on $want"
}
documents() { tail -n +2 "$1"; }

# The source config, on the native default provider.
src=$work/source
on native "$src" server create --json '[{"id": "web-1"}, {"id": "web-2"}, {"id": "web-3"}]' >/dev/null
on native "$src" component create --json '[{"id": "api"}, {"id": "ui", "path": "/srv/ui"}]' >/dev/null
on native "$src" project create site --json '{"server_id": "web-1", "component_ids": ["api", "ui"], "name": "Caf\u00e9 \u20ac"}' >/dev/null
on native "$src" storage ensure-dir "$src/notes/deep/er" >/dev/null
on native "$src" storage ensure-dir "$src/blobs" >/dev/null
printf 'line\n\n-n \\n "quoted" \\\\ caf\xc3\xa9 \xf0\x9f\x98\x80\n\n\n' >"$work/tricky"
printf '\x00\xff\xfe\x80 not text \xc3\x28' >"$work/bytes"
head -c 200000 /dev/urandom | base64 >"$work/big"
on native "$src" storage write "$src/notes/deep/er/tricky.txt" --file "$work/tricky" >/dev/null
on native "$src" storage write "$src/notes/empty" --content '' >/dev/null
on native "$src" storage write "$src/blobs/bytes.bin" --file "$work/bytes" >/dev/null
on native "$src" storage write "$src/notes/big.txt" --file "$work/big" >/dev/null
printf 'x' >"$src/.hidden"
printf 'x' >"$src/notes/edit.lock"
printf '{"storage": "builtin-filesystem"}' >"$src/homeboy.json"
on native "$src" storage export "$work/source.jsonl" >/dev/null
count=$(head -1 "$work/source.jsonl" | jq .documents)
[[ $count == 10 ]] || fail "the source archive holds $count documents, expected 10: $(cut -c1-80 "$work/source.jsonl")"
grep -q '"path":"blobs/bytes.bin","content_base64":' "$work/source.jsonl" || fail "bytes.bin is not base64 in the archive"

# Into every provider, and out again.
for p in "${providers[@]}"; do
  fresh "$p" "from-source-$p"
  out=$(on "$p" "$work/from-source-$p" storage import "$work/source.jsonl") || fail "import into $p failed: $out"
  jq -e ".data.copied == $count and .data.failed == 0" >/dev/null <<<"$out" || fail "import into $p: $out"
  on "$p" "$work/from-source-$p" storage export "$work/$p.jsonl" >/dev/null
  diff <(documents "$work/source.jsonl") <(documents "$work/$p.jsonl") >/dev/null ||
    fail "an export from $p differs from what was imported into it"
  [[ $(on "$p" "$work/from-source-$p" storage read "$work/from-source-$p/blobs/bytes.bin" --raw | od -An -tx1) == \
     $(od -An -tx1 "$work/bytes") ]] || fail "bytes.bin read through $p differs"
done

# Every export into every other provider.
for from in "${providers[@]}"; do
  for to in "${providers[@]}"; do
    [[ $from == "$to" ]] && continue
    fresh "$to" "$from-to-$to"
    out=$(on "$to" "$work/$from-to-$to" storage import - <"$work/$from.jsonl") || fail "$from into $to failed: $out"
    jq -e ".data.copied == $count and .data.archive.source_provider == \"$(head -1 "$work/$from.jsonl" | jq -r .source_provider)\"" \
      >/dev/null <<<"$out" || fail "$from into $to: $out"
    diff <(documents "$work/$from.jsonl") <(on "$to" "$work/$from-to-$to" storage export | tail -n +2) >/dev/null ||
      fail "exported from $from and imported into $to, the documents differ"
    pairs=$((${pairs:-0} + 1))
  done
done
echo "archive matrix passed: ${#providers[@]} providers, $pairs pairs, $count documents each"

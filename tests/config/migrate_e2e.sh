#!/usr/bin/env bash
# Changing where homeboy keeps its data, as a user does it: 3 servers, 5 components and 50
# projects on the default provider; `module install` of another provider leaves every list
# as it was; `storage migrate --to` it makes it active with identical lists and shows; an
# export from it imported into a fresh config on the default provider gives the same
# documents again; then back to the default provider, through a conflict.
# usage: migrate_e2e.sh <homeboy> <scratch dir> <module folder> <copied>
#   <copied>: how many documents the migration copies (0 when the module keeps files where
#   the default provider does, as filesystem-php does: they are then all unchanged).
# HOMEBOY_STORAGE_TRANSPORT=subprocess runs the default provider through its bash script.
set -euo pipefail
trap 'echo "$(basename "$0"): line $LINENO failed: $BASH_COMMAND" >&2' ERR
homeboy=$1 work=$2 module_dir=$3 expect_copied=$4
target=$(basename "$module_dir")
rm -rf "$work"
mkdir -p "$work"
export HOMEBOY_MODULE_PATH=
config=$work/config

step=0
hb() { "$homeboy" --config-dir "$config" "$@"; }
fail() { echo "migrate e2e (step $step): $*" >&2; exit 1; }
expect() {  # expect EXIT_CODE JQ_CONDITION -- homeboy args...
  local want=$1 condition=$2 out rc
  shift 3
  step=$((step + 1))
  set +e
  out=$(hb "$@" 2>"$work/stderr")
  rc=$?
  set -e
  [[ $rc == "$want" ]] || fail "homeboy $* exited $rc, expected $want: $out $(cat "$work/stderr")"
  jq -e "$condition" >/dev/null <<<"$out" || fail "homeboy $* gave an unexpected answer ($condition): $out"
}
# Every list, and every document's `show`, into folder $1.
snapshot() {
  local into=$1 kind id
  mkdir -p "$into"
  for kind in project server component; do
    hb "$kind" list >"$into/$kind-list.json" 2>"$work/stderr" ||
      fail "$kind list failed: $(cat "$into/$kind-list.json" "$work/stderr")"
    for id in $(jq -r ".data.${kind}s[].id" "$into/$kind-list.json"); do
      hb "$kind" show "$id" >"$into/$kind-$id.json" 2>"$work/stderr" ||
        fail "$kind show $id failed: $(cat "$into/$kind-$id.json" "$work/stderr")"
    done
  done
  [[ $(ls "$into" | wc -l) == 61 ]] || fail "expected 3 lists and 58 documents in $into, got $(ls "$into" | wc -l) files"
}
same() {  # same DIR_A DIR_B WHAT
  step=$((step + 1))
  diff -r "$1" "$2" >"$work/diff" || fail "$3: $(head -20 "$work/diff")"
}

# 1. The config, on the default provider.
servers=$(jq -cn '[range(1; 4) | {id: "web-\(.)", host: "web\(.).example.com", port: 22}]')
components=$(jq -cn '[range(1; 6) | {id: "comp-\(.)", path: "/srv/comp-\(.)", notes: "line\n\n\"quoted\" \\ -n café €\n"}]')
projects=$(jq -cn '[range(0; 50) | {id: "project-\(.)", server_id: "web-\(. % 3 + 1)",
                   component_ids: ["comp-\(. % 5 + 1)", "comp-\((. + 1) % 5 + 1)"], settings: {php: "8.\(. % 4)"}}]')
expect 0 '.data.created | length == 3' -- server create --json "$servers"
expect 0 '.data.created | length == 5' -- component create --json "$components"
expect 0 '.data.created | length == 50' -- project create --json "$projects"
default=$(hb storage status | jq -r '.data.provider.module_id + " over " + .data.provider.transport') ||
  fail "storage status failed"
echo "migrate e2e: from $default to $target"
snapshot "$work/before"

# 2. Installing another provider hides nothing: the current one stays active, pinned.
expect 0 ".data.activated == false and .data.active_provider == \"builtin-filesystem\" and .data.config_documents == 58
          and .data.check.failed == 0 and .data.pinned.storage == \"builtin-filesystem\"
          and (.data.hints[0].message | contains(\"homeboy storage migrate --to $target\"))" -- module install "$module_dir"
expect 0 '.data.provider.module_id == "builtin-filesystem"' -- storage status
snapshot "$work/after-install"
same "$work/before" "$work/after-install" "module install changed what the config commands show"

# 3. A dry run lists what would move and writes nothing.
expect 0 ".data.dry_run and .data.documents == 58 and (.data.plan | length) == 58 and .data.copied == $expect_copied
          and .data.pinned == null" -- storage migrate --to "$target" --dry-run
expect 0 '.data.provider.module_id == "builtin-filesystem"' -- storage status

# 4. The migration: every document copied (or already there), checked, and the target pinned.
expect 0 ".data.from == \"builtin-filesystem\" and .data.to == \"$target\" and .data.documents == 58
          and .data.copied == $expect_copied and .data.unchanged == 58 - $expect_copied and .data.failed == 0
          and .data.pinned.storage == \"$target\" and .data.pinned.previous == \"builtin-filesystem\"" -- \
  storage migrate --to "$target"
expect 0 ".data.provider.module_id == \"$target\" and .data.provider.selected_by == \"config\"" -- storage status
snapshot "$work/after-migrate"
same "$work/before" "$work/after-migrate" "the lists and shows differ after the migration"
[[ $(find "$config/projects" -name '*.json' | wc -l) == 50 ]] || fail "the source lost documents"
expect 2 ".error.code == \"storage.same_provider\" and (.error.message | contains(\"'$target'\"))" -- \
  storage migrate --to "$target"

# 5. Export from the new provider, import into a fresh config on the default one: the same documents.
expect 0 ".data.documents == 58 and .data.source_provider == \"$target\"" -- storage export "$work/archive.jsonl"
head -1 "$work/archive.jsonl" | jq -e ".format == \"homeboy-config-archive\" and .version == 1 and .documents == 58" >/dev/null ||
  fail "the archive header is wrong: $(head -1 "$work/archive.jsonl")"
migrated=$config
config=$work/fresh
expect 0 '.data.copied == 58 and .data.failed == 0 and .data.archive.source_provider == "'"$target"'"' -- \
  storage import "$work/archive.jsonl"
expect 0 '.data.provider.module_id == "builtin-filesystem"' -- storage status
snapshot "$work/after-import"
same "$work/before" "$work/after-import" "the lists and shows differ after export and import"
step=$((step + 1))
hb storage export "$work/again.jsonl" >/dev/null || fail "exporting the imported config failed"
diff <(tail -n +2 "$work/archive.jsonl") <(tail -n +2 "$work/again.jsonl") >"$work/diff" ||
  fail "exporting the imported config gives other documents: $(head "$work/diff")"
expect 0 '.data.unchanged == 58 and .data.copied == 0' -- storage import - <"$work/archive.jsonl"

# 6. Back to the default provider. A document changed on the target since differs from the
#    copy the default provider kept: a conflict, until --replace.
config=$migrated
expect 0 '.data.project.settings.php == "9.9"' -- project set project-7 '{"settings": {"php": "9.9"}}'
if [[ $expect_copied == 0 ]]; then
  expect 0 '.data.unchanged == 58 and .data.pinned.storage == "builtin-filesystem"' -- \
    storage migrate --to builtin-filesystem
else
  expect 2 '.error.code == "storage.document_conflict" and .error.details.conflicts == ["'"$config"'/projects/project-7.json"]' -- \
    storage migrate --to builtin-filesystem
  expect 0 '.data.provider.module_id == "'"$target"'"' -- storage status
  expect 0 '.data.replaced == 1 and .data.unchanged == 57 and .data.pinned.storage == "builtin-filesystem"' -- \
    storage migrate --to builtin-filesystem --replace
fi
expect 0 '.data.project.settings.php == "9.9"' -- project show project-7
expect 0 '.data.count == 50' -- project list
expect 0 ".data.id == \"$target\"" -- module uninstall "$target" --force
echo "migrate e2e passed: $default -> $target and back ($step steps)"

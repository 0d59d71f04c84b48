#!/usr/bin/env bash
# The config's rules outside create and set: a migration round trip does not bring back what
# was deleted meanwhile; import refuses archives that break the rules, naming the line, with
# nothing written (and --dry-run says the same); `homeboy doctor` finds what a hand edit
# broke; raw storage commands stay out of the entity folders; a linked entity folder is
# refused and nothing is written through it.
# usage: config_rules.sh <homeboy> <scratch dir> <modules source dir>
set -euo pipefail
trap 'echo "$(basename "$0"): line $LINENO failed: $BASH_COMMAND" >&2' ERR
homeboy=$1 work=$2 modules=$3
rm -rf "$work"
mkdir -p "$work"
export HOMEBOY_MODULE_PATH=

step=0
fail() { echo "config rules (step $step): $*" >&2; exit 1; }
hb() { local config=$1; shift; "$homeboy" --config-dir "$config" "$@"; }
expect() {  # expect CONFIG EXIT_CODE JQ_CONDITION -- homeboy args...
  local config=$1 want=$2 condition=$3 out rc=0
  shift 4
  step=$((step + 1))
  out=$(hb "$config" "$@" 2>"$work/stderr") || rc=$?
  [[ $rc == "$want" ]] || fail "homeboy $* exited $rc, expected $want: $out $(cat "$work/stderr")"
  jq -e "$condition" >/dev/null <<<"$out" || fail "homeboy $* gave an unexpected answer ($condition): $out"
}
# Every file under a folder with its content, to compare before and after.
contents() { (cd "$1" && find . -type f ! -name '*.lock' -print0 | sort -z | xargs -0 -r sha256sum); }

# --- migrate: the target ends equal to the source ------------------------------------------
c=$work/migrate
expect "$c" 0 '.success' -- server create s1
expect "$c" 0 '.success' -- server create s2
expect "$c" 0 '.success' -- -q module install "$modules/sqlite-storage"
expect "$c" 0 '.data.copied == 2' -- -q storage migrate --to sqlite-storage
expect "$c" 0 '.success' -- server delete s2
expect "$c" 2 '.error.code == "storage.extra_documents" and .error.details.extra == ["'"$c"'/servers/s2.json"]' -- \
  storage migrate --to builtin-filesystem
[[ $(hb "$c" storage status | jq -r .data.provider.module_id) == sqlite-storage ]] || fail "a refused migration pinned"
expect "$c" 0 '[.data.plan[] | select(.outcome == "extra") | .path] == ["'"$c"'/servers/s2.json"]' -- \
  storage migrate --to builtin-filesystem --dry-run
expect "$c" 0 '.data.pruned == 1 and (.data.backup | test("/.backups/")) and .data.config_check.healthy' -- \
  storage migrate --to builtin-filesystem --prune
backup=$(hb "$c" storage status >/dev/null; ls "$c"/.backups/*.jsonl)
grep -q '"servers/s2.json"' "$backup" || fail "the backup archive does not hold s2: $(cat "$backup")"
[[ $(stat -c %a "$backup") == 600 ]] || fail "the backup archive is not 0600"
expect "$c" 4 '.error.code == "server.not_found"' -- server show s2
expect "$c" 0 '[.data.servers[].id] == ["s1"]' -- server list

# --- import: the whole archive checked against the rules before anything is written ------
header() { printf '{"format":"homeboy-config-archive","version":1,"source_provider":"x","created_at":"2026-01-01T00:00:00Z","documents":%s}\n' "$1"; }
doc() { jq -cn --arg path "$1" --arg content "$2" '{path: $path, content: $content}'; }
{ header 2; doc projects/p.json '{"id": "p", "server_id": "nope"}'; doc servers/w.json '{"id": "w"}'; } >"$work/missing-reference.jsonl"
{ header 2; doc components/w.json '{"id": "w"}'; doc servers/w.json '{"id": "w"}'; } >"$work/two-kinds.jsonl"
{ header 2; doc servers/a.json '{"id": "a"}'; doc servers/w.json '{"id": "v"}'; } >"$work/id-not-name.jsonl"
{ header 2; doc servers/a.json '{"id": "a"}'; doc servers/w.json '["w"]'; } >"$work/not-an-object.jsonl"
{ header 1; doc servers/w.json '{"id": "w", "k": 1, "k": 2}'; } >"$work/key-twice.jsonl"
declare -A line=([missing-reference]=2 [two-kinds]=2 [id-not-name]=3 [not-an-object]=3 [key-twice]=2)
declare -A check=([missing-reference]=missing_reference [two-kinds]=id_in_two_kinds [id-not-name]=id_mismatch
  [not-an-object]=not_an_object [key-twice]=duplicate_key)
i=$work/import
expect "$i" 0 '.success' -- server create keep
before=$(contents "$i")
for name in "${!line[@]}"; do
  for dry in "" --dry-run; do
    expect "$i" 2 '.error.code == "archive.invalid_config" and (.error.message | contains("line '"${line[$name]}"': "))
                   and .error.details.problems[0].check == "'"${check[$name]}"'"' -- storage import "$work/$name.jsonl" $dry
  done
done
[[ $(contents "$i") == "$before" ]] || fail "a refused import changed the config folder"

# A document over the 256 MiB limit: refused by line, before anything (a folder) is made.
"${PYTHON:-/usr/bin/python3}" - "$work/huge.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as out:
    out.write('{"format":"homeboy-config-archive","version":1,"source_provider":"x","created_at":"2026-01-01T00:00:00Z","documents":2}\n')
    out.write(json.dumps({"path": "notes/a.txt", "content": "a"}) + "\n")
    out.write('{"path":"notes/huge.txt","content":"' + "x" * (300 << 20) + '"}\n')
EOF
fresh=$work/import-huge
for dry in "" --dry-run; do
  expect "$fresh" 2 '.error.code == "storage.too_large" and (.error.message | contains("line 3")) and .error.details.line == 3' -- \
    storage import "$work/huge.jsonl" $dry
done
rm -f "$work/huge.jsonl"
[[ ! -e $fresh ]] || fail "a refused import made $fresh"

# A file where the archive needs a folder: foreseen by --dry-run, refused before writing.
{ header 2; doc notes/a.txt 'a'; doc servers/z.json '{"id": "z"}'; } >"$work/in-the-way.jsonl"
expect "$i" 0 '.success' -- storage write "$i/notes" --content 'a file'
expect "$i" 0 '[.data.plan[] | select(.outcome == "failed") | .path] == ["'"$i"'/notes/a.txt"]' -- \
  storage import "$work/in-the-way.jsonl" --dry-run
expect "$i" 2 '.error.code == "storage.document_conflict" and .error.details.blocked[0].file_in_the_way == "'"$i"'/notes"' -- \
  storage import "$work/in-the-way.jsonl"
expect "$i" 4 '.error.code == "server.not_found"' -- server show z

# --- doctor ------------------------------------------------------------------------------
d=$work/doctor
expect "$d" 0 '.success' -- server create web
expect "$d" 0 '.success' -- component create api
expect "$d" 0 '.success' -- project create site --json '{"server_id": "web", "component_ids": ["api"]}'
expect "$d" 0 '.data.problems == [] and .data.documents == 3 and .data.reachable' -- doctor
echo '{"id": "web"}' >"$d/components/web.json"                        # an id in two kinds
echo '{"id": "other"}' >"$d/servers/named.json"                        # id and name differ
echo '[1, 2]' >"$d/components/list.json"                               # not an object
echo '{"server_id": "gone", "component_ids": ["api"]}' >"$d/projects/dangling.json"  # a missing reference
echo 'notes' >"$d/servers/README.txt"                                  # not homeboy's
echo '{"a": 1, "a": 2}' >"$d/servers/twice.json"                       # a key twice
chmod 600 "$d"/*/*
chmod 755 "$d/servers"                                                 # open to others
expect "$d" 2 '.error.code == "config.unhealthy" and
  ([.error.details.problems[] | .check] | sort) == (["id_in_two_kinds", "id_mismatch", "not_an_object", "missing_reference",
    "stray_file", "duplicate_key", "folder_mode"] | sort) and
  all(.error.details.problems[]; .fix != "" and .message != "")' -- doctor
text=$(hb "$d" -o text doctor 2>&1) && fail "doctor -o text exited 0"
for needle in "components/web.json" "servers/named.json" "projects/dangling.json" "fix: chmod 700"; do
  grep -qF "$needle" <<<"$text" || fail "doctor -o text does not name $needle: $text"
done

# --- raw storage stays out of the entity folders --------------------------------------------
r=$work/raw
expect "$r" 0 '.success' -- server create web --json '{"password": "p"}'
[[ $(stat -c %a "$r" "$r/servers" "$r/servers/web.json" | tr '\n' ' ') == "700 700 600 " ]] ||
  fail "the config folder, the servers folder and a document are not 0700, 0700, 0600: $(stat -c '%a %n' "$r" "$r/servers" "$r/servers/web.json")"
expect "$r" 2 '.error.code == "storage.config_protected" and (.error.hints[0].message | contains("homeboy server"))' -- \
  storage delete "$r/servers" --recursive
expect "$r" 2 '.error.code == "storage.config_protected" and (.error.hints[0].message | contains("homeboy server delete web"))' -- \
  storage delete "$r/servers/web.json"
expect "$r" 2 '.error.code == "storage.config_protected"' -- storage delete "$r" --recursive
expect "$r" 2 '.error.code == "storage.config_protected"' -- storage write "$r/servers/x.json" --content '{}'
expect "$r" 2 '.error.code == "storage.config_protected"' -- storage ensure-dir "$r/projects/sub"
ln -s "$r/servers" "$work/alias"
expect "$r" 2 '.error.code == "storage.config_protected"' -- storage delete "$work/alias/web.json"
step=$((step + 1))
out=$(hb "$r" storage batch <<<'[{"operation": "write", "path": "'"$r"'/notes.txt", "content": "x"},
                                  {"operation": "delete", "path": "'"$r"'/servers/web.json"}]') && fail "batch ran: $out"
jq -e '.error.code == "storage.config_protected" and (.error.message | startswith("event 2"))' >/dev/null <<<"$out" ||
  fail "a batch touching the servers was not refused by event: $out"
[[ ! -e $r/notes.txt ]] || fail "the refused batch ran its first event"
expect "$r" 0 '[.data.servers[].id] == ["web"]' -- server list
expect "$r" 0 '.success' -- storage write "$r/notes.txt" --content 'outside the entity folders'
expect "$r" 0 '.success' -- storage delete "$r/servers/web.json" --force
expect "$r" 4 '.error.code == "server.not_found"' -- server show web

# --- a linked entity folder ---------------------------------------------------------------
l=$work/linked
elsewhere=$work/elsewhere
mkdir -p "$l" "$elsewhere"
chmod 700 "$l"
ln -s "$elsewhere" "$l/servers"
expect "$l" 2 '.error.code == "config.unsafe_private_folder" and (.error.message | contains("symbolic link"))' -- \
  server create s9 --json '{"password": "p"}'
expect "$l" 2 '.error.code == "config.unsafe_private_folder"' -- server list
expect "$l" 2 '.error.code == "config.unsafe_private_folder"' -- server show s9
[[ -z $(ls -A "$elsewhere") ]] || fail "a document was written through the link: $(ls -A "$elsewhere")"
expect "$l" 2 '[.error.details.problems[] | .check] == ["folder_link"]' -- doctor
expect "$l" 2 '.error.code == "config.unsafe_private_folder"' -- storage export "$work/linked.jsonl"
ln -s "$l" "$work/linked-config"
expect "$work/linked-config" 2 '.error.code == "config.unsafe_private_folder" and (.error.hints[0].message | contains("--config-dir '"$l"'"))' -- \
  server list
# --- another user's config folder: the same error on every command --------------------------
if [[ $(id -u) == 0 ]] && command -v runuser >/dev/null && runuser -u nobody -- test -x "$homeboy"; then
  o=$work/roots
  expect "$o" 0 '.success' -- server create mine
  for args in "storage status" "server list" "server create theirs" "module list" "storage read /etc/hostname"; do
    step=$((step + 1))
    # shellcheck disable=SC2086
    out=$(runuser -u nobody -- "$homeboy" --config-dir "$o" $args 2>&1) && fail "nobody ran '$args' on root's folder: $out"
    jq -e '.error.code == "config.unsafe_private_folder"' >/dev/null <<<"$out" ||
      fail "nobody's '$args' on root's folder answered: $out"
  done
else
  echo "config rules: another user's folder not checked (needs root, runuser and a homeboy that nobody can run)"
fi
echo "config rules: all held"

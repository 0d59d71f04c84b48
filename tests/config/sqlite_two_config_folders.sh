#!/usr/bin/env bash
# sqlite-storage shared by two homeboy config folders (as two hosts, or two users) whose
# database_path names one database file: paths under each config folder are stored as
# "~/...", so both see one config (docs/backends/sqlite.md). Besides:
#   - `storage status` lists "transactions", and a check in `storage batch` holds the batch
#     back when it fails and lets it through when it holds;
#   - the module itself answers a check without a condition with invalid_argument, and a
#     write whose if_version is not UTF-8 (if_version_base64) with conflict;
#   - a database written before that layout (absolute rows under the config folder) is
#     converted when its config folder opens it, by two processes at once, and only once.
# usage: sqlite_two_config_folders.sh <homeboy> <scratch dir> <sqlite-storage module folder>
set -euo pipefail
homeboy=$1 work=$2 module=$3
python=/usr/bin/python3
rm -rf "$work"
mkdir -p "$work"
export HOMEBOY_MODULE_PATH=
db=$work/shared/homeboy.db
a=$work/host-a/config b=$work/host-b/homeboy-config

fail() { echo "sqlite two config folders: $*" >&2; exit 1; }
hb() { local config=$1; shift; timeout 60 "$homeboy" --config-dir "$config" "$@"; }
expect() {  # expect FOLDER JQ_CONDITION -- homeboy args...
  local config=$1 condition=$2 out
  shift 3
  out=$(hb "$config" "$@") || fail "homeboy $* (in $config) failed: $out"
  jq -e "$condition" >/dev/null <<<"$out" || fail "homeboy $* (in $config): expected $condition, got: $out"
}
expect_failure() {  # expect_failure FOLDER EXIT JQ_CONDITION -- homeboy args...
  local config=$1 want=$2 condition=$3 out status=0
  shift 4
  out=$(hb "$config" "$@") || status=$?
  ((status == want)) || fail "homeboy $* (in $config): exit $status, expected $want: $out"
  jq -e "$condition" >/dev/null <<<"$out" || fail "homeboy $* (in $config): expected $condition, got: $out"
}
rows() { "$python" -c 'import sqlite3, sys
for (path,) in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(path)' "$@"; }
# use_database CONFIG DATABASE: sqlite-storage installed into CONFIG, keeping its data in DATABASE.
use_database() {
  local config=$1 manifest=$1/modules/sqlite-storage/sqlite-storage.json
  mkdir -p "$config"
  hb "$config" module install "$module" --no-check --activate >/dev/null
  jq --arg db "$2" '.storage_provider.config.database_path = $db' "$manifest" >"$manifest.new"
  mv "$manifest.new" "$manifest"
}

use_database "$a" "$db"
use_database "$b" "$db"
expect "$a" '.data.provider.module_id == "sqlite-storage" and (.data.provider.capabilities | index("transactions"))' \
  -- storage status

# Each folder sees the other's config, kept once, relative to the config folder.
expect "$a" '.data.created == ["s1"]' -- server create s1 --json '{"host": "s1.example.com"}'
expect "$b" '.data.server.host == "s1.example.com"' -- server show s1
expect "$b" '.data.server.port == 22' -- server set s1 '{"port": 22}'
expect "$a" '.data.server.port == 22' -- server show s1
stored=$(rows "$db" "SELECT path FROM entries WHERE path LIKE '%s1%'")
[[ $stored == "~/servers/s1.json" ]] || fail "server s1 is stored as '$stored', expected ~/servers/s1.json"
[[ -z $(rows "$db" "SELECT path FROM entries WHERE path LIKE '$work%'") ]] ||
  fail "rows under a config folder kept their absolute path: $(rows "$db" "SELECT path FROM entries")"

# A check that fails holds its batch back; checks that hold let it through.
batch=$work/batch.json
printf '[{"operation":"check","path":"%s/servers/s1.json","if_absent":true},
         {"operation":"write","path":"%s/note","content":"x"}]' "$b" "$b" >"$batch"
expect_failure "$b" 1 '.error.code == "storage.batch_failed" and
  ([.error.details.results[].error_code] == ["conflict", "aborted"])' -- storage batch --file "$batch"
expect_failure "$a" 4 '.error.code == "storage.not_found"' -- storage read "$a/note"
version=$(hb "$a" storage read "$a/servers/s1.json" | jq -r .data.version)
printf '[{"operation":"check","path":"%s/servers/s1.json","if_version":"%s"},
         {"operation":"check","path":"%s/servers/s2.json","if_absent":true},
         {"operation":"write","path":"%s/note","content":"x"}]' "$b" "$version" "$b" "$b" >"$batch"
expect "$b" '.data.overall_success and .data.succeeded == 3' -- storage batch --file "$batch"
expect "$a" '.data.content == "x"' -- storage read "$a/note"
expect "$a" '.data.server.port == 23' -- server set s1 '{"port": 23}'
printf '[{"operation":"check","path":"%s/servers/s1.json","if_version":"%s"}]' "$b" "$version" >"$batch"
expect_failure "$b" 1 '.error.details.results[0].error_code == "conflict"' -- storage batch --file "$batch"

# The module on its own: what the host never sends it must still be answered right.
direct() {
  HOMEBOY_CONFIG_DIR=$work/direct HOMEBOY_STORAGE_CONFIG="{\"database_path\": \"$work/direct.db\"}" \
    "$python" -S "$module/storage.py" --storage-operation <<<"$1"
}
answer=$(direct '{"operation":"check","path":"/x","contract_version":2}')
jq -e '.error_code == "invalid_argument"' >/dev/null <<<"$answer" || fail "a check without a condition: $answer"
direct '{"operation":"write","path":"/x","content":"1","contract_version":2}' >/dev/null
answer=$(direct '{"operation":"write","path":"/x","content":"2","if_version_base64":"/w==","contract_version":2}')
jq -e '.error_code == "conflict"' >/dev/null <<<"$answer" || fail "a write with a version that is not UTF-8: $answer"

# A database from before the layout: made here by writing the new layout back the old way,
# absolute paths and a row for every folder down to the config folder, no meta table, and
# each row's content before its version (the column order of the first databases).
c=$work/host-c/config old=$work/old.db
use_database "$c" "$old"
expect "$c" '.data.created == ["old1"]' -- server create old1 --json '{"host": "old.example.com"}'
hb "$c" module stop sqlite-storage >/dev/null
"$python" - "$old" "$c" <<'EOF'
import sqlite3, sys
db, config = sqlite3.connect(sys.argv[1], isolation_level=None), sys.argv[2]
db.execute("UPDATE entries SET path = ? || substr(path, 2), parent = ? || substr(parent, 2) "
           "WHERE substr(path, 1, 1) = '~'", (config, config))
folder = ""
for name in config.strip("/").split("/"):
    parent, folder = folder or "/", folder + "/" + name
    db.execute("INSERT OR IGNORE INTO entries(path, parent, is_directory, content, version) VALUES (?, ?, 1, NULL, 0)",
               (folder, parent))
db.execute("DROP TABLE meta")
db.execute("CREATE TABLE entries_first (path TEXT PRIMARY KEY, parent TEXT NOT NULL, is_directory INTEGER NOT NULL, "
           "content BLOB, version INTEGER)")
db.execute("INSERT INTO entries_first SELECT path, parent, is_directory, content, version FROM entries")
db.execute("DROP TABLE entries")
db.execute("ALTER TABLE entries_first RENAME TO entries")
db.execute("CREATE INDEX entries_parent ON entries(parent, path)")
EOF
columns() { rows "$old" "SELECT group_concat(name, ' ') FROM pragma_table_info('entries')"; }
[[ $(columns) == "path parent is_directory content version" ]] || fail "the first column order was not made"
[[ $(rows "$old" "SELECT path FROM entries WHERE path = '$c/servers/old1.json'") ]] || fail "the old layout was not made"
pids=()
for n in 1 2; do
  HOMEBOY_STORAGE_TRANSPORT=subprocess hb "$c" server show old1 >"$work/show-$n.json" 2>&1 &
  pids+=("$!")
done
for n in 1 2; do
  wait "${pids[$((n - 1))]}" || fail "server show old1 while converting failed: $(cat "$work/show-$n.json")"
  jq -e '.data.server.host == "old.example.com"' "$work/show-$n.json" >/dev/null ||
    fail "server show old1 while converting: $(cat "$work/show-$n.json")"
done
[[ $(rows "$old" "SELECT path FROM entries WHERE path = '~/servers/old1.json'") ]] ||
  fail "old1 was not moved under ~: $(rows "$old" "SELECT path FROM entries")"
[[ -z $(rows "$old" "SELECT path FROM entries WHERE path LIKE '$c%'") ]] ||
  fail "rows under the config folder (or the folder itself) kept their absolute path: $(rows "$old" "SELECT path FROM entries")"
[[ $(columns) == "path parent is_directory version content" ]] || fail "the content column was not moved last: $(columns)"
[[ $(rows "$old" "SELECT count(*) FROM sqlite_master WHERE name = 'entries_parent'") == 1 ]] || fail "the index was lost"
[[ $(rows "$old" "SELECT key FROM meta") == "config-relative $c" ]] ||
  fail "the conversion is not recorded once: $(rows "$old" "SELECT key FROM meta")"
[[ $(rows "$old" "SELECT path FROM entries WHERE path = '$work/host-c'") ]] ||
  fail "a folder outside the config folder was lost: $(rows "$old" "SELECT path FROM entries")"
before=$(rows "$old" "SELECT path || ' ' || version FROM entries ORDER BY path")
expect "$c" '.data.server.host == "old.example.com"' -- server show old1
[[ $(rows "$old" "SELECT path || ' ' || version FROM entries ORDER BY path") == "$before" ]] ||
  fail "opening a converted database changed it"
echo "two config folders share one sqlite database; checks hold batches back; an old database is converted once, its content column moved last"

#!/usr/bin/env bash
# A full disk is storage.no_space (exit 1, with a hint) on every shipped provider, and
# nothing is lost: the config folder and the data live on a small tmpfs, a filler takes
# every free byte, and then a raw write, a config create, a set and a batch each fail with
# that one code, leaving what was there before as it was, no temp file behind and stdout a
# valid envelope. Once room is made, the same commands succeed. Root only (it mounts a
# tmpfs); skipped (77) otherwise.
# With PostgreSQL (run by tests/postgres/cluster.sh, whose path is the fourth argument), the
# database's tables go to a tablespace on that tmpfs: the server's disk is what fills up.
# usage: full_disk.sh <homeboy> <scratch dir> [module folder to install as the provider] [cluster.sh]
set -euo pipefail
trap 'echo "$(basename "$0"): line $LINENO failed: $BASH_COMMAND" >&2' ERR
homeboy=$1 work=$2 provider=${3:-} cluster=${4:-}
[[ $EUID == 0 ]] || { echo "full disk: needs root to mount a tmpfs; skipped"; exit 77; }
export HOMEBOY_MODULE_PATH=

fail() { echo "full disk: $*" >&2; exit 1; }
disk=$work/disk
cleanup() {
  if [[ -n $cluster && -n ${HOMEBOY_PG_STATE:-} ]]; then  # the database and its tablespace go, so the tmpfs can
    bash "$cluster" psql "$HOMEBOY_PG_STATE" postgres -c "DROP DATABASE IF EXISTS \"$PGDATABASE\" WITH (FORCE)" \
      -c "DROP TABLESPACE IF EXISTS homeboy_full_disk" >/dev/null 2>&1 || true
  fi
  umount "$disk" 2>/dev/null || umount -l "$disk" 2>/dev/null || true
}
umount "$disk" 2>/dev/null || umount -l "$disk" 2>/dev/null || true  # a run before this one's
rm -rf "$work"
mkdir -p "$disk"
mount -t tmpfs -o size=8m,mode=0755 tmpfs "$disk" || { echo "full disk: cannot mount a tmpfs; skipped"; exit 77; }
trap cleanup EXIT

config=$disk/config data=$disk/data
mkdir -p "$config" "$data"
hb() { "$homeboy" --config-dir "$config" "$@"; }
if [[ -n $cluster ]]; then
  mkdir -m 700 "$disk/pg"
  chown postgres: "$disk/pg"
  space=homeboy_full_disk
  su_psql() { bash "$cluster" psql "$HOMEBOY_PG_STATE" "$PGDATABASE" "$@"; }
  su_psql -c "DROP TABLESPACE IF EXISTS $space" >/dev/null 2>&1 || true
  su_psql -c "CREATE TABLESPACE $space LOCATION '$disk/pg'" \
    -c "GRANT CREATE ON TABLESPACE $space TO \"$PGUSER\"" \
    -c "ALTER DATABASE \"$PGDATABASE\" SET default_tablespace = $space" >/dev/null
fi
if [[ -n $provider ]]; then
  hb -q module install "$provider" >"$work/install.out" || fail "module install $provider: $(cat "$work/install.out")"
fi
name=$(hb storage status)
name=$(jq -r '.data.provider.module_id + "/" + .data.provider.transport' <<<"$name")
echo "full disk on $name"

hb storage ensure-dir "$data/notes" >/dev/null
hb storage write "$data/notes/keep.txt" --content 'kept' >/dev/null
hb server create s1 --json '{"host": "one.example.com"}' >/dev/null
hb project create p1 --json '{"server_id": "s1"}' >/dev/null

# Every free byte taken (tmpfs: to the last page).
dd if=/dev/zero of="$disk/filler" bs=64k status=none 2>/dev/null || true
dd if=/dev/zero of="$disk/filler2" bs=4k status=none 2>/dev/null || true
(($(stat -f -c %a "$disk") == 0)) || fail "the tmpfs still has room: $(df -h "$disk" | tail -1)"

big=$(head -c 75000 /dev/urandom | base64 -w0)  # 100,000 characters no database compresses away
# expect_no_space WHAT COMMAND...: exit 1, stdout a valid envelope with storage.no_space and a hint.
expect_no_space() {
  local what=$1 out code=0
  shift
  out=$("$@" 2>"$work/stderr") || code=$?
  ((code == 1)) || fail "$what: exit $code, not 1: $out $(cat "$work/stderr")"
  jq -e . >/dev/null <<<"$out" || fail "$what: stdout is not one JSON envelope: $out"
  local got
  got=$(jq -r '.error.code' <<<"$out")
  [[ $got == storage.no_space ]] || fail "$what: $got, not storage.no_space: $out"
  jq -e '.error.hints[0].message | length > 0' >/dev/null <<<"$out" || fail "$what: no hint: $out"
  echo "  $what: storage.no_space"
}
expect_no_space "storage write" hb storage write "$data/notes/new.txt" --content "$big"
expect_no_space "storage write over a file" hb storage write "$data/notes/keep.txt" --content "$big"
expect_no_space "server create" hb server create s2 --json "{\"host\": \"two.example.com\", \"notes\": \"$big\"}"
expect_no_space "server set" hb server set s1 "notes=$big"
batch=$(jq -nc --arg d "$data/notes" --arg c "$big" '[{operation: "write", path: ($d + "/b1.txt"), content: $c},
  {operation: "write", path: ($d + "/b2.txt"), content: $c}]')
out=$(hb storage batch <<<"$batch" 2>"$work/stderr") || true
jq -e . >/dev/null <<<"$out" || fail "storage batch: stdout is not one JSON envelope: $out"
jq -e '[.error.details.results[] | .error_code] | all(. == "no_space" or . == "aborted") and any(. == "no_space")' \
  >/dev/null <<<"$out" \
  || fail "storage batch: no storage.no_space in $out"
echo "  storage batch: storage.no_space"

# Nothing lost, nothing half-written, nothing left at the temp name.
[[ $(hb storage read "$data/notes/keep.txt" --raw) == kept ]] || fail "keep.txt changed"
[[ $(hb server show s1 | jq -r .data.server.host) == one.example.com ]] || fail "s1 changed: $(hb server show s1)"
hb server show s1 | jq -e '.data.server | has("notes") | not' >/dev/null || fail "s1 took half a set"
[[ $(hb project show p1 | jq -r .data.project.server_id) == s1 ]] || fail "p1 changed"
out=$(hb server show s2 2>/dev/null) && fail "s2 was created on a full disk: $out"
listed=$(hb storage list "$data/notes" | jq -r '.data.entries[].path' | xargs -n1 basename | sort | tr '\n' ' ')
[[ $listed == "keep.txt " ]] || fail "the folder holds $listed, not only keep.txt"
left=$(find "$disk" -name '.homeboy-tmp*' -size +0 | head -3)
[[ -z $left ]] || fail "temp files left behind: $left"

# Room again: the same commands work.
rm -f "$disk/filler" "$disk/filler2"
hb storage write "$data/notes/new.txt" --content "$big" >/dev/null
hb server create s2 --json '{"host": "two.example.com"}' >/dev/null
hb server set s1 notes=later >/dev/null
[[ $(hb server show s1 | jq -r .data.server.notes) == later ]] || fail "set after room was made did not land"
echo "full disk: $name reports storage.no_space, loses nothing, and works again once there is room"

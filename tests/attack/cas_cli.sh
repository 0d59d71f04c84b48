#!/usr/bin/env bash
# --if-version / --if-absent from the CLI with stale versions, per provider.
set -u
A=${A:-/tmp/attack-cas}; HB=${HB:-/work/wt-attack/build/bin/homeboy}
rm -rf "$A"; mkdir -p $A/{run,mods}; chmod 700 $A/run
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1
PY=/usr/bin/python3
j() { $PY -c 'import json,sys
d=json.load(sys.stdin)
print(d["data"].get(sys.argv[1],"") if d["success"] else "ERR:"+d["error"]["code"])' "$1"; }
for p in native bash php sqlite; do
  C=$A/cfg-$p; mkdir -p $C; T=auto
  case $p in native) T=native;; bash) T=subprocess;; php) $HB --config-dir $C module install /work/wt-attack/modules/filesystem-php >/dev/null;; sqlite) $HB --config-dir $C module install /work/wt-attack/modules/sqlite-storage >/dev/null;; esac
  h() { HOMEBOY_STORAGE_TRANSPORT=$T $HB --config-dir $C storage "$@"; }
  D=$A/d-$p; h ensure-dir $D >/dev/null
  h write $D/f --content one >/dev/null
  v1=$(h read $D/f | j version)
  h write $D/f --content one >/dev/null     # same content again
  v2=$(h read $D/f | j version)
  r_stale=$(h write $D/f --content two --if-version "$v1" | j path); rc_stale=$?
  r_good=$(h write $D/f --content two --if-version "$v2" | j version)
  r_absent=$(h write $D/f --content three --if-absent | j path)
  r_del_stale=$(h delete $D/f --if-version "$v1" | j path)
  r_missing=$(h write $D/nope --content x --if-version "$v2" | j path)
  r_garbage=$(h write $D/f --content x --if-version "$(printf 'v\tx')" | j path)
  r_dir=$(h delete $D --recursive --if-version "$v2" | j path)
  h ensure-dir $D/sub >/dev/null; r_absent_dir=$(h write $D/sub --content x --if-absent | j path)
  echo "$p: same-content-changes-version=$([[ $v1 != "$v2" ]] && echo yes || echo NO) stale-write=$r_stale good-write=${r_good:+ok} if-absent-existing=$r_absent stale-delete=$r_del_stale if-version-on-missing=$r_missing garbage-version=$r_garbage delete-dir-if-version=$r_dir if-absent-on-folder=$r_absent_dir"
done
rm -rf "$A"

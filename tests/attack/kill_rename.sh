#!/usr/bin/env bash
# SIGKILL `server rename` at random moments; then count duplicated servers (old and new
# both present), dangling project references, torn documents, and temp files left after
# one more write into each folder.
set -u
A=${A:-/tmp/attack-kr}; HB=${HB:-/work/wt-attack/build/bin/homeboy}; KILLS=${KILLS:-200}; T=${T:-native}
MAXDELAY_US=${MAXDELAY_US:-15000}; NPROJ=${NPROJ:-5}
rm -rf "$A"; mkdir -p "$A"/{mods,run,cfg}; chmod 700 "$A/run"
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1 HOMEBOY_STORAGE_TRANSPORT=$T
[[ -n ${INSTALL:-} ]] && $HB --config-dir $A/cfg module install $INSTALL >/dev/null
hb() { $HB --config-dir $A/cfg "$@"; }
PY=/usr/bin/python3
dup=0 dangling=0 torn=0 killed_mid=0 gone=0 end=$((SECONDS+${SECS:-100}))
for ((k = 0; k < KILLS && SECONDS < end; k++)); do
  hb server create a$k >/dev/null
  for ((i = 0; i < NPROJ; i++)); do hb project create p$k-$i --json "{\"server_id\":\"a$k\"}" >/dev/null; done
  $HB --config-dir $A/cfg server rename a$k b$k >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '0.%06d' $((RANDOM * 32768 % (MAXDELAY_US))))"
  kill -9 $pid 2>/dev/null && killed_mid=$((killed_mid+1))
  wait $pid 2>/dev/null
  ha=$(hb server show a$k >/dev/null 2>&1 && echo 1 || echo 0); hbb=$(hb server show b$k >/dev/null 2>&1 && echo 1 || echo 0)
  [[ $ha$hbb == 11 ]] && dup=$((dup+1))
  [[ $ha$hbb == 00 ]] && gone=$((gone+1))
  for ((i = 0; i < NPROJ; i++)); do
    s=$(hb project show p$k-$i | $PY -c 'import json,sys; d=json.load(sys.stdin)["data"]; e=d.get("project",d); print(e.get("server_id"))' 2>/dev/null)
    [[ $s == a$k && $ha == 1 ]] || [[ $s == b$k && $hbb == 1 ]] || { dangling=$((dangling+1)); [[ -n ${VERBOSE:-} ]] && echo "round $k: p$k-$i -> $s (a=$ha b=$hbb)"; }
  done
done
# one more write into every config folder, then look for temp files
for kind in server project; do hb $kind create zz-$kind >/dev/null 2>&1; done
hb component create zz-c >/dev/null
tmp=$(find $A/cfg -name '.homeboy-tmp*' | wc -l)
echo "$T ${INSTALL:-}: renames=$k killed_mid_run=$killed_mid duplicated(old+new)=$dup both_gone=$gone dangling_project_refs=$dangling temp_left=$tmp"
rm -rf "$A"

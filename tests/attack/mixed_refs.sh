#!/usr/bin/env bash
# Mixed parallel config changes; afterwards: dangling references, lost acknowledged sets,
# leftover temp files, duplicate documents.
# usage: T=native|subprocess [INSTALL=/work/wt-attack/modules/x] ROUNDS=10 bash mixed_refs.sh
set -u
A=${A:-/tmp/attack-mix}; HB=${HB:-/work/wt-attack/build/bin/homeboy}; ROUNDS=${ROUNDS:-10}; T=${T:-native}
rm -rf "$A"; mkdir -p "$A"/{mods,run,cfg,o}; chmod 700 "$A/run"
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1 HOMEBOY_STORAGE_TRANSPORT=$T
[[ -n ${INSTALL:-} ]] && $HB --config-dir $A/cfg module install $INSTALL >/dev/null
hb() { $HB --config-dir $A/cfg "$@"; }
PY=/usr/bin/python3
dangling=0 lost_set=0 both_ok_delete=0 rename_fail=0
for ((r = 0; r < ROUNDS; r++)); do
  hb server create s$r >/dev/null
  for i in 1 2 3 4; do (hb project create p$r-$i --json "{\"server_id\":\"s$r\"}" >$A/o/p$i; echo $? >$A/o/p$i.rc) & done
  (hb server delete s$r >$A/o/d; echo $? >$A/o/d.rc) &
  wait
  # rename while set
  hb server create m$r >/dev/null; hb project create q$r --json "{\"server_id\":\"m$r\"}" >/dev/null
  (hb server rename m$r n$r >$A/o/rn; echo $? >$A/o/rn.rc) &
  for i in 1 2 3; do (hb server set m$r "{\"k$i\":$i}" >$A/o/s$i; echo $? >$A/o/s$i.rc) & done
  (hb project set q$r '{"touched":true}' >$A/o/qs; echo $? >$A/o/qs.rc) &
  wait
  [[ $(cat $A/o/rn.rc) == 0 ]] || { rename_fail=$((rename_fail+1)); head -c 400 $A/o/rn; echo; }
  for i in 1 2 3; do
    if [[ $(cat $A/o/s$i.rc) == 0 ]]; then
      # acknowledged: the key must be in m$r or n$r
      found=0
      for id in m$r n$r; do hb server show $id 2>/dev/null | grep -q "\"k$i\"" && found=1; done
      ((found)) || { lost_set=$((lost_set+1)); echo "round $r: acknowledged set k$i lost"; }
    fi
  done
  if [[ $(cat $A/o/qs.rc) == 0 ]]; then hb project show q$r | grep -q touched || { lost_set=$((lost_set+1)); echo "round $r: project set lost"; }; fi
done
# dangling references
hb project list > $A/o/pl; hb server list > $A/o/sl
dangling=$($PY - $A/o/pl $A/o/sl <<'PYEOF'
import json,sys
p=json.load(open(sys.argv[1]))["data"]; s=json.load(open(sys.argv[2]))["data"]
def items(d):
    for k,v in d.items():
        if isinstance(v,list) and v and isinstance(v[0],dict): return v
    return []
servers={x["id"] for x in items(s)}
bad=[x["id"]+"->"+str(x.get("server_id")) for x in items(p) if x.get("server_id") and x["server_id"] not in servers]
print(len(bad), " ".join(bad[:10]))
PYEOF
)
tmp=$(find $A/cfg -name '.homeboy-tmp*' | wc -l)
echo "$T ${INSTALL:-}: rounds=$ROUNDS dangling=[$dangling] lost_acknowledged_sets=$lost_set rename_failures=$rename_fail temp_left=$tmp"
rm -rf "$A"

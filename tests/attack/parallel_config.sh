#!/usr/bin/env bash
# Parallel config changes on every shipped provider.
# usage: ROUNDS=3 N=20 bash parallel_config.sh [native bash php sqlite]
set -u
A=${A:-/tmp/attack-par}; HB=${HB:-/work/wt-attack/build/bin/homeboy}
ROUNDS=${ROUNDS:-3}; N=${N:-20}; NC=${NC:-8}
rm -rf "$A"; mkdir -p "$A"/{mods,run}; chmod 700 "$A/run"
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1
PY=/usr/bin/python3
provs=${*:-native bash php sqlite}
for p in $provs; do
  CFG=$A/cfg-$p; mkdir -p $CFG; T=auto
  case $p in
    native) T=native ;; bash) T=subprocess ;;
    php) $HB --config-dir $CFG module install /work/wt-attack/modules/filesystem-php >/dev/null ;;
    sqlite) $HB --config-dir $CFG module install /work/wt-attack/modules/sqlite-storage >/dev/null ;;
  esac
  export HOMEBOY_STORAGE_TRANSPORT=$T
  lost=0 busy=0 dup=0 bad_create=0 other=0
  start=$SECONDS
  for ((r = 0; r < ROUNDS; r++)); do
    $HB --config-dir $CFG server create s$r --json '{}' >/dev/null
    for ((i = 0; i < N; i++)); do
      ( $HB --config-dir $CFG server set s$r "{\"k$i\": $i}" >$A/set.$i.out 2>&1; echo $? >$A/set.$i.rc ) &
    done
    wait
    for ((i = 0; i < N; i++)); do
      rc=$(cat $A/set.$i.rc); [[ $rc == 0 ]] || { grep -q config.busy $A/set.$i.out && busy=$((busy+1)) || { other=$((other+1)); head -c 300 $A/set.$i.out; }; }
    done
    keys=$($HB --config-dir $CFG server show s$r | $PY -c 'import json,sys; d=json.load(sys.stdin)["data"]; e=d.get("server") or d.get("entity") or d; print(sum(1 for k in e if k.startswith("k")))')
    lost=$((lost + N - keys))
    for ((i = 0; i < NC; i++)); do
      ( $HB --config-dir $CFG project create same$r --json '{"server_id":"s'$r'"}' >$A/cr.$i.out 2>&1; echo $? >$A/cr.$i.rc ) &
    done
    wait
    ok=0 exists=0
    for ((i = 0; i < NC; i++)); do
      rc=$(cat $A/cr.$i.rc); [[ $rc == 0 ]] && ok=$((ok+1)); grep -q already_exists $A/cr.$i.out && exists=$((exists+1))
    done
    [[ $ok == 1 && $exists == $((NC-1)) ]] || { bad_create=$((bad_create+1)); echo "round $r: creates ok=$ok exists=$exists"; }
  done
  echo "$p: rounds=$ROUNDS sets=$((ROUNDS*N)) lost_keys=$lost busy=$busy other_fail=$other bad_create_rounds=$bad_create secs=$((SECONDS-start))"
done
rm -rf "$A"

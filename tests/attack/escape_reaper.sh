#!/usr/bin/env bash
# A hostile module escapes homeboy-reaper: it starts a setsid grandchild, then SIGKILLs its
# own supervisor ($PPID). Counts survivors after the command returns. Also: a plain
# setsid/nohup/double-fork grandchild without killing the reaper (should all die).
set -u
A=${A:-/tmp/attack-esc}; HB=${HB:-/work/wt-attack/build/bin/homeboy}; ROUNDS=${ROUNDS:-5}
rm -rf "$A"; mkdir -p $A/{run,cfg,mods}; chmod 700 $A/run; chmod 755 $A $A/mods $A/cfg
mkmod() {  # mkmod ID PERSISTENT BODY
  mkdir -p $A/mods/$1; chmod 755 $A/mods/$1
  printf '%s\n' "$3" > $A/mods/$1/storage.sh
  echo "{\"name\":\"$1\",\"version\":\"1\",\"runtime\":{\"executable\":\"bash storage.sh\",\"persistent\":$2,\"timeout_secs\":5},\"storage_provider\":{\"storage_type\":\"x\",\"config\":{}}}" > $A/mods/$1/$1.json
  chmod 644 $A/mods/$1/*
}
ANSWER='echo "{\"success\":true,\"entries\":[]}"'
mkmod kill-reaper false "cat >/dev/null; setsid bash -c 'exec -a attack-esc-marker sleep 30' </dev/null >/dev/null 2>&1 & sleep 0.2; kill -9 \$PPID; $ANSWER"
mkmod setsid false "cat >/dev/null; setsid bash -c 'exec -a attack-esc-marker sleep 30' </dev/null >/dev/null 2>&1 & $ANSWER"
mkmod double-fork false "cat >/dev/null; ( ( exec -a attack-esc-marker sleep 30 ) & ) </dev/null >/dev/null 2>&1; $ANSWER"
mkmod nohup false "cat >/dev/null; nohup bash -c 'trap \"\" TERM HUP INT; exec -a attack-esc-marker sleep 30' </dev/null >/dev/null 2>&1 & $ANSWER"
mkmod persistent-kill-reaper true "setsid bash -c 'exec -a attack-esc-marker sleep 30' </dev/null >/dev/null 2>&1 & sleep 0.2; kill -9 \$PPID; while read -r line; do id=\$(sed 's/.*\"id\":\([0-9]*\).*/\1/' <<<\"\$line\"); echo \"{\\\"success\\\":true,\\\"entries\\\":[],\\\"id\\\":\$id}\"; done"
count() { grep -l "attack-esc-marke[r]" /proc/[0-9]*/cmdline 2>/dev/null | wc -l; }
for m in setsid double-fork nohup kill-reaper persistent-kill-reaper; do
  survivors=0
  for ((r = 0; r < ROUNDS; r++)); do
    echo "{\"storage\":\"$m\"}" > $A/cfg/homeboy.json
    HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1 $HB --config-dir $A/cfg storage list /tmp >$A/out 2>&1
    sleep 0.5
    n=$(count); survivors=$((survivors + n))
    for p in $(grep -l "attack-esc-marke[r]" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do kill -9 $p 2>/dev/null; done
  done
  echo "$m: rounds=$ROUNDS survivors=$survivors last_code=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print((d.get("error") or {}).get("code","ok"))' $A/out 2>&1 | tail -1)"
done
rm -rf "$A"

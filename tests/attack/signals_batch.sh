#!/usr/bin/env bash
# SIGINT/SIGTERM/SIGHUP during a long bash-module batch: exit code, envelope, leftover
# processes (any process whose cwd or cmdline names our scratch folder), temp files.
set -um  # job control: background jobs keep SIGINT
A=${A:-/tmp/attack-sig}; HB=${HB:-/work/wt-attack/build/bin/homeboy}; N=${N:-20000}
rm -rf "$A"; mkdir -p "$A"/{mods,run,cfg,data}; chmod 700 "$A/run"
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1 HOMEBOY_STORAGE_TRANSPORT=${T:-subprocess}
/usr/bin/python3 -c "
import json
print(json.dumps([{'operation':'write','path':'$A/data/f%05d'%i,'content':'x'*100} for i in range($N)]))" > $A/batch.json
for sig in INT TERM HUP; do
  rm -rf $A/data; mkdir -p $A/data
  $HB --config-dir $A/cfg storage batch --file $A/batch.json >$A/out.$sig 2>$A/err.$sig &
  pid=$!
  sleep ${DELAY:-1.5}
  kill -$sig $pid
  wait $pid; rc=$?
  sleep 0.3
  left=$(grep -lz "^HOMEBOY_CONFIG_DIR=$A/cfg$" /proc/[0-9]*/environ 2>/dev/null | wc -l)
  n1=$(ls $A/data | wc -l); sleep 1; n2=$(ls $A/data | wc -l)
  tmp=$(find $A/data -name '.homeboy-tmp*' | wc -l); staged=$(find $A/data/.homeboy-tmp -type f 2>/dev/null | wc -l)
  valid=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["error"]["code"], d["error"]["details"].get("signal"))' $A/out.$sig 2>&1 | tail -1)
  echo "SIG$sig: rc=$rc envelope=[$valid] procs_left=$left files=$n1->$n2 temp_entries=$tmp staged_files=$staged"
done
rm -rf "$A"

#!/usr/bin/env bash
# Reads of odd files and over-long paths through every provider: the error each gives.
set -u
A=${A:-/tmp/attack-odd}; HB=${HB:-/work/wt-attack/build/bin/homeboy}
rm -rf "$A"; mkdir -p $A/{run,mods,d}; chmod 700 $A/run
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1
mkfifo $A/d/fifo; ln -s loop2 $A/d/loop1; ln -s loop1 $A/d/loop2; ln -s missing $A/d/dangling
truncate -s 300M $A/d/big300; echo x > $A/d/file
long=$A/d/$(printf 'n%.0s' $(seq 1 256)); comp255=$A/d/$(printf 'n%.0s' $(seq 1 255))
deep=$A/d; while ((${#deep} < 4100)); do deep+=/abcdefghij; done
declare -A P=([fifo]=$A/d/fifo [dev_zero]=/dev/zero [proc_status]=/proc/self/status [proc_cpuinfo]=/proc/cpuinfo
  [big300]=$A/d/big300 [loop]=$A/d/loop1 [dangling]=$A/d/dangling [folder]=$A/d [through_file]=$A/d/file/x
  [name256]=$long [name255_missing]=$comp255 [path4100]=$deep)
for p in native bash php sqlite; do
  C=$A/cfg-$p; mkdir -p $C; T=auto
  case $p in native) T=native;; bash) T=subprocess;; php) $HB --config-dir $C module install /work/wt-attack/modules/filesystem-php >/dev/null;; sqlite) $HB --config-dir $C module install /work/wt-attack/modules/sqlite-storage >/dev/null;; esac
  line="$p:"
  for k in fifo dev_zero proc_status proc_cpuinfo big300 loop dangling folder through_file name256 name255_missing path4100; do
    out=$( (ulimit -v 6000000; HOMEBOY_STORAGE_TRANSPORT=$T timeout 60 /usr/bin/time -f '%M' -o $A/mem $HB --config-dir $C storage read "${P[$k]}" 2>/dev/null) )
    rc=$?
    code=$(printf '%s' "$out" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print("ok" if d["success"] else d["error"]["code"].replace("storage.",""))' 2>/dev/null || echo "?")
    extra=; [[ $k == big300 ]] && extra="/$(( $(tail -1 $A/mem) / 1024 ))MB"
    line+=" $k=$code($rc)$extra"
  done
  echo "$line"
done
rm -rf "$A"

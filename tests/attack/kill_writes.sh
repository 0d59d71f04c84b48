#!/usr/bin/env bash
# SIGKILL `storage write` and `storage batch` at random moments; then: torn files (content
# not one of the versions written), temp files left after one more write into the folder.
set -u
A=${A:-/tmp/attack-kw}; HB=${HB:-/work/wt-attack/build/bin/homeboy}; KILLS=${KILLS:-300}; T=${T:-native}; SECS=${SECS:-100}
rm -rf "$A"; mkdir -p $A/{run,mods,cfg,d}; chmod 700 $A/run
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1 HOMEBOY_STORAGE_TRANSPORT=$T
[[ -n ${INSTALL:-} ]] && $HB --config-dir $A/cfg module install $INSTALL >/dev/null
for v in a b; do head -c 2000000 /dev/zero | tr '\0' $v > $A/content-$v; done
/usr/bin/python3 -c "
import json
print(json.dumps([{'operation':'write','path':'$A/d/batch%02d'%i,'content':'c'*20000} for i in range(40)]))" > $A/batch.json
$HB --config-dir $A/cfg storage write $A/d/f --file $A/content-a >/dev/null
torn=0 k=0 end=$((SECONDS+SECS))
for ((k = 0; k < KILLS && SECONDS < end; k++)); do
  if ((k % 2)); then $HB --config-dir $A/cfg storage write $A/d/f --file $A/content-$([[ $((k%4)) == 1 ]] && echo a || echo b) >/dev/null 2>&1 &
  else $HB --config-dir $A/cfg storage batch --file $A/batch.json >/dev/null 2>&1 & fi
  pid=$!
  sleep "$(printf '0.%03d' $((RANDOM % ${MAXMS:-40})))"
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  c=$(head -c 2000000 $A/d/f | tr -d 'a' | wc -c); c2=$(head -c 2000000 $A/d/f | tr -d 'b' | wc -c)
  [[ $c == 0 || $c2 == 0 ]] && [[ $(stat -c %s $A/d/f) == 2000000 ]] || torn=$((torn+1))
  for f in $A/d/batch*; do [[ -e $f ]] || continue; [[ $(stat -c %s $f) == 20000 ]] || torn=$((torn+1)); done
done
before=$(find $A/d -name '.homeboy-tmp*' | wc -l)
$HB --config-dir $A/cfg storage write $A/d/one-more --content x >/dev/null
after=$(find $A/d -name '.homeboy-tmp*' | wc -l)
leftover=$(pgrep -f "$A/cfg" | wc -l)
echo "$T ${INSTALL:-}: kills=$k torn=$torn temp_before_next_write=$before temp_after=$after"
rm -rf "$A"

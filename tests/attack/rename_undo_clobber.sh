#!/usr/bin/env bash
# A rename that fails late (the old server changed meanwhile) puts every project it had
# rewritten back with an unconditional write. A `project set` acknowledged in between is lost.
set -u
A=${A:-/tmp/attack-undo}; HB=${HB:-/work/wt-attack/build/bin/homeboy}; ROUNDS=${ROUNDS:-10}; T=${T:-subprocess}; NP=${NP:-6}
rm -rf "$A"; mkdir -p $A/{run,mods,cfg,o}; chmod 700 $A/run
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1 HOMEBOY_STORAGE_TRANSPORT=$T
[[ -n ${INSTALL:-} ]] && $HB --config-dir $A/cfg module install $INSTALL >/dev/null
hb() { $HB --config-dir $A/cfg "$@"; }
acked=0 lost=0
for ((r = 0; r < ROUNDS; r++)); do
  hb server create s$r >/dev/null
  for ((i = 0; i < NP; i++)); do hb project create p$r-$i --json "{\"server_id\":\"s$r\"}" >/dev/null; done
  $HB --config-dir $A/cfg server rename s$r t$r >/dev/null 2>&1 &
  for ((j = 0; j < 4; j++)); do
    ( for ((k = 0; k < 3; k++)); do $HB --config-dir $A/cfg server set s$r "{\"n$j$k\":1}" >/dev/null 2>&1; done ) &
  done
  for ((i = 0; i < NP; i++)); do
    ( for ((k = 0; k < 4; k++)); do
        if $HB --config-dir $A/cfg project set p$r-$i "{\"mark$k\":true}" >/dev/null 2>&1; then echo "p$r-$i mark$k" >> $A/o/acked; fi
      done ) &
  done
  wait
done
while read -r p key; do
  acked=$((acked+1))
  hb project show $p | grep -q "\"$key\"" || { lost=$((lost+1)); echo "lost: $p $key"; }
done < $A/o/acked
echo "$T ${INSTALL:-}: rounds=$ROUNDS acknowledged project sets=$acked lost=$lost"
[[ -n ${KEEP:-} ]] || rm -rf "$A"

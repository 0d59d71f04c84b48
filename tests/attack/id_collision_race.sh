#!/usr/bin/env bash
# Ids are unique across kinds (config.md). Race: server create X || component create X,
# and server rename s -> X || component create X. Counts rounds where both ended up existing.
set -u
A=${A:-/tmp/attack-idc}; HB=${HB:-/work/wt-attack/build/bin/homeboy}; ROUNDS=${ROUNDS:-30}
T=${T:-native}
rm -rf "$A"; mkdir -p "$A"/{mods,run,cfg}; chmod 700 "$A/run"
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1 HOMEBOY_STORAGE_TRANSPORT=$T
[[ -n ${INSTALL:-} ]] && $HB --config-dir $A/cfg module install $INSTALL >/dev/null
both_create=0 both_rename=0
for ((r = 0; r < ROUNDS; r++)); do
  $HB --config-dir $A/cfg server create x$r >/dev/null & $HB --config-dir $A/cfg component create x$r >/dev/null & wait
  s=$($HB --config-dir $A/cfg server show x$r >/dev/null 2>&1 && echo 1); c=$($HB --config-dir $A/cfg component show x$r >/dev/null 2>&1 && echo 1)
  [[ $s == 1 && $c == 1 ]] && both_create=$((both_create+1))
  $HB --config-dir $A/cfg server create old$r >/dev/null
  $HB --config-dir $A/cfg server rename old$r y$r >/dev/null & $HB --config-dir $A/cfg component create y$r >/dev/null & wait
  s=$($HB --config-dir $A/cfg server show y$r >/dev/null 2>&1 && echo 1); c=$($HB --config-dir $A/cfg component show y$r >/dev/null 2>&1 && echo 1)
  [[ $s == 1 && $c == 1 ]] && both_rename=$((both_rename+1))
done
echo "$T ${INSTALL:-}: rounds=$ROUNDS create-vs-create both exist: $both_create; rename-vs-create both exist: $both_rename"
rm -rf "$A"

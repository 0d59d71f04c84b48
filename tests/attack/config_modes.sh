#!/usr/bin/env bash
# Modes of homeboy's own config (issue 11 #4: documents 0600 in a 0700 config folder), on
# every shipped provider, for a fresh config folder and for one that already exists as 0755.
set -u
A=${A:-/tmp/attack-modes}; HB=${HB:-/work/wt-attack/build/bin/homeboy}
rm -rf "$A"; mkdir -p $A/{run,mods}; chmod 700 $A/run; chmod 755 $A
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1
umask 022
for p in native bash php sqlite; do
  for pre in fresh existing-0755; do
    C=$A/$p-$pre/cfg; [[ $pre == existing-0755 ]] && mkdir -p -m 755 $C
    T=auto; case $p in native) T=native;; bash) T=subprocess;; php) $HB --config-dir $C module install /work/wt-attack/modules/filesystem-php >/dev/null;; sqlite) $HB --config-dir $C module install /work/wt-attack/modules/sqlite-storage >/dev/null;; esac
    HOMEBOY_STORAGE_TRANSPORT=$T $HB --config-dir $C server create web --json '{"password":"hunter2"}' >/dev/null || echo "create failed"
    line="$p/$pre: cfg=$(stat -c %a $C)"
    [[ -d $C/servers ]] && line+=" servers/=$(stat -c %a $C/servers) web.json=$(stat -c %a $C/servers/web.json)"
    for f in $C/storage.db $C/storage.db-wal $C/storage.db-journal; do [[ -e $f ]] && line+=" ${f##*/}=$(stat -c %a $f)"; done
    echo "$line"
  done
done
rm -rf "$A"

#!/usr/bin/env bash
# `.homeboy-tmp` is the filesystem providers' temp name, but a user may write a file or make
# a folder of that name through homeboy. What happens to it at the next write into the folder?
set -u
A=${A:-/tmp/attack-rt}; HB=${HB:-/work/wt-attack/build/bin/homeboy}
rm -rf "$A"; mkdir -p $A/{run,mods,cfg-php}; chmod 700 $A/run
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1
$HB --config-dir $A/cfg-php module install /work/wt-attack/modules/filesystem-php >/dev/null
for p in native bash php; do
  C=$A/cfg-$p; mkdir -p $C; T=auto; case $p in native) T=native;; bash) T=subprocess;; esac
  h() { HOMEBOY_STORAGE_TRANSPORT=$T $HB --config-dir $C storage "$@"; }
  D=$A/d-$p; h ensure-dir $D >/dev/null
  w=$(h write $D/.homeboy-tmp --content 'my notes' | grep -m1 -o '"success": [a-z]*\|"code": "[^"]*"')
  listed=$(h list $D | grep -c homeboy-tmp)
  h write $D/other --content x >/dev/null
  after=$([[ -e $D/.homeboy-tmp ]] && echo kept || echo GONE)
  h ensure-dir $D/.homeboy-tmp/keep >/dev/null; h write $D/.homeboy-tmp/keep/important --content precious >/dev/null
  h write $D/other --content y >/dev/null
  dir_after=$([[ -e $D/.homeboy-tmp/keep/important ]] && echo kept || echo GONE)
  echo "$p: write .homeboy-tmp -> $w, listed=$listed, after next write: $after; folder .homeboy-tmp/keep/important after next write: $dir_after"
done
rm -rf "$A"

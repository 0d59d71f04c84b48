#!/usr/bin/env bash
# Trust checks (issue 11 #1): each case builds one module on HOMEBOY_MODULE_PATH and reports
# whether homeboy refused it and whether the module's code ran (it touches $A/RAN-<case>).
set -u
A=${A:-/tmp/attack-trust}; HB=${HB:-/work/wt-attack/build/bin/homeboy}
rm -rf "$A"; mkdir -p "$A"/{run,cfg,shared}; chmod 700 "$A/run"; chmod 755 $A $A/cfg
export XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1
mk() {  # mk CASE EXECUTABLE_WORDS -> module folder $A/m-CASE/mods/CASE with storage.sh
  local c=$1 exe=$2 d=$A/m-$1/mods/$1
  mkdir -p $d; chmod 755 $A/m-$1 $A/m-$1/mods $d
  cat > $d/storage.sh <<SH
touch $A/RAN-$c
cat >/dev/null; echo '{"success":true,"entries":[]}'
SH
  cat > $d/$c.json <<JS
{"name":"$c","version":"1","runtime":{"executable":"$exe"},"storage_provider":{"storage_type":"x","config":{}}}
JS
  chmod 644 $d/*
}
run() {  # run CASE EXPECT(refused|runs)
  local c=$1 expect=$2 out code
  rm -f $A/RAN-$c
  out=$(HOMEBOY_MODULE_PATH=$A/m-$c/mods $HB --config-dir $A/cfg storage list /tmp 2>&1)
  code=$(printf '%s' "$out" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print((d.get("error") or {}).get("code","ok"))' 2>/dev/null)
  local ran=no; [[ -e $A/RAN-$c ]] && ran=yes
  local verdict=OK
  [[ $expect == refused && ( $code == ok || $ran == yes ) ]] && verdict=WRONG
  [[ $expect == runs && $ran != yes ]] && verdict=WRONG
  printf '%-28s expect=%-8s got=%-24s ran=%-3s %s\n' "$c" "$expect" "$code" "$ran" "$verdict"
}
# baseline
mk ok "bash storage.sh"; run ok runs
mk gw "bash storage.sh"; chmod g+w $A/m-gw/mods/gw; run gw refused
mk ow_manifest "bash storage.sh"; chmod o+w $A/m-ow_manifest/mods/ow_manifest/ow_manifest.json; run ow_manifest refused
mk ow_script "bash storage.sh"; chmod o+w $A/m-ow_script/mods/ow_script/storage.sh; run ow_script refused
mk nobody_dir "bash storage.sh"; chown nobody $A/m-nobody_dir/mods/nobody_dir; run nobody_dir refused
mk nobody_script "bash storage.sh"; chown nobody $A/m-nobody_script/mods/nobody_script/storage.sh; run nobody_script refused
mk nobody_parent "bash storage.sh"; chown nobody $A/m-nobody_parent; run nobody_parent refused
mk ww_parent "bash storage.sh"; chmod 777 $A/m-ww_parent; run ww_parent refused
mk sticky_root "bash storage.sh"; chmod 1777 $A/m-sticky_root/mods; run sticky_root refused
# the script an interpreter runs, outside the module folder
cp $A/m-ok/mods/ok/storage.sh $A/shared/evil.sh; chmod 666 $A/shared/evil.sh; chmod 777 $A/shared
sed -i "s/RAN-ok/RAN-abs_script/" $A/shared/evil.sh
mk abs_script "bash $A/shared/evil.sh"; run abs_script refused
cp $A/shared/evil.sh $A/m-dotdot_script/evil.sh 2>/dev/null || { mkdir -p $A/m-dotdot_script; }
mk dotdot_script "bash ../../evil.sh"; cp $A/shared/evil.sh $A/m-dotdot_script/evil.sh; sed -i "s/RAN-abs_script/RAN-dotdot_script/" $A/m-dotdot_script/evil.sh; chmod 666 $A/m-dotdot_script/evil.sh; run dotdot_script refused
mk env_preload "/usr/bin/env BASH_ENV=$A/shared/evil.sh bash storage.sh"; sed -i "s/RAN-abs_script/RAN-env_preload/" $A/shared/evil.sh; run env_preload refused
mk abs_exe "$A/shared/evil.sh"; chmod +x $A/shared/evil.sh; run abs_exe refused
mk dotdot_exe "../../../shared/evil.sh"; run dotdot_exe refused
mk link_out "bash storage.sh"; rm $A/m-link_out/mods/link_out/storage.sh; ln -s $A/shared/evil.sh $A/m-link_out/mods/link_out/storage.sh; run link_out refused
mk builtin "bash storage.sh"; mv $A/m-builtin/mods/builtin $A/m-builtin/mods/builtin-filesystem; mv $A/m-builtin/mods/builtin-filesystem/builtin.json $A/m-builtin/mods/builtin-filesystem/builtin-filesystem.json
HOMEBOY_MODULE_PATH=$A/m-builtin/mods $HB --config-dir $A/cfg storage status 2>&1 | grep -E '"code"|module_id|manifest_path' | head -3
sed -i "s/RAN-abs_script/RAN-builtin-filesystem/" $A/m-builtin/mods/builtin-filesystem/storage.sh
rm -rf "$A"

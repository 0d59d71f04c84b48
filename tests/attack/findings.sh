#!/usr/bin/env bash
# Quick reproductions of the attack findings (branch `attack`). Each check prints
# "REPRODUCED <name>: ..." when the bug is there, "held <name>" when it is not; the script
# exits 1 when anything reproduced. Bounded: about 2 minutes in all on 2 cores.
# usage: bash tests/attack/findings.sh [check ...]     (default: all)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HB=${HB:-$ROOT/build/bin/homeboy}; PY=/usr/bin/python3
A=${A:-/tmp/attack-findings}; rm -rf "$A"; mkdir -p "$A"; chmod 755 "$A"
export HOMEBOY_QUIET=1
reproduced=0
say() { if [[ $1 == yes ]]; then reproduced=$((reproduced+1)); echo "REPRODUCED $2: $3"; else echo "held $2${3:+: $3}"; fi; }
fresh() {  # fresh NAME -> sets D (scratch), exports module path, runtime dir
  D=$A/$1; rm -rf "$D"; mkdir -p $D/{run,mods,cfg,data}; chmod 700 $D/run; chmod 755 $D/mods
  export HOMEBOY_MODULE_PATH=$D/mods XDG_RUNTIME_DIR=$D/run; unset HOMEBOY_STORAGE_TRANSPORT
}
code_of() { $PY -c 'import json,sys; d=json.load(sys.stdin); print("ok" if d["success"] else d["error"]["code"])' 2>/dev/null; }

check_bash_batch_nul_shift() {
  fresh nul; export HOMEBOY_STORAGE_TRANSPORT=subprocess
  printf '[{"operation":"write","path":"%s/a","content":"x\\u0000y"},{"operation":"write","path":"%s/b","content":"B"}]' $D/data $D/data \
    | $HB --config-dir $D/cfg storage batch - >/dev/null
  local b; b=$(cat $D/data/b)
  [[ $b != B ]] && say yes bash_batch_nul_shift "wrote b=\"B\" after a write holding a NUL; b now holds \"$b\" (exit 0)" || say no bash_batch_nul_shift
}

check_reserved_temp_name() {
  fresh tmpname; local lost=""
  for t in native subprocess; do
    export HOMEBOY_STORAGE_TRANSPORT=$t; rm -rf $D/data; mkdir -p $D/data
    $HB --config-dir $D/cfg storage ensure-dir $D/data/.homeboy-tmp >/dev/null
    local c; c=$($HB --config-dir $D/cfg storage write $D/data/.homeboy-tmp/notes --content precious | code_of)
    $HB --config-dir $D/cfg storage write $D/data/other --content x >/dev/null
    [[ $c == ok && ! -e $D/data/.homeboy-tmp/notes ]] && lost+="$t "
  done
  [[ -n $lost ]] && say yes reserved_temp_name "a file written (success) into folder .homeboy-tmp is deleted by the next write into its parent ($lost)" || say no reserved_temp_name
}

check_silent_switch_missing_manifest() {
  fresh switch1
  $HB --config-dir $D/cfg module install $ROOT/modules/sqlite-storage >/dev/null
  $HB --config-dir $D/cfg server create s1 >/dev/null
  mv $D/cfg/modules/sqlite-storage/sqlite-storage.json $D/manifest.bak
  local out; out=$($HB --config-dir $D/cfg storage status 2>/dev/null)
  local id; id=$(printf '%s' "$out" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["data"]["provider"]["module_id"] if d["success"] else d["error"]["code"])')
  [[ $id == builtin-filesystem ]] && say yes silent_switch_missing_manifest "the only provider lost its manifest: storage status exits 0 with builtin-filesystem; server list is empty" || say no silent_switch_missing_manifest "$id"
}

check_silent_switch_dangling_link() {
  fresh switch2; mkdir -p $D/src; cp -r $ROOT/modules/sqlite-storage $D/src/; chmod -R go-w $D/src
  $HB --config-dir $D/cfg module install $D/src/sqlite-storage --link >/dev/null
  $HB --config-dir $D/cfg server create s1 >/dev/null
  mv $D/src $D/src-gone
  local err id; id=$($HB --config-dir $D/cfg storage status 2>$D/err | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["data"]["provider"]["module_id"] if d["success"] else d["error"]["code"])')
  local c; c=$($HB --config-dir $D/cfg server create s1 2>>$D/err | code_of)
  [[ $id == builtin-filesystem ]] && say yes silent_switch_dangling_link "linked provider's target gone: builtin-filesystem selected, $(grep -c warning $D/err) warnings, 'server create s1' again -> $c" || say no silent_switch_dangling_link "$id"
}

check_isolation_ignored() {
  fresh iso; mkdir -p -m 755 $D/mods/fx
  cp $ROOT/build/tests/fixture-plugins/libfixture_crash.so $D/mods/fx/; chmod 644 $D/mods/fx/*.so
  echo '{"name":"fx","version":"1","runtime":{"library":"libfixture_crash.so","isolation":"process","timeout_secs":2},"storage_provider":{"storage_type":"fx","config":{}}}' > $D/mods/fx/fx.json
  chmod 644 $D/mods/fx/fx.json
  $HB --config-dir $D/cfg storage read /crash >$D/out 2>/dev/null; local rc=$?
  [[ $rc == 139 || ! -s $D/out ]] && say yes isolation_ignored "runtime.isolation=process is accepted, but a SIGSEGV in read ends homeboy with $rc and no envelope" || say no isolation_ignored "rc=$rc"
}

check_atomic_batch_chunked() {
  fresh atomic; $HB --config-dir $D/cfg module install $ROOT/modules/sqlite-storage >/dev/null
  $HB --config-dir $D/cfg storage ensure-dir /d >/dev/null
  $PY -c 'import json; ops=[{"operation":"write","path":"/d/f%03d"%i,"content":"x"} for i in range(100)]; ops.append({"operation":"write","path":"/missing/x","content":"x"}); print(json.dumps(ops))' \
    | $HB --config-dir $D/cfg storage batch - >/dev/null
  local n; n=$($HB --config-dir $D/cfg storage list /d | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["entries"]))')
  [[ $n != 0 ]] && say yes atomic_batch_chunked "sqlite-storage declares atomic_batch; a 101-operation batch whose last write fails left $n writes committed" || say no atomic_batch_chunked
}

check_config_world_readable() {
  fresh modes; local bad=""
  mkdir -p -m 755 $D/cfg-native; HOMEBOY_STORAGE_TRANSPORT=native $HB --config-dir $D/cfg-native server create web --json '{"password":"x"}' >/dev/null
  [[ $(stat -c %a $D/cfg-native/servers/web.json) != 600 ]] && bad+="native(existing 0755 folder)=$(stat -c %a $D/cfg-native/servers/web.json) "
  $HB --config-dir $D/cfg-sq module install $ROOT/modules/sqlite-storage >/dev/null; $HB --config-dir $D/cfg-sq server create web --json '{"password":"x"}' >/dev/null
  bad+="sqlite(fresh) cfg=$(stat -c %a $D/cfg-sq) storage.db=$(stat -c %a $D/cfg-sq/storage.db) "
  [[ $bad == *644* ]] && say yes config_world_readable "$bad" || say no config_world_readable "$bad"
}

check_id_collision_race() {
  fresh idc; local both=0
  for r in 1 2 3 4 5 6; do
    $HB --config-dir $D/cfg server create x$r >/dev/null & $HB --config-dir $D/cfg component create x$r >/dev/null & wait
    $HB --config-dir $D/cfg server show x$r >/dev/null && $HB --config-dir $D/cfg component show x$r >/dev/null && both=$((both+1))
  done
  ((both)) && say yes id_collision_race "'server create X' || 'component create X': both exist in $both of 6 rounds" || say no id_collision_race
}

check_batch_failure_unreported() {
  fresh unrep; mkdir -p -m 755 $D/mods/nb
  printf '%s\n' 'ev=$(cat); case $ev in *crash*) kill -SEGV $$ ;; esac' \
    'p=$(jq -r .path <<<"$ev"); jq -j .content <<<"$ev" > "$p"; echo "{\"success\":true}"' > $D/mods/nb/storage.sh
  echo '{"name":"nb","version":"1","runtime":{"executable":"bash storage.sh","timeout_secs":5},"storage_provider":{"storage_type":"x","config":{}}}' > $D/mods/nb/nb.json
  chmod 644 $D/mods/nb/*
  printf '[{"operation":"write","path":"%s/ok1","content":"1"},{"operation":"write","path":"%s/crash","content":"2"},{"operation":"write","path":"%s/ok3","content":"3"}]' $D/data $D/data $D/data \
    | $HB --config-dir $D/cfg storage batch - >$D/out
  local has; has=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print("results" in d.get("error",{}).get("details",{}))' $D/out)
  [[ -e $D/data/ok1 && $has == False ]] && say yes batch_failure_unreported "op 1 was applied, op 2 crashed the module: the answer is $(code_of < $D/out) with no per-operation results" || say no batch_failure_unreported
}

check_write_replaces_special_files() {
  fresh special; mkfifo $D/data/fifo; mknod $D/data/null c 1 3; local hit=""
  for t in native subprocess; do
    HOMEBOY_STORAGE_TRANSPORT=$t $HB --config-dir $D/cfg storage write $D/data/null --content x >/dev/null
    [[ -f $D/data/null ]] && hit+="$t:chardev->regular " && rm $D/data/null && mknod $D/data/null c 1 3
  done
  HOMEBOY_STORAGE_TRANSPORT=native $HB --config-dir $D/cfg storage write $D/data/fifo --content x >/dev/null; [[ -f $D/data/fifo ]] && hit+="native:fifo->regular"
  [[ -n $hit ]] && say yes write_replaces_special_files "$hit (reads of the same paths are invalid_argument)" || say no write_replaces_special_files
}

check_trust_script_outside() {
  fresh trust; mkdir -p -m 777 $D/shared; mkdir -p -m 755 $D/mods/t
  printf 'touch %s/RAN; cat >/dev/null; echo "{\\"success\\":true,\\"entries\\":[]}"\n' $D > $D/shared/evil.sh; chmod 666 $D/shared/evil.sh
  echo "{\"name\":\"t\",\"version\":\"1\",\"runtime\":{\"executable\":\"bash $D/shared/evil.sh\"},\"storage_provider\":{\"storage_type\":\"x\",\"config\":{}}}" > $D/mods/t/t.json; chmod 644 $D/mods/t/t.json
  $HB --config-dir $D/cfg storage list /tmp >/dev/null 2>&1
  [[ -e $D/RAN ]] && say yes trust_script_outside "'bash $D/shared/evil.sh' (mode 666 in a 777 folder) ran; untrusted scripts named by absolute or ../ paths are not checked" || say no trust_script_outside
}

check_reaper_escape() {
  fresh esc; mkdir -p -m 755 $D/mods/e
  printf '%s\n' "cat >/dev/null; setsid bash -c 'exec -a attack-findings-marker sleep 20' </dev/null >/dev/null 2>&1 & sleep 0.2; kill -9 \$PPID; echo '{\"success\":true,\"entries\":[]}'" > $D/mods/e/storage.sh
  echo '{"name":"e","version":"1","runtime":{"executable":"bash storage.sh"},"storage_provider":{"storage_type":"x","config":{}}}' > $D/mods/e/e.json; chmod 644 $D/mods/e/*
  $HB --config-dir $D/cfg storage list /tmp >/dev/null 2>&1; sleep 0.5
  local pids; pids=$(grep -l "attack-findings-marke[r]" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3)
  [[ -n $pids ]] && say yes reaper_escape "a module that SIGKILLs its own homeboy-reaper leaves a setsid grandchild running after the command" || say no reaper_escape
  for p in $pids; do kill -9 $p 2>/dev/null; done
}

check_environ_readable() {
  fresh envr; mkdir -p -m 755 $D/mods/s
  printf '%s\n' 'cat >/dev/null; host=$(tr "\0" "\n" </proc/$PPID/cmdline | sed -n 2p); tr "\0" "\n" </proc/$host/environ | grep ^ATTACK_SECRET= > '"$D"'/seen; echo "{\"success\":true,\"entries\":[]}"' > $D/mods/s/storage.sh
  echo '{"name":"s","version":"1","runtime":{"executable":"bash storage.sh"},"storage_provider":{"storage_type":"x","config":{}}}' > $D/mods/s/s.json; chmod 644 $D/mods/s/*
  ATTACK_SECRET=hunter2 $HB --config-dir $D/cfg storage list /tmp >/dev/null 2>&1
  [[ -s $D/seen ]] && say yes environ_readable "the module read $(cat $D/seen) from /proc/<homeboy pid>/environ (pid taken from its supervisor's argv)" || say no environ_readable
}

check_rename_undo_clobber() {
  fresh undo; export HOMEBOY_STORAGE_TRANSPORT=native; local acked=0 lost=0
  for ((r = 0; r < 10; r++)); do
    $HB --config-dir $D/cfg server create s$r >/dev/null
    for i in 0 1 2 3 4 5; do $HB --config-dir $D/cfg project create p$r-$i --json "{\"server_id\":\"s$r\"}" >/dev/null; done
    $HB --config-dir $D/cfg server rename s$r t$r >/dev/null 2>&1 &
    for j in 0 1 2 3; do ( for k in 0 1 2; do $HB --config-dir $D/cfg server set s$r "{\"n$j$k\":1}" >/dev/null 2>&1; done ) & done
    for i in 0 1 2 3 4 5; do ( for k in 0 1 2 3; do $HB --config-dir $D/cfg project set p$r-$i "{\"m$k\":true}" >/dev/null 2>&1 && echo "p$r-$i m$k" >> $D/acked; done ) & done
    wait
  done
  while read -r p key; do acked=$((acked+1)); grep -q "\"$key\"" $D/cfg/projects/$p.json || lost=$((lost+1)); done < $D/acked
  ((lost)) && say yes rename_undo_clobber "$lost of $acked acknowledged 'project set' lost: a rename that fails late puts projects back with unconditional writes" || say no rename_undo_clobber "0 of $acked lost"
}

check_php_size_limit() {
  fresh php; $HB --config-dir $D/cfg module install $ROOT/modules/filesystem-php >/dev/null
  head -c 60000000 /dev/zero | tr '\0' a > $D/in
  local w r; w=$($HB --config-dir $D/cfg storage write $D/data/f --file $D/in | code_of); r=$($HB --config-dir $D/cfg storage read $D/data/f | code_of)
  [[ $w == ok && $r != ok ]] && say yes php_size_limit "filesystem-php writes 60 MB ($w) but cannot read it back ($r; PHP memory_limit), far below the 256 MiB limit" || say no php_size_limit "write=$w read=$r"
}

check_version_truncated() {
  fresh ver; mkdir -p -m 755 $D/mods/evil
  gcc -O1 -shared -fPIC -I$ROOT/plugin-api/include $ROOT/tests/attack/evil_plugin/evil.c -o $D/mods/evil/libevil.so 2>/dev/null; chmod 644 $D/mods/evil/libevil.so
  echo "{\"name\":\"evil\",\"version\":\"1\",\"runtime\":{\"library\":\"libevil.so\"},\"storage_provider\":{\"storage_type\":\"evil\",\"config\":{\"mode\":\"version10k\",\"state_file\":\"$D/state\"}}}" > $D/mods/evil/evil.json; chmod 644 $D/mods/evil/evil.json
  $HB --config-dir $D/cfg storage write /x --content 1 >/dev/null
  local v; v=$($HB --config-dir $D/cfg storage read /x | $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["version"])')
  local c; c=$($HB --config-dir $D/cfg storage write /x --content 2 --if-version "$v" | code_of)
  [[ ${#v} == 256 && $c != ok ]] && say yes version_truncated "a 10,240-byte version is cut to 256 bytes without a contract violation; --if-version with it -> $c" || say no version_truncated
}

check_manifest_fifo_hang() {
  fresh fifo; mkdir -p -m 755 $D/mods/ff; mkfifo -m 600 $D/mods/ff/ff.json
  timeout 5 $HB --config-dir $D/cfg storage status >/dev/null 2>&1; local rc=$?
  [[ $rc == 124 ]] && say yes manifest_fifo_hang "a FIFO as a module manifest hangs every command (killed by timeout after 5 s)" || say no manifest_fifo_hang "rc=$rc"
}

check_atomic_skip_existing() {
  fresh skip; $HB --config-dir $D/cfg module install $ROOT/modules/sqlite-storage >/dev/null; local hit=0 r
  for ((r = 0; r < 40 && hit == 0; r++)); do
    local spec; spec=$($PY -c "import json; print(json.dumps([{'id':'r${r}x%d'%i} for i in range(10)]))")
    $HB --config-dir $D/cfg server create --json "$spec" --skip-existing >$D/o1 & $HB --config-dir $D/cfg server create r${r}x5 >/dev/null & wait
    local n; n=$($HB --config-dir $D/cfg server list | grep -c "\"id\": \"r${r}x")
    ((n < 10)) && hit=1 && say yes atomic_skip_existing "round $((r+1)): 'server create --json [10 ids] --skip-existing' racing one 'server create' of id 5 on sqlite-storage: $n of 10 exist, exit 0, answer $($PY -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]; print("created=%d skipped=%d" % (len(d["created"]), len(d["skipped"])))' $D/o1)"
  done
  ((hit)) && cat $D/o1 >&2
  ((hit)) || say no atomic_skip_existing "40 rounds"
}

checks=${*:-bash_batch_nul_shift reserved_temp_name silent_switch_missing_manifest silent_switch_dangling_link isolation_ignored atomic_batch_chunked config_world_readable id_collision_race batch_failure_unreported write_replaces_special_files trust_script_outside reaper_escape environ_readable rename_undo_clobber php_size_limit version_truncated manifest_fifo_hang atomic_skip_existing}
for c in $checks; do "check_$c"; done
# The checks' sqlite-storage daemons would idle on for minutes after their folders are gone.
for run in "$A"/*/run; do [[ -d $run ]] && XDG_RUNTIME_DIR=$run "$HB" module stop --all >/dev/null 2>&1; done
rm -rf "$A"
echo "reproduced: $reproduced"
((reproduced == 0))

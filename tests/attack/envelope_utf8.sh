#!/usr/bin/env bash
# Every CLI output must be one valid JSON document in valid UTF-8. Feeds invalid bytes
# through arguments, ids, file names, module answers, module stderr, manifests.
set -u
A=${A:-/tmp/attack-u8}; HB=${HB:-/work/wt-attack/build/bin/homeboy}
rm -rf "$A"; mkdir -p $A/{run,mods,cfg,d}; chmod 700 $A/run; chmod 755 $A $A/mods
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1
X=$(printf '\xff\xfe\xc3')
total=0 bad=0
chk() {  # chk LABEL -- cmd...
  local label=$1; shift
  total=$((total+1))
  local verdict
  verdict=$("$@" 2>/dev/null | /usr/bin/python3 -c '
import json,sys
b=sys.stdin.buffer.read()
try: json.loads(b.decode("utf-8")); print("ok")
except Exception as e: print("BAD", type(e).__name__, repr(b[:100]))')
  [[ $verdict == ok ]] || { bad=$((bad+1)); echo "BAD: $label: $verdict"; }
}
hb() { $HB --config-dir $A/cfg "$@"; }
touch "$A/d/f$X"
chk write-path hb storage write "$A/d/w$X" --content hi
chk read-path hb storage read "$A/d/f$X"
chk list hb storage list $A/d
chk read-missing hb storage read "$A/d/missing$X"
chk delete-missing hb storage delete "$A/d/missing$X"
chk server-create hb server create "s$X"
chk server-show hb server show "s$X"
chk server-json hb server create s2 --json "{\"name\":\"$X\"}"
chk server-set hb server set s2 "{\"k$X\":1}"
mkdir -p $A/cfg/servers; printf '{"name":"%s"}' "$X" > $A/cfg/servers/raw.json; printf 'not json %s' "$X" > $A/cfg/servers/broken.json
chk server-list hb server list
chk server-show-raw hb server show raw
chk server-show-broken hb server show broken
chk project-ref hb project create p1 --json "{\"server_id\":\"x$X\"}"
chk unknown-cmd hb "storage$X"
chk unknown-opt hb storage read --bogus$X
chk batch-bad hb storage batch --file "/nonexistent$X"
printf '[{"operation":"write","path":"/x%s","content":"a"}]' "$X" > $A/b.json
chk batch-bytes hb storage batch --file $A/b.json
# a module that answers and complains in invalid bytes
mkdir -p -m 755 $A/mods/bad
cat > $A/mods/bad/storage.sh <<SH
cat >/dev/null
printf 'stderr %s\n' '$X' >&2
case \$1 in *) printf '{"success":false,"error":"err %s","error_code":"io_error"}\n' '$X' ;; esac
SH
echo '{"name":"bad","version":"1","runtime":{"executable":"bash storage.sh"},"storage_provider":{"storage_type":"x","config":{}}}' > $A/mods/bad/bad.json
chmod 644 $A/mods/bad/*
chk module-error hb storage read /x
sed -i 's/printf .{"success":false.*/printf "garbage %s\\n" "'"$X"'"; exit 3 ;;/' $A/mods/bad/storage.sh
chk module-garbage hb storage read /x
printf 'cat >/dev/null; printf "{\\"success\\":true,\\"data\\":\\"%s\\"}\\n" "'"$X"'"\n' > $A/mods/bad/storage.sh
chk module-raw-data hb storage read /x
printf '{"name":"b%s","version":"1","runtime":{"executable":"bash storage.sh"},"storage_provider":{"storage_type":"x%s","config":{"k":"%s"}}}' "$X" "$X" "$X" > $A/mods/bad/bad.json
chk manifest-bytes hb module list
chk manifest-bytes-show hb module show bad
chk status hb storage status
printf '{"name":' > $A/mods/bad/bad.json; printf '%s' "$X" >> $A/mods/bad/bad.json
chk manifest-broken hb module list
rm -rf $A/mods/bad; mkdir -p -m 755 "$A/mods/m$X"
chk module-folder-bytes hb module list
echo "envelope checks: $total, not valid UTF-8 JSON: $bad"
rm -rf "$A"

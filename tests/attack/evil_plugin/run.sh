#!/usr/bin/env bash
# Builds evil.c and runs homeboy against it in each misbehaviour mode; prints the host's
# answer (exit code, error code, whether stdout is valid JSON and UTF-8).
set -u
A=${A:-/tmp/attack-evil}; HB=${HB:-/work/wt-attack/build/bin/homeboy}; SRC=$(cd "$(dirname "$0")" && pwd)
rm -rf "$A"; mkdir -p $A/{run,mods,cfg}; chmod 700 $A/run; chmod 755 $A $A/mods
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1
gcc -O1 -shared -fPIC -I/work/wt-attack/plugin-api/include "$SRC/evil.c" -o $A/libevil.so || exit 1
mode() {
  rm -rf $A/mods/evil; mkdir -p -m 755 $A/mods/evil; cp $A/libevil.so $A/mods/evil/; chmod 644 $A/mods/evil/libevil.so
  echo "{\"name\":\"evil\",\"version\":\"1\",\"runtime\":{\"library\":\"libevil.so\"},\"storage_provider\":{\"storage_type\":\"evil\",\"config\":{\"mode\":\"$1\",\"state_file\":\"$A/state-$1\"}}}" > $A/mods/evil/evil.json
  chmod 644 $A/mods/evil/evil.json
}
show() {  # show LABEL -- homeboy args...
  local label=$1; shift
  local out rc
  out=$(timeout 60 $HB --config-dir $A/cfg "$@" 2>$A/err); rc=$?
  printf '%-28s rc=%-3s %s\n' "$label" "$rc" "$(printf '%s' "$out" | /usr/bin/python3 -c '
import json,sys
b=sys.stdin.buffer.read()
try: d=json.loads(b.decode("utf-8"))
except Exception as e: print("NOT VALID JSON/UTF-8:", repr(b[:120])); sys.exit()
if d.get("success"): print("success", json.dumps(d["data"])[:160])
else: print(d["error"]["code"], "|", d["error"]["message"][:170], "| %d bytes" % len(b))')"
}
mode plain;               show plain-read storage read /x
mode nonutf8_error;       show nonutf8_error storage read /x
mode huge_error;          show huge_error storage read /x
mode error_and_ok;        show error_and_ok storage read /x
mode null_data;           show null_data storage read /x
mode buffer_then_data;    show buffer_then_data storage read /x
mode data_then_buffer;    show data_then_buffer storage read /x
mode weird_status;        show weird_status storage read /x
mode negative_status;     show negative_status storage read /x
mode fail_no_error;       show fail_no_error storage read /x
mode data_on_write;       show data_on_write storage write /x --content hi
mode entry_nonutf8;       show entry_nonutf8 storage list /d
mode version_nonutf8;     show version_nonutf8-write storage write /x --content hi; show version_nonutf8-read storage read /x
mode version_no_cap;      show version_no_cap-write storage write /x --content hi; show version_no_cap-status storage status
B='[{"operation":"write","path":"/x","content":"1"},{"operation":"read","path":"/x"},{"operation":"write","path":"/x","content":"2"}]'
for m in batch_garbage_status batch_ok_status_no_data batch_skip_statuses batch_data_twice; do
  mode $m; printf '%s' "$B" > $A/b.json; show $m storage batch --file $A/b.json
done
mode version10k
show version10k-write storage write /x --content first
v=$($HB --config-dir $A/cfg storage read /x | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"].get("version",""))')
echo "version10k: the host reported a version of ${#v} bytes (the plugin gave 10240)"
show version10k-if-version storage write /x --content second --if-version "$v"
show version10k-server-create server create s1 --json '{"a":1}'
show version10k-server-set server set s1 '{"b":2}'
rm -rf "$A"

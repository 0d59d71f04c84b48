#!/usr/bin/env bash
# Batch order and content alignment on every shipped provider.
# usage: A=/tmp/attack-x bash batch_order.sh   (needs build/bin/homeboy)
set -u
A=${A:-/tmp/attack-bo}; HB=${HB:-/work/wt-attack/build/bin/homeboy}
rm -rf "$A"; mkdir -p "$A"/{mods,run}; chmod 700 "$A/run"
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1
PY=/usr/bin/python3
pass=0 fail=0
provider_env() {  # name -> sets CFG and TRANSPORT
  case $1 in
    native) CFG=$A/cfg-native; T=native ;;
    bash) CFG=$A/cfg-bash; T=subprocess ;;
    php) CFG=$A/cfg-php; T=auto; [[ -d $CFG/modules ]] || { mkdir -p $CFG; $HB --config-dir $CFG module install /work/wt-attack/modules/filesystem-php >/dev/null; } ;;
    sqlite) CFG=$A/cfg-sqlite; T=auto; [[ -d $CFG/modules ]] || { mkdir -p $CFG; $HB --config-dir $CFG module install /work/wt-attack/modules/sqlite-storage >/dev/null; } ;;
  esac
  mkdir -p "$CFG"
}
check() {  # provider case-name batch-json python-expression-on-results
  local p=$1 name=$2 batch=$3 expr=$4 out
  provider_env "$p"
  out=$(printf '%s' "$batch" | HOMEBOY_STORAGE_TRANSPORT=$T $HB --config-dir "$CFG" storage batch -)
  if printf '%s' "$out" | $PY -c '
import json,sys
d=json.load(sys.stdin); r=(d.get("data") or d["error"].get("details",{})).get("results")
ok = r is not None and ('"$expr"')
if not ok: print(json.dumps(d)[:600], file=sys.stderr)
sys.exit(0 if ok else 1)'; then pass=$((pass+1)); echo "PASS $p $name"; else fail=$((fail+1)); echo "FAIL $p $name"; fi
}
for p in native bash php sqlite; do
  provider_env "$p"
  D=$A/data-$p; rm -rf "$D"
  HOMEBOY_STORAGE_TRANSPORT=$T $HB --config-dir "$CFG" storage ensure-dir "$D" >/dev/null
  check $p read_after_write "[{\"operation\":\"write\",\"path\":\"$D/a\",\"content\":\"v1\"},{\"operation\":\"read\",\"path\":\"$D/a\"},{\"operation\":\"write\",\"path\":\"$D/a\",\"content\":\"v2\"},{\"operation\":\"read\",\"path\":\"$D/a\"}]" 'r[1].get("data")=="v1" and r[3].get("data")=="v2"'
  check $p read_before_delete "[{\"operation\":\"read\",\"path\":\"$D/a\"},{\"operation\":\"delete\",\"path\":\"$D/a\"},{\"operation\":\"read\",\"path\":\"$D/a\"}]" 'r[0].get("data")=="v2" and r[1]["success"] and r[2].get("error_code")=="not_found"'
  check $p list_after_writes "[{\"operation\":\"write\",\"path\":\"$D/x\",\"content\":\"1\"},{\"operation\":\"list\",\"path\":\"$D\"},{\"operation\":\"delete\",\"path\":\"$D/x\"},{\"operation\":\"list\",\"path\":\"$D\"}]" '[e["path"] for e in r[1]["entries"]]==["'$D'/x"] and r[3]["entries"]==[]'
  check $p nul_content_alignment "[{\"operation\":\"write\",\"path\":\"$D/n1\",\"content\":\"x\\u0000y\"},{\"operation\":\"write\",\"path\":\"$D/n2\",\"content\":\"B\"},{\"operation\":\"read\",\"path\":\"$D/n1\"},{\"operation\":\"read\",\"path\":\"$D/n2\"}]" 'r[2].get("data")=="x\u0000y" and r[3].get("data")=="B"'
  check $p write_delete_write_read "[{\"operation\":\"write\",\"path\":\"$D/w\",\"content\":\"1\"},{\"operation\":\"delete\",\"path\":\"$D/w\"},{\"operation\":\"write\",\"path\":\"$D/w\",\"content\":\"2\"},{\"operation\":\"read\",\"path\":\"$D/w\"}]" 'r[3].get("data")=="2"'
  check $p write_if_absent_twice "[{\"operation\":\"write\",\"path\":\"$D/ia\",\"content\":\"1\",\"if_absent\":true},{\"operation\":\"write\",\"path\":\"$D/ia\",\"content\":\"2\",\"if_absent\":true},{\"operation\":\"read\",\"path\":\"$D/ia\"}]" 'r[0]["success"] and r[1].get("error_code")=="conflict" and r[2].get("data")=="1"'
  check $p stale_version "[{\"operation\":\"write\",\"path\":\"$D/sv\",\"content\":\"1\"},{\"operation\":\"read\",\"path\":\"$D/sv\"},{\"operation\":\"write\",\"path\":\"$D/sv\",\"content\":\"same\"},{\"operation\":\"write\",\"path\":\"$D/sv\",\"content\":\"same\"}]" 'True'
done
echo "passed $pass failed $fail"
rm -rf "$A"

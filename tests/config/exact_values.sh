#!/usr/bin/env bash
# Values keep the text the user gave them, on whichever provider the config folder selects:
# numbers a double cannot hold (1.0, -0, 12345678901234567890123, 1e999, ...) go through
# create -> show (JSON and text) -> set of another field -> migrate to another provider and
# back -> export -> import into a fresh config folder, and each is read back, by a reader
# that keeps number literals, with exactly the text it was written with. A document that
# gives a key twice is refused, naming the key.
# usage: exact_values.sh <homeboy> <scratch dir> <modules source dir> [module folder to install as the provider]
set -euo pipefail
trap 'echo "$(basename "$0"): line $LINENO failed: $BASH_COMMAND" >&2' ERR
homeboy=$1 work=$2 modules=$3 provider=${4:-}
rm -rf "$work"
mkdir -p "$work"
export HOMEBOY_MODULE_PATH=
python=/usr/bin/python3
[[ -x $python ]] || python=python3

fail() { echo "exact values: $*" >&2; exit 1; }
hb() { local config=$1; shift; "$homeboy" --config-dir "$config" "$@"; }

# The JSON on stdin, with every number kept as its text: prints the object at the dotted
# path $1 as "key<TAB>literal" lines (nested values as compact JSON of literals). Fails on a
# key given twice, on NaN or Infinity, and on anything that is not JSON.
literals() {
  "$python" -c '
import json, sys
class Num(str): pass
def pairs(items):
    keys = [k for k, _ in items]
    if len(keys) != len(set(keys)): sys.exit("a key is given twice: %r" % keys)
    return dict(items)
def const(name): sys.exit("not JSON: %s" % name)
doc = json.loads(sys.stdin.read(), parse_int=Num, parse_float=Num, parse_constant=const, object_pairs_hook=pairs)
for part in filter(None, sys.argv[1].split(".")): doc = doc[part]
def text(v):
    if isinstance(v, Num): return str(v)
    if isinstance(v, list): return "[" + ",".join(text(x) for x in v) + "]"
    if isinstance(v, dict): return "{" + ",".join(json.dumps(k) + ":" + text(x) for k, x in v.items()) + "}"
    return json.dumps(v)
for k, v in doc.items(): print(k + "\t" + text(v))
' "$1"
}

spec='{"a": 1.0, "b": 12345678901234567890123, "c": 1.5, "d": -0, "e": 1e999, "f": 18446744073709551617,
       "g": 1E-7, "h": -1e400, "i": [0.10, 2], "j": {"k": -0.0, "l": 3}}'
expected=$(printf '%s\n' 'a	1.0' 'b	12345678901234567890123' 'c	1.5' 'd	-0' 'e	1e999' 'f	18446744073709551617' \
  'g	1E-7' 'h	-1e400' 'i	[0.10,2]' 'j	{"k":-0.0,"l":3}')

# check WHAT JSON_TEXT PATH: every expected value is there with its text.
check() {
  local what=$1 text=$2 path=$3 got
  got=$(literals "$path" <<<"$text") || fail "$what: not readable JSON: $text"
  while IFS= read -r line; do
    grep -qxF -- "$line" <<<"$got" || fail "$what: expected '${line/	/ = }', got: $got"
  done <<<"$expected"
}

install() {  # install CONFIG MODULE_FOLDER
  hb "$1" -q module install "$2" >"$work/install.out" || fail "module install $2: $(cat "$work/install.out")"
}

config=$work/config
mkdir -p "$config"
[[ -z $provider ]] || install "$config" "$provider"
home=$(hb "$config" storage status | jq -r .data.provider.module_id)
echo "exact values on $home/$(hb "$config" storage status | jq -r .data.provider.transport)"
document=$config/servers/n1.json

out=$(hb "$config" server create n1 --json "$spec") || fail "create refused: $out"
check "show after create" "$(hb "$config" server show n1)" data.server
check "the stored document" "$(hb "$config" storage read "$document" --raw)" ""
text=$(hb "$config" -o text server show n1)
for pair in 'a 1.0' 'b 12345678901234567890123' 'd -0' 'e 1e999' 'g 1E-7'; do
  grep -qE "^${pair%% *}: +${pair#* }\$" <<<"$text" || fail "-o text does not show ${pair/ / as }: $text"
done
! grep -qE 'Infinity|E0|e\+' <<<"$text" || fail "-o text rewrote a number: $text"

out=$(hb "$config" server set n1 '{"other": 1}') || fail "set refused: $out"
jq -e '.data.updated_fields == ["other"]' >/dev/null <<<"$out" || fail "set names other fields: $out"
check "the answer of set" "$out" data.server
check "the stored document after set" "$(hb "$config" storage read "$document" --raw)" ""

# To another provider and back: sqlite-storage, or the native default for sqlite-storage itself.
other=sqlite-storage
[[ $home == sqlite-storage ]] && other=builtin-filesystem
[[ $other == builtin-filesystem ]] || install "$config" "$modules/sqlite-storage"
out=$(hb "$config" -q storage migrate --to "$other") || fail "migrate to $other: $out"
check "show on $other" "$(hb "$config" server show n1)" data.server
check "the document on $other" "$(hb "$config" storage read "$document" --raw)" ""
out=$(hb "$config" -q storage migrate --to "$home") || fail "migrate back to $home: $out"
check "show back on $home" "$(hb "$config" server show n1)" data.server

hb "$config" storage export "$work/backup.jsonl" >/dev/null
line=$(grep '"servers/n1.json"' "$work/backup.jsonl")
check "the archive" "$(jq -r .content <<<"$line")" ""

fresh=$work/fresh
mkdir -p "$fresh"
[[ -z $provider ]] || install "$fresh" "$provider"
out=$(hb "$fresh" storage import "$work/backup.jsonl") || fail "import: $out"
check "show after import" "$(hb "$fresh" server show n1)" data.server

rc=0
out=$(hb "$config" server create twice --json '{"host": "a", "host": "b"}') || rc=$?
[[ $rc == 2 ]] || fail "a key given twice exited $rc: $out"
jq -e '.error.details.key == "host" and (.error.message | contains("\"host\" twice"))' >/dev/null <<<"$out" ||
  fail "a key given twice is not named: $out"
rc=0
hb "$config" server show twice >/dev/null || rc=$?
[[ $rc == 4 ]] || fail "the refused document was created"
echo "exact values: every value kept its text on $home"

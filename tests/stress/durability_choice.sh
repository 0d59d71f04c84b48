#!/usr/bin/env bash
# What an acknowledgement means on every shipped provider that keeps files here (docs/storage-
# contract.md, "Durability"), by default and with the user's choice of speed ("durability":
# "process_crash" in the provider's config): what `storage status` says, and the flushes
# (fsync, fdatasync, syncfs) made before the provider answers a write, counted from the
# system calls of homeboy and every process it starts (strace).
#   - by default: status says power_loss, set by the provider, and at least one flush comes
#     before the answer;
#   - chosen: status says process_crash, set by config, and no flush comes before the answer.
# usage: durability_choice.sh <homeboy> <scratch dir> <source modules folder> <built modules folder>
set -euo pipefail
homeboy=$1 work=$2 sources=$3 built=$4
rm -rf "$work"
mkdir -p "$work"
export HOMEBOY_MODULE_PATH= HOMEBOY_QUIET=1
fail() { echo "durability choice: $*" >&2; exit 1; }

# flushes_before_answer TRACE: the completed flushes before the first answer to a write, the
# provider's (a module's line on its stdout) or, in-process, homeboy's envelope (written to
# a copy of stdout: descriptor 1 points at stderr while a plugin runs in the process).
flushes_before_answer() {
  awk '
    / (fsync|fdatasync|syncfs)\(/ && !/unfinished/ && / = 0$/ { flushes++ }
    /<\.\.\. (fsync|fdatasync|syncfs) resumed>/ && / = 0$/ { flushes++ }
    / write\([0-9]+</ && /success/ { print flushes + 0; found = 1; exit }
    END { if (!found) print "none" }' "$1"
}

for provider in native script filesystem-php sqlite-storage; do
  config=$work/$provider/config store=$work/$provider/store
  mkdir -p "$config" "$store"
  hb=("$homeboy" --config-dir "$config")
  transport=auto
  case $provider in
    native | script)
      [[ $provider == script ]] && transport=subprocess
      manifest=$config/modules/builtin-filesystem/builtin-filesystem.json
      ;;
    *)
      "${hb[@]}" module install "$sources/$provider" --no-check --activate >/dev/null
      manifest=$config/modules/$provider/$provider.json
      # Persistent rather than a daemon: strace then follows the module too.
      [[ $provider == sqlite-storage ]] && transport=subprocess
      ;;
  esac
  export HOMEBOY_STORAGE_TRANSPORT=$transport
  "${hb[@]}" storage ensure-dir "$store" >/dev/null
  "${hb[@]}" storage write "$store/f" --content first >/dev/null

  for choice in default process_crash; do
    if [[ $choice == process_crash ]]; then
      if [[ $provider == native || $provider == script ]]; then
        # The shipped module, copied where the user's modules go and told to replace it.
        mkdir -p "$config/modules"
        cp -r "$built/builtin-filesystem" "$config/modules/"
        chmod -R go-w "$config/modules"
      fi
      edit='.storage_provider.config.durability = "process_crash"'
      [[ $provider == native || $provider == script ]] && edit+=' | .overrides_builtin = true'
      jq "$edit" "$manifest" >"$work/manifest.json"
      mv "$work/manifest.json" "$manifest"
      chmod 600 "$manifest"
      "${hb[@]}" module stop --all >/dev/null 2>&1 || true
    fi
    holder=
    if [[ $provider == sqlite-storage ]]; then
      # SQLite flushes a new write-ahead log when it starts one, whatever the setting, and
      # the last connection to close ends the log: a connection held open meanwhile (as a
      # daemon holds its own) keeps one log across commands, so the write measured below
      # is an ordinary commit.
      rm -f "$work/held"
      /usr/bin/python3 -S -c 'import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1]); db.execute("SELECT count(*) FROM entries").fetchone()
open(sys.argv[2], "w").close(); time.sleep(120)' "$config/storage.db" "$work/held" &
      holder=$!
      for ((i = 0; i < 100; i++)); do [[ -e $work/held ]] && break; sleep 0.1; done
      "${hb[@]}" storage write "$store/f" --content "log started" >/dev/null
    fi
    status=$("${hb[@]}" storage status)
    said=$(jq -r '.data.provider | "\(.durability) \(.durability_set_by)"' <<<"$status")
    text=$("${hb[@]}" -o text storage status | grep '^durability:' || true)
    strace -f -qq -y -s 64 -o "$work/trace" -e trace=fsync,fdatasync,syncfs,write \
      "${hb[@]}" storage write "$store/f" --content "$choice" >/dev/null || fail "$provider: the write failed"
    [[ $("${hb[@]}" storage read "$store/f" --raw) == "$choice" ]] || fail "$provider: the write did not land"
    flushes=$(flushes_before_answer "$work/trace")
    if [[ -n $holder ]]; then kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true; fi
    echo "durability ($provider, $choice): storage status says '$said'; $flushes flush(es) before the answer; $text"
    if [[ $choice == default ]]; then
      [[ $said == "power_loss provider" ]] || fail "$provider: status says '$said', not 'power_loss provider'"
      [[ $flushes =~ ^[0-9]+$ ]] && ((flushes >= 1)) || fail "$provider: nothing flushed before the answer ($flushes)"
    else
      [[ $said == "process_crash config" ]] || fail "$provider: status says '$said', not 'process_crash config'"
      [[ $text == *"chosen in the provider's config"* ]] || fail "$provider: the text status says: $text"
      [[ $flushes == 0 ]] || fail "$provider: $flushes flush(es) before the answer though speed was chosen"
    fi
  done
  "${hb[@]}" module stop --all >/dev/null 2>&1 || true
done
[[ -n ${KEEP:-} ]] || rm -rf "$work"

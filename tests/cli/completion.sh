#!/usr/bin/env bash
# Shell completion as bash drives it: the script from `homeboy completion bash` is sourced,
# and its function called with COMP_WORDS and COMP_CWORD as bash sets them, for a group, a
# command, an option, an option's value, an installed module id and a stored project id.
# The zsh and fish scripts are checked for syntax where those shells are installed.
# usage: completion.sh <homeboy> <scratch dir>
set -euo pipefail
homeboy=$1 work=$2
rm -rf "$work"
mkdir -p "$work/bin"
ln -s "$homeboy" "$work/bin/homeboy"
export PATH="$work/bin:$PATH" HOMEBOY_MODULE_PATH= HOMEBOY_CONFIG_DIR="$work/config"
config=$work/config

failures=0
# expect "<words...>" -- <candidate>...: completing the last word offers exactly these.
expect() {
  local words=() want=()
  while [[ $1 != -- ]]; do words+=("$1"); shift; done
  shift
  want=("$@")
  COMP_WORDS=("${words[@]}")
  COMP_CWORD=$((${#words[@]} - 1))
  COMPREPLY=()
  _homeboy
  if [[ "${COMPREPLY[*]}" != "${want[*]}" ]]; then
    echo "completing '${words[*]}': got '${COMPREPLY[*]}', expected '${want[*]}'" >&2
    failures=$((failures + 1))
  fi
}

# compopt works only while bash itself is completing; here it records what was asked.
compopt() { compopt_asked="$1 $2"; }

# shellcheck source=/dev/null
source <(homeboy completion bash)
[[ $(complete -p homeboy) == "complete -F _homeboy homeboy" ]] || { echo "no completion for homeboy" >&2; exit 1; }

# Groups and commands, from the command tables.
expect homeboy sto -- storage
expect homeboy "" -- storage module project server component help version completion doctor
expect homeboy storage re -- read
expect homeboy storage e -- ensure-dir export
expect homeboy --config-dir "$config" storage re -- read
# Options of the command, and the global ones.
expect homeboy storage delete /x --rec -- --recursive
expect homeboy storage read /x --r -- --raw
expect homeboy module install --no -- --no-check
expect homeboy storage status --q -- --quiet
# Option values: a fixed set; a file (bash completes the names itself).
expect homeboy storage status -o "" -- json text
expect homeboy storage status --output = t -- text
expect homeboy completion "" -- bash zsh fish
touch "$work/some-file"
compopt_asked=
expect homeboy storage read "$work/some-f" -- "$work/some-file"
[[ $compopt_asked == "-o filenames" ]] || { echo "file names not marked as such: '$compopt_asked'" >&2; failures=$((failures + 1)); }
# Help topics.
expect homeboy help st -- storage
expect homeboy help storage mi -- migrate

# Project ids, read through the active provider.
homeboy project create website >/dev/null
homeboy project create webshop >/dev/null
expect homeboy project show web -- webshop website
expect homeboy project delete websh -- webshop
expect homeboy server show web --
# An id holding ':', which bash cuts into words of their own: offered as what follows the ':'.
homeboy server create db:5432 >/dev/null
homeboy server create db:5433 >/dev/null
COMP_WORDBREAKS=${COMP_WORDBREAKS:-$' \t\n"\'><=;|&(:'}
expect homeboy server show db -- db:5432 db:5433
expect homeboy server show db : -- 5432 5433
expect homeboy server show db : 5432 -- 5432
expect homeboy server show db : 54 -- 5432 5433

# Installed module ids: shipped and installed ones, from the config folder on the line.
mkdir -p "$work/my-store"
cat >"$work/my-store/my-store.json" <<'EOF'
{"name": "My Store", "version": "1.0.0", "runtime": {"executable": "true"},
 "storage_provider": {"storage_type": "test", "config": {}}}
EOF
chmod -R go-w "$work/my-store"
homeboy module install "$work/my-store" --no-check >/dev/null 2>&1
expect homeboy module show my -- my-store
expect homeboy module uninstall my -- my-store
expect homeboy --config-dir "$work/elsewhere" module show my --
expect homeboy storage migrate --to my -- my-store
# The modules shipped with homeboy: by id for install (besides folders) and test.
cd "$work"
expect homeboy module install sqlite -- sqlite-storage
expect homeboy module test sqlite -- sqlite-storage
expect homeboy module show sqlite --
# The other shells' scripts, where the shell is there to read them.
if command -v zsh >/dev/null; then zsh -n <(homeboy completion zsh) || failures=$((failures + 1)); fi
if command -v fish >/dev/null; then homeboy completion fish | fish --no-execute || failures=$((failures + 1)); fi
bash -n <(homeboy completion bash) || failures=$((failures + 1))

if ((failures)); then
  echo "$failures completion checks failed" >&2
  exit 1
fi
echo "completion: all checks passed"

#!/usr/bin/env bash
# The authoring kit, as an author finds it in an install: every example module passes
# `homeboy module test` where it is installed; `homeboy module new <id> --lang L` writes a
# starter for each language that passes it too (the native ones after the build command it
# prints, run as printed); the shipped modules are installed by id.
# usage: kit.sh <installed homeboy> <scratch dir> [LANGUAGE...]     (every language by default)
# Rust needs Debian's cargo and rustc (/usr/bin); they are used, never a rustc found first on PATH.
set -euo pipefail
homeboy=$1 work=$2
shift 2
languages=("$@")
((${#languages[@]})) || languages=(bash python node php c cpp rust)
prefix=$(cd "$(dirname "$homeboy")/.." && pwd)
kit=$prefix/share/homeboy/kit
rm -rf "$work"
mkdir -p "$work/runtime"
chmod 700 "$work/runtime"
export HOMEBOY_CONFIG_DIR=$work/config XDG_RUNTIME_DIR=$work/runtime HOMEBOY_MODULE_PATH= HOMEBOY_STORAGE_TRANSPORT= \
  HOMEBOY_ISOLATION=
export RUSTC=/usr/bin/rustc CARGO_HOME=$work/cargo-home
trap '"$homeboy" module stop --all >/dev/null 2>&1 || true' EXIT

fail() { echo "kit test: $*" >&2; exit 1; }
passes() {  # passes WHAT FOLDER: module test passes on it, and ran something
  local out
  out=$("$homeboy" module test "$2" 2>&1) || fail "$1 fails module test:"$'\n'"$out"
  echo "kit test: $1: $(tail -n 1 <<<"$out")"
}

for language in "${languages[@]}"; do
  case $language in
    bash | python | node | php) passes "the installed example-$language" "$kit/modules/examples/example-$language" ;;
  esac
done

cd "$work"
for language in "${languages[@]}"; do
  if [[ $language == rust && ! -x /usr/bin/cargo ]]; then
    echo "kit test: rust skipped: Debian's cargo is not installed (cmake/setup-debian.sh installs it)"
    continue
  fi
  id=my-$language-store
  made=$("$homeboy" module new "$id" --lang "$language") || fail "module new --lang $language: $made"
  [[ -f $id/$id.json ]] || fail "module new --lang $language wrote no $id/$id.json: $(ls -R "$id")"
  build=$(jq -r '.data.build // empty' <<<"$made")
  case $language in
    c | cpp | rust)
      [[ -n $build ]] || fail "module new --lang $language printed no build command: $made"
      # Debian's cargo (and rustc, $RUSTC) before any other on PATH.
      (PATH=/usr/bin:$PATH && eval "$build") >"$work/build-$language.log" 2>&1 || fail "the printed build failed: $build"$'\n'"$(tail -n 30 "$work/build-$language.log")"
      ;;
    *) [[ -z $build ]] || fail "a $language module needs no build, yet module new printed one: $build" ;;
  esac
  passes "the module new --lang $language starter" "./$id"
done

if [[ " ${languages[*]} " == *" python "* ]]; then
  # A shipped module by id, checked as it is installed.
  installed=$("$homeboy" module install sqlite-storage) || fail "module install sqlite-storage: $installed"
  [[ $(jq -r '.data.check.failed' <<<"$installed") == 0 ]] || fail "sqlite-storage failed its check: $installed"
  [[ -f $HOMEBOY_CONFIG_DIR/modules/sqlite-storage/sqlite-storage.json ]] || fail "sqlite-storage is not installed"
  echo "kit test: module install sqlite-storage by id: installed and checked"
fi
echo "kit test: passed"

#!/usr/bin/env bash
# The installed man page: EXAMPLES, FILES and SEE ALSO are there, and every file or folder
# they name under the install prefix exists in the install.
# usage: man_page.sh <install prefix>
set -euo pipefail
prefix=$1
page=$prefix/share/man/man1/homeboy.1
fail() { echo "man page: $*" >&2; exit 1; }
[[ -f $page ]] || fail "$page is not installed"
for section in EXAMPLES FILES "SEE ALSO"; do
  grep -q "^\.SH $section\$" "$page" || fail "no $section section"
done
# Paths under the prefix (roff writes '-' as '\-'); the docs SEE ALSO lists after cli.md are
# in the same folder.
named=$(sed 's/\\-/-/g' "$page" | grep -o "$prefix/[^ ]*" | sed 's/[,;)]*$//' | sort -u)
[[ -n $named ]] || fail "it names no file under $prefix"
for path in $named; do
  [[ -e $path ]] || fail "it names $path, which the install does not have"
done
docs=$(sed 's/\\-/-/g' "$page" | sed "s|$prefix/share/doc/homeboy/docs/||" | sed -n '/^\.SH SEE ALSO/,$p' | grep -o '[a-z/-]*\.md' | sort -u)
for doc in $docs; do
  [[ -e $prefix/share/doc/homeboy/docs/$doc ]] || fail "SEE ALSO names $doc, not installed in $prefix/share/doc/homeboy/docs"
done
echo "man page: $(wc -l <<<"$named") paths and $(wc -w <<<"$docs") docs named, each installed"

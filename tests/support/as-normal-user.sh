#!/usr/bin/env bash
# Runs a test binary as an unprivileged user (nobody), so the trust checks are exercised for
# a normal user too when the suite itself runs as root (as CI does). Exits 77 (skipped) when
# not root, or when nobody cannot reach the binary.
# usage: as-normal-user.sh <test binary> [args...]
set -euo pipefail
[[ $(id -u) == 0 ]] || { echo "not root: nothing to switch from"; exit 77; }
as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${as_nobody[@]}" test -x "$1" || { echo "nobody cannot run $1"; exit 77; }
exec "${as_nobody[@]}" env HOME=/tmp TMPDIR=/tmp "$@"

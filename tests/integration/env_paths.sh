#!/usr/bin/env bash
# The test environment in a directory whose name a shell would misread
# (issue 15 §6): env.sh writes the paths into the env file the tests source,
# quoted, so sourcing it sets the paths and runs nothing. Starts and stops an
# environment of its own.
#   env_paths.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
base=$(mktemp -d)
dir="$base/env with space \$(touch $base/ran)"
trap '"$root/deploy/scripts/env.sh" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$base"' EXIT
"$root/deploy/scripts/env.sh" start "$dir" >/dev/null
failures=0
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2] got [$3]"; failures=$((failures + 1)); fi
}
got=$(bash -c 'source "$1/env.sh"; printf "%s|%s" "$AP_ENV_DIR" "$AP_REDIS_PASSWORD_FILE"' _ "$dir")
check "sourcing the env file gives the paths as they are" "$dir|$dir/redis-ap.password" "$got"
check "and runs nothing of their text" "no" "$([ -e "$base/ran" ] && echo yes || echo no)"
check "the password file it names is readable" "yes" "$([ -r "$dir/redis-ap.password" ] && echo yes || echo no)"
[ "$failures" -eq 0 ]
